"""The local Oris Voice server: handshake checks (key, config_id), then one Connection per session.

Listens with websockets' asyncio API on anyio's asyncio backend. `running_server` embeds it
(tests, `narrator run`/`say`, and `narrator serve` until Ctrl-C).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from narrator.codes import ErrorCode
from narrator.server.config import ServerConfig, validate
from narrator.server.connection import Connection, now_ms
from narrator.server.state import ServerState, websockets_logger
from narrator.server.stats import ServerStats
from narrator.wire import protocol as proto

# Incoming frames up to this size reach the handler, which answers anything over 512 KB with
# FRAME_SIZE_EXCEEDED; only larger ones make websockets close the connection (1009).
MAX_INCOMING_BYTES = 4 * 1024 * 1024
POLICY_VIOLATION = 1008


@dataclass(frozen=True)
class RunningServer:
    """A server listening on `url` (port resolved); `stats` fills in as it serves."""

    url: str
    port: int
    stats: ServerStats
    config: ServerConfig


class _Handler:
    """The websockets callbacks for one server: refuse at the upgrade, or serve a session."""

    def __init__(self, state: ServerState):
        self.state = state

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if self.state.config.auth_failure != "http":
            return None
        if self.state.key_id(request.headers.get("Authorization")) is not None:
            return None
        self.state.stats.auth_failures += 1
        return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid or missing API key\n")

    async def __call__(self, ws: ServerConnection) -> None:
        try:
            await self._session(ws)
        except ConnectionClosed:
            pass

    async def _session(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        key_id = self.state.key_id(ws.request.headers.get("Authorization"))
        if key_id is None:  # "message" mode: the upgrade was accepted
            self.state.stats.auth_failures += 1
            await _refuse(ws, ErrorCode.AUTH_FAILED, "invalid or missing API key in Authorization")
            return
        config_id = _config_id(ws.request.path)
        served = ", ".join(self.state.engines)
        if config_id is None:
            await _refuse(
                ws, ErrorCode.MISSING_CONFIG_ID, f"add ?config_id=<voice> to the URL ({served})"
            )
            return
        if config_id not in self.state.engines:
            await _refuse(
                ws,
                ErrorCode.MODEL_NOT_FOUND,
                f"unknown config_id {config_id!r}; use one of {served}",
            )
            return
        await self._serve(ws, config_id, key_id)

    async def _serve(self, ws: ServerConnection, config_id: str, key_id: int) -> None:
        stats = self.state.stats
        stats.connections += 1
        stats.open_connections += 1
        try:
            await Connection(ws, self.state, config_id, key_id).run()
        finally:
            stats.open_connections -= 1


def _config_id(path: str) -> str | None:
    values = parse_qs(urlsplit(path).query).get("config_id", [])
    return values[0] if values and values[0] else None


async def _refuse(ws: ServerConnection, code: ErrorCode, message: str) -> None:
    await ws.send(proto.encode_message(proto.ErrorResponse(code.value, message, now_ms())))
    await ws.close(POLICY_VIOLATION, code.value)


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"ws://{shown}:{port}/"


@asynccontextmanager
async def running_server(config: ServerConfig) -> AsyncIterator[RunningServer]:
    """Serve `config` on its host/port for the duration of the block.

    Raises:
        UserError: the config cannot be served (no API key, unknown engine, bad limits).
        OSError: the address cannot be bound.
    """
    validate(config)
    state = ServerState.create(config)
    handler = _Handler(state)
    async with serve(
        handler,
        config.host,
        config.port,
        process_request=handler.process_request,
        max_size=MAX_INCOMING_BYTES,
        compression=None,  # PCM barely compresses; deflate would only cost CPU on both sides
        logger=websockets_logger(),
    ) as server:
        port = server.sockets[0].getsockname()[1]
        yield RunningServer(_url(config.host, port), port, state.stats, config)
