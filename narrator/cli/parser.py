"""The parser every command shares, and the documented exit codes.

Exit codes: 0 done; 1 synthesis incomplete (some segments failed); 2 a user error (job file,
source, option, environment); 3 the service refused the job (key, voice); 4 writing the audio
failed; 130 interrupted (everything finished so far is kept).
"""

from __future__ import annotations

import argparse
from typing import NoReturn

EXIT_OK, EXIT_INCOMPLETE, EXIT_USER, EXIT_SERVICE, EXIT_OUTPUT, EXIT_INTERRUPTED = (
    0,
    1,
    2,
    3,
    4,
    130,
)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line naming the fix, not a usage block (exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER, f"{self.prog}: error: {message}; see {self.prog} --help\n")
