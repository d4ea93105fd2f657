"""The parser every command shares, and the documented exit codes.

Exit codes (README.md lists them too):
    0    done
    1    synthesis incomplete: some segments failed (run again to retry them)
    2    a user error: job file, source, option, environment
    3    the service refused the job (key, voice) or cannot be reached at its URL
    4    writing the audio or the workspace failed
    5    the job's workspace is in use by another narrator run (wait for it, or stop it)
    130  interrupted (everything finished so far is kept)
"""

from __future__ import annotations

import argparse
from typing import Any, NoReturn, Protocol

EXIT_OK, EXIT_INCOMPLETE, EXIT_USER, EXIT_SERVICE, EXIT_OUTPUT, EXIT_BUSY = 0, 1, 2, 3, 4, 5
EXIT_INTERRUPTED = 130


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line naming the fix, not a usage block (exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER, f"{self.prog}: error: {message}; see {self.prog} --help\n")


class Commands(Protocol):
    """What `add_subparsers()` gives: each command module adds its own parser through it."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...
