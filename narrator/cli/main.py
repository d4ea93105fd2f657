"""`narrator`: the entry point; an error that ends a command is one line and its exit code.

The exit codes are listed in narrator/cli/parser.py.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from narrator import __version__
from narrator.cli.parser import (
    EXIT_BUSY,
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
    Unreachable,
    UserError,
    WorkspaceBusy,
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


def console() -> None:
    """The `narrator` program (console script and `python -m narrator.cli`): main, then exit.

    After Ctrl-C, main has already stopped every process, removed every temp file and closed
    the store; the interpreter's own teardown of a large heap can still take a second or two
    on a busy machine, so that exit skips it (streams are flushed first).
    """
    code = main()
    if code == EXIT_INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code for an error that ends a command."""
    if isinstance(exc, UserError):
        return EXIT_USER
    if isinstance(exc, WorkspaceBusy):
        return EXIT_BUSY
    service = (ServerError, Unreachable)
    if isinstance(exc, service) or (isinstance(exc, JobStopped) and isinstance(exc.cause, service)):
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
    from narrator.cli import jobs, say, serve, verify, voices

    say.add_say(sub)
    jobs.add_commands(sub)
    serve.add_serve(sub)
    voices.add_voices(sub)
    verify.add_verify(sub)
    return parser
