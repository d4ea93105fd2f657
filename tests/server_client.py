"""A minimal raw WebSocket client for the local server's tests.

Independent of narrator.wire.client, so the server is not tested only against its own client.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from narrator.errors import RemoteProtocolError
from narrator.server import RunningServer, ServerConfig, running_server
from narrator.wire import protocol as p

KEY = "sk-local-test-key-0123456789"
OTHER_KEY = "sk-local-other-key-9876543210"
CHUNK_BYTES = 24_000  # 0.5 s of 24 kHz int16


def config(**overrides: Any) -> ServerConfig:
    values: dict[str, Any] = {"api_keys": (KEY, OTHER_KEY), "engines": ("test",)}
    values.update(overrides)
    return ServerConfig(**values)


@asynccontextmanager
async def server(**overrides: Any) -> AsyncIterator[RunningServer]:
    async with running_server(config(**overrides)) as running:
        yield running


def url_for(running: RunningServer, config_id: str | None = "test", path: str = "/") -> str:
    base = f"ws://127.0.0.1:{running.port}{path}"
    return base if config_id is None else f"{base}?config_id={config_id}"


async def open_ws(url: str, key: str | None = KEY) -> ClientConnection:
    headers = {} if key is None else {"Authorization": key}
    return await connect(url, additional_headers=headers, proxy=None, max_size=None)


@dataclass
class Interaction:
    """What came back for one request: responses in order, then the error if one ended it."""

    responses: list[p.InteractionResponse] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    error: p.ErrorResponse | None = None
    plain_text: str | None = None  # a non-JSON text frame (an error string) ended it

    @property
    def audio(self) -> bytes:
        return b"".join(r.audio for r in self.responses)

    @property
    def final(self) -> bool:
        return bool(self.responses) and self.responses[-1].is_final


class RawClient:
    """Sends inputs and control messages, decodes whatever comes back."""

    def __init__(self, ws: ClientConnection):
        self.ws = ws

    async def ready(self) -> p.SessionReady:
        message = p.decode_message(await self.ws.recv())
        assert isinstance(message, p.SessionReady), message
        return message

    async def send_input(self, text: str, params: dict[str, Any] | None = None) -> None:
        await self.ws.send(p.encode_input(p.InteractionInput(text, _ms(), params or {})))

    async def end(self) -> None:
        await self.ws.send(p.encode_message(p.EndInteraction(_ms())))

    async def cancel(self) -> None:
        await self.ws.send(p.encode_message(p.CancelInteraction(_ms())))

    async def request(self, text: str, params: dict[str, Any] | None = None) -> None:
        await self.send_input(text, params)
        await self.end()

    async def error(self) -> p.ErrorResponse:
        message = p.decode_message(await self.ws.recv())
        assert isinstance(message, p.ErrorResponse), message
        return message

    async def collect(self) -> Interaction:
        """Frames until a final response, an errorResponse or a plain-text error frame."""
        result = Interaction()
        while True:
            frame = await self.ws.recv()
            if isinstance(frame, str):
                try:
                    message = p.decode_message(frame)
                except RemoteProtocolError:
                    result.plain_text = frame
                    return result
                assert isinstance(message, p.ErrorResponse), message
                result.error = message
                return result
            result.raw.append(frame)
            result.responses.append(p.decode_response(frame))
            if result.responses[-1].is_final:
                return result

    async def synthesize(self, text: str, params: dict[str, Any] | None = None) -> Interaction:
        await self.request(text, params)
        return await self.collect()


@asynccontextmanager
async def session(
    running: RunningServer, config_id: str = "test", key: str = KEY
) -> AsyncIterator[RawClient]:
    ws = await open_ws(url_for(running, config_id), key)
    try:
        client = RawClient(ws)
        await client.ready()
        yield client
    finally:
        await ws.close()


def _ms() -> int:
    return int(time.time() * 1000)
