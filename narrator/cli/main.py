"""`narrator`: the entry point; an error that ends a command is one line and its exit code.

The exit codes are listed in narrator/cli/parser.py.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from narrator import __version__
from narrator.cli.parser import (
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_OUTPUT,
    EXIT_SERVICE,
    EXIT_USER,
    OneLineParser,
)
from narrator.errors import (
    AssemblyError,
    JobStopped,
    NarratorError,
    ServerError,
    StoreError,
    UserError,
)


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
    if isinstance(exc, ServerError) or (
        isinstance(exc, JobStopped) and isinstance(exc.cause, ServerError)
    ):
        return EXIT_SERVICE
    if isinstance(exc, (AssemblyError, StoreError)):
        return EXIT_OUTPUT
    return EXIT_INCOMPLETE


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="narrator", description="Turn long documents into audiobooks (Oris Voice TTS)."
    )
    parser.add_argument("--version", action="version", version=f"narrator {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    from narrator.cli import jobs, say, serve

    say.add_say(sub)
    jobs.add_commands(sub)
    serve.add_serve(sub)
    return parser
