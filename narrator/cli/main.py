"""The `narrator` command: run, status, plan, say, serve.

Exit codes: 0 done; 1 synthesis incomplete (some segments failed); 2 a user error (job file,
source, option, environment); 3 the service refused the job (key, voice); 4 writing the audio
failed; 130 interrupted (everything finished so far is kept).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from narrator import __version__
from narrator.errors import (
    AssemblyError,
    NarratorError,
    ServerError,
    StoreError,
    UserError,
)

EXIT_OK, EXIT_INCOMPLETE, EXIT_USER, EXIT_SERVICE, EXIT_OUTPUT, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("narrator: interrupted; finished work is kept, run again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    except NarratorError as exc:
        print(f"narrator: error: {_one_line(exc)}", file=sys.stderr)
        return exit_code_for(exc)


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code for an error that ends a command."""
    if isinstance(exc, UserError):
        return EXIT_USER
    if isinstance(exc, ServerError) or isinstance(getattr(exc, "cause", None), ServerError):
        return EXIT_SERVICE
    if isinstance(exc, (AssemblyError, StoreError)):
        return EXIT_OUTPUT
    return EXIT_INCOMPLETE


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line naming the fix, not a usage block (exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER, f"{self.prog}: error: {message}; see {self.prog} --help\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="narrator", description="Turn long documents into audiobooks (Oris Voice TTS)."
    )
    parser.add_argument("--version", action="version", version=f"narrator {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    from narrator import commands

    commands.add_say(sub)
    commands.add_job_commands(sub)
    serve = sub.add_parser("serve", help="run the local Oris Voice compatible server")
    from narrator.server.cli_serve import add_serve_arguments, serve_command

    add_serve_arguments(serve)
    serve.set_defaults(handler=serve_command)
    return parser


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
