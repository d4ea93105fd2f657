"""An independent Oris Voice peer (server and client), written from PROTOCOL.md alone.

Its purpose is interoperability testing: narrator's client is run against this server and
this client against narrator's local server. It deliberately re-implements the codec that
`narrator.wire.protocol` already has -- that duplication is the point, since a shared codec could
not catch a misreading of the spec made once and used on both ends. It imports nothing from
`narrator`; only the standard library and `websockets`. tests/test_interop.py checks it
against every test vector in PROTOCOL.md before trusting it with anything else.

Choices PROTOCOL.md leaves open are marked "choice:" in comments.
"""

from __future__ import annotations

import asyncio
import json
import struct
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.http11 import Request
from websockets.http11 import Response as HttpResponse

# --- the bytes -----------------------------------------------------------------------------

INPUT_HEADER = struct.Struct("!BQI")  # payload type, timestamp ms, params size
RESPONSE_HEADER = struct.Struct("!B16sQIII")  # is_final, id, timestamp, usage, index, entries
ENTRY_HEADER = struct.Struct("!IB")  # size, payload type
TEXT, AUDIO = 0, 1
RATE = 24_000  # samples per second, int16 little-endian mono
SAMPLES_PER_TOKEN = RATE // 12  # 12 tokens per second of audio
DEFAULT_TOKENS = 360
# choice: "512 KB" read as 512 * 1024 bytes; tests stay clear of the 512_000..524_288 gap.
MAX_FRAME = 512 * 1024


class PeerError(Exception):
    """Bytes or JSON that do not follow PROTOCOL.md."""


@dataclass(frozen=True)
class Input:
    text: str
    params: dict[str, Any]
    timestamp: int
    payload_type: int = TEXT


@dataclass(frozen=True)
class Response:
    is_final: bool
    interaction_id: uuid.UUID
    timestamp: int
    usage: int
    index: int
    entries: tuple[tuple[int, bytes], ...] = ()

    @property
    def audio(self) -> bytes:
        return b"".join(data for kind, data in self.entries if kind == AUDIO)


def encode_input(message: Input) -> bytes:
    # choice: compact JSON, non-ASCII kept as UTF-8; no params means N = 0, not "{}".
    params = b""
    if message.params:
        params = json.dumps(message.params, separators=(",", ":"), ensure_ascii=False).encode()
    header = INPUT_HEADER.pack(message.payload_type, message.timestamp, len(params))
    return header + params + message.text.encode("utf-8")


def decode_input(data: bytes) -> Input:
    if len(data) < INPUT_HEADER.size:
        raise PeerError(f"input of {len(data)} bytes is shorter than its header")
    kind, timestamp, size = INPUT_HEADER.unpack_from(data)
    end = INPUT_HEADER.size + size
    if end > len(data):
        raise PeerError(f"params size {size} runs past the end of the frame")
    try:
        params = json.loads(data[INPUT_HEADER.size : end]) if size else {}
        text = data[end:].decode("utf-8")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PeerError(f"undecodable input: {exc}") from exc
    if not isinstance(params, dict):
        raise PeerError("params must be a JSON object")
    return Input(text, params, timestamp, kind)


def encode_response(message: Response, trailer: bytes = b"") -> bytes:
    parts = [
        RESPONSE_HEADER.pack(
            int(message.is_final),
            message.interaction_id.bytes,
            message.timestamp,
            message.usage,
            message.index,
            len(message.entries),
        )
    ]
    for kind, data in message.entries:
        parts += [ENTRY_HEADER.pack(len(data), kind), data]
    return b"".join(parts) + trailer


def decode_response(data: bytes) -> Response:
    if len(data) < RESPONSE_HEADER.size:
        raise PeerError(f"response of {len(data)} bytes is shorter than its header")
    final, raw_id, timestamp, usage, index, count = RESPONSE_HEADER.unpack_from(data)
    offset, entries = RESPONSE_HEADER.size, []
    for _ in range(count):
        if offset + ENTRY_HEADER.size > len(data):
            raise PeerError("entry header runs past the end of the frame")
        size, kind = ENTRY_HEADER.unpack_from(data, offset)
        offset += ENTRY_HEADER.size
        if offset + size > len(data):
            raise PeerError(f"entry of {size} bytes runs past the end of the frame")
        entries.append((kind, data[offset : offset + size]))
        offset += size
    # Anything after the entries (a frame-type byte on newer servers) is ignored.
    return Response(bool(final), uuid.UUID(bytes=raw_id), timestamp, usage, index, tuple(entries))


def encode_json(kind: str, payload: Mapping[str, Any]) -> str:
    return json.dumps({"type": kind, "payload": dict(payload)})


def decode_json(text: str) -> tuple[str, dict[str, Any]]:
    """Returns (type, payload); raises PeerError for a plain error string or a bad shape."""
    try:
        message = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PeerError(f"plain text frame: {text!r}") from exc
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise PeerError(f"JSON frame without a type: {text!r}")
    payload = message.get("payload")
    return message["type"], payload if isinstance(payload, dict) else {}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def error_json(code: str, message: str, interaction_id: uuid.UUID | None = None) -> str:
    return encode_json(
        "errorResponse",
        {
            "interaction_id": None if interaction_id is None else str(interaction_id),
            "code": code,
            "message": message,
            "details": None,
            "timestamp": now_ms(),
        },
    )


def samples_for(text: str, seconds_per_char: float) -> bytes:
    """Deterministic, order-sensitive int16 LE samples: the audio the peer speaks for `text`."""
    count = int(len(text) * seconds_per_char * RATE)
    codes = text.encode("utf-8") or b"\x00"
    values = (((i * 37 + codes[i % len(codes)] * 101) % 65_536) - 32_768 for i in range(count))
    return struct.pack(f"<{count}h", *values)


# --- the server ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerConfig:
    keys: tuple[str, ...] = ("peer-key",)
    config_ids: tuple[str, ...] = ("joe",)
    auth_refusal: str = "http"  # "http" (401 at the upgrade) or "error" (AUTH_FAILED)
    errors: tuple[str | None, ...] = ()  # n-th interaction (server-wide) answered with this code
    seconds_per_char: float = 0.01
    chunk_samples: int = 2_400  # 0.1 s per InteractionResponse
    entries_per_chunk: int = 1
    empty_final: bool = False  # end with a zero-entry final frame instead of audio
    trailer: bytes = b""
    chunk_delay: float = 0.0
    cancel_reply: bool = True  # answer a cancel with CANCELLED, or just stop
    ready_delay: float = 0.0  # hold sessionReady back, watching for frames sent too early
    close_after_each: bool = False  # close the session after every finished interaction


@dataclass
class PeerState:
    """What the peer server saw, for the tests to assert on."""

    url: str = ""
    auth: list[str | None] = field(default_factory=list)
    inputs: list[Input] = field(default_factory=list)
    connections: int = 0
    interactions: int = 0
    cancels: int = 0
    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # JSON received
    early_frames: int = 0  # frames that arrived before sessionReady was sent


def _query_config(path: str) -> str | None:
    values = parse_qs(urlsplit(path).query).get("config_id")
    return values[0] if values else None


class PeerServer:
    def __init__(self, config: PeerConfig) -> None:
        self.config = config
        self.state = PeerState()

    def process_request(
        self, connection: ServerConnection, request: Request
    ) -> HttpResponse | None:
        key = request.headers.get("Authorization")
        self.state.auth.append(key)
        if key not in self.config.keys and self.config.auth_refusal == "http":
            return connection.respond(HTTPStatus.UNAUTHORIZED, "AUTH_FAILED\n")
        return None

    async def handler(self, ws: ServerConnection) -> None:
        self.state.connections += 1
        refusal = self._refusal(ws)
        if refusal is not None:
            await ws.send(error_json(*refusal))
            await ws.close(1008)  # choice: policy-violation close after a handshake refusal
            return
        await self._watch_for_early_frames(ws)
        await ws.send(
            encode_json(
                "sessionReady",
                {
                    "trace_id": str(uuid.uuid4()),
                    "status": "success",
                    "load": 0.0,
                    "timestamp": now_ms(),
                    "num_clients": self.state.connections,
                    "max_capacity": 4,
                },
            )
        )
        try:
            await self._serve_session(ws)
        except* ConnectionClosed:
            pass  # the client went away; nothing is left to answer

    async def _watch_for_early_frames(self, ws: ServerConnection) -> None:
        """Wait `ready_delay`; a frame arriving meanwhile breaks "nothing before sessionReady"."""
        if self.config.ready_delay <= 0:
            return
        with suppress(TimeoutError):
            async with asyncio.timeout(self.config.ready_delay):
                while True:
                    await ws.recv()
                    self.state.early_frames += 1

    def _refusal(self, ws: ServerConnection) -> tuple[str, str] | None:
        # choice: the key is checked before config_id, as a gateway would.
        assert ws.request is not None
        if ws.request.headers.get("Authorization") not in self.config.keys:
            return "AUTH_FAILED", "invalid API key"
        config_id = _query_config(ws.request.path)
        if not config_id:
            return "MISSING_CONFIG_ID", "config_id query parameter is required"
        if config_id not in self.config.config_ids:
            return "MODEL_NOT_FOUND", f"no model for config_id {config_id!r}"
        return None

    async def _serve_session(self, ws: ServerConnection) -> None:
        pending: Input | None = None
        running: asyncio.Task[None] | None = None
        stop = asyncio.Event()
        async with asyncio.TaskGroup() as group:
            async for frame in ws:
                if isinstance(frame, bytes):
                    pending = await self._take_input(ws, frame)
                    continue
                try:
                    kind, payload = decode_json(frame)
                except PeerError as exc:
                    await ws.send(error_json("INVALID_MESSAGE", str(exc)))
                    continue
                self.state.messages.append((kind, payload))
                if kind == "endInteraction" and pending is not None:
                    if running is not None:
                        await running  # choice: interactions on one session run one at a time
                    stop = asyncio.Event()
                    running = group.create_task(self._speak(ws, pending, stop))
                    pending = None
                elif kind == "cancelInteraction" and running is not None and not running.done():
                    stop.set()
                    self.state.cancels += 1
                # choice: an endInteraction with no input (its input was refused) and a
                # cancel with nothing running are ignored, so no stray error follows them.

    async def _take_input(self, ws: ServerConnection, frame: bytes) -> Input | None:
        if len(frame) > MAX_FRAME:
            await ws.send(error_json("FRAME_SIZE_EXCEEDED", f"{len(frame)} bytes > {MAX_FRAME}"))
            return None
        try:
            message = decode_input(frame)
        except PeerError as exc:
            await ws.send(error_json("INVALID_MESSAGE", str(exc)))
            return None
        if message.payload_type != TEXT:
            await ws.send(error_json("INVALID_MESSAGE", f"payload type {message.payload_type}"))
            return None
        self.state.inputs.append(message)
        return message

    async def _speak(self, ws: ServerConnection, request: Input, stop: asyncio.Event) -> None:
        number, interaction_id = self.state.interactions, uuid.uuid4()
        self.state.interactions += 1
        code = self.config.errors[number] if number < len(self.config.errors) else None
        if code is not None:
            await ws.send(error_json(code, f"scripted {code}", interaction_id))
            return
        for frame in self._frames(request, interaction_id):
            if stop.is_set():  # checked before every chunk: the rest is discarded
                if self.config.cancel_reply:
                    await ws.send(error_json("CANCELLED", "cancelled by client", interaction_id))
                return
            await ws.send(frame)
            await asyncio.sleep(self.config.chunk_delay)  # the pace the test asked of the peer
        if self.config.close_after_each:
            await ws.close(1001, "session over")  # as a service shedding idle sessions would

    def _frames(self, request: Input, interaction_id: uuid.UUID) -> list[bytes]:
        tokens = int(request.params.get("max_new_tokens", DEFAULT_TOKENS))
        pcm = samples_for(request.text, self.config.seconds_per_char)
        pcm = pcm[: tokens * SAMPLES_PER_TOKEN * 2]  # the cap is silent: the reply ends normally
        step = self.config.chunk_samples * 2
        chunks = [pcm[i : i + step] for i in range(0, len(pcm), step)]
        if self.config.empty_final or not chunks:
            chunks.append(b"")
        return [
            encode_response(
                Response(
                    index == len(chunks) - 1,
                    interaction_id,
                    now_ms(),
                    len(chunk) // 2 * 1000 // RATE,  # choice: usage = milliseconds of audio sent
                    index,
                    self._entries(chunk),
                ),
                self.config.trailer,
            )
            for index, chunk in enumerate(chunks)
        ]

    def _entries(self, chunk: bytes) -> tuple[tuple[int, bytes], ...]:
        if not chunk:
            return ()
        parts = max(1, self.config.entries_per_chunk)
        size = -(-len(chunk) // parts // 2) * 2  # whole samples per entry
        return tuple((AUDIO, chunk[i : i + size]) for i in range(0, len(chunk), size))


@asynccontextmanager
async def peer_server(config: PeerConfig | None = None) -> AsyncIterator[PeerServer]:
    """The peer server on 127.0.0.1, port 0; `.state.url` is its endpoint without a query."""
    peer = PeerServer(config or PeerConfig())
    async with serve(
        peer.handler,
        "127.0.0.1",
        0,
        process_request=peer.process_request,
        max_size=2 * MAX_FRAME,  # larger than the limit, so the limit is ours to report
    ) as server:
        port = server.sockets[0].getsockname()[1]
        peer.state.url = f"ws://127.0.0.1:{port}/realtime"
        yield peer


# --- the client ----------------------------------------------------------------------------


@dataclass
class Result:
    """One interaction's outcome as the peer client saw it."""

    responses: list[Response] = field(default_factory=list)
    error: dict[str, Any] | None = None  # an errorResponse payload
    plain_error: str | None = None  # a non-JSON text frame
    closed: bool = False  # the server closed the connection instead of finishing

    @property
    def pcm(self) -> bytes:
        return b"".join(response.audio for response in self.responses)

    @property
    def final(self) -> bool:
        return bool(self.responses) and self.responses[-1].is_final


@dataclass(frozen=True)
class Refusal:
    """The connection was refused: at the upgrade (status) or by an errorResponse (error)."""

    status: int | None = None
    body: bytes = b""
    error: dict[str, Any] | None = None


class PeerClient:
    def __init__(self, ws: ClientConnection, ready: dict[str, Any]) -> None:
        self.ws = ws
        self.ready = ready
        self._cancelled: set[uuid.UUID] = set()
        self._current: uuid.UUID | None = None
        self.dropped = 0  # audio bytes that came for a cancelled interaction after the cancel

    async def send_input(self, text: str, params: Mapping[str, Any] | None = None) -> None:
        await self.ws.send(encode_input(Input(text, dict(params or {}), now_ms())))
        await self.ws.send(encode_json("endInteraction", {"timestamp": now_ms()}))

    async def interact(self, text: str, params: Mapping[str, Any] | None = None) -> Result:
        await self.send_input(text, params)
        return await self.collect()

    async def collect(self, *, stop_after: int | None = None, quiet: float = 5.0) -> Result:
        """Read until is_final, an error, a close, `stop_after` responses or `quiet` s quiet."""
        result = Result()
        while stop_after is None or len(result.responses) < stop_after:
            try:
                async with asyncio.timeout(quiet):
                    frame = await self.ws.recv()
            except TimeoutError:
                break
            except ConnectionClosed:
                result.closed = True
                break
            if self._take(frame, result):
                break
        return result

    def _take(self, frame: str | bytes, result: Result) -> bool:
        """Adds one frame to `result`; True when the interaction is over."""
        if isinstance(frame, bytes):
            response = decode_response(frame)
            if response.interaction_id in self._cancelled:
                self.dropped += len(response.audio)
                return False  # choice: late chunks of a cancelled interaction are dropped
            self._current = response.interaction_id
            result.responses.append(response)
            return response.is_final
        try:
            kind, payload = decode_json(frame)
        except PeerError:
            result.plain_error = frame
            return True
        if kind != "errorResponse":
            return False  # choice: unknown JSON types are skipped
        result.error = payload
        return True

    async def cancel(self, *, quiet: float = 0.3) -> Result:
        """Sends cancelInteraction, then drains the rest: CANCELLED, is_final or silence."""
        await self.ws.send(encode_json("cancelInteraction", {"timestamp": now_ms()}))
        drained = await self.collect(quiet=quiet)
        named = (drained.error or {}).get("interaction_id")
        for known in (self._current, uuid.UUID(named) if named else None):
            if known is not None:
                self._cancelled.add(known)
        return drained


@asynccontextmanager
async def peer_client(
    url: str,
    key: str | None,
    config_id: str | None,
) -> AsyncIterator[PeerClient | Refusal]:
    """Connects and waits for sessionReady; yields a Refusal instead if the server refuses."""
    if config_id is not None:
        url = f"{url}?config_id={config_id}"
    headers = {} if key is None else {"Authorization": key}
    try:
        # The default 1 MiB max_size would refuse 30 s of audio (1.44 MB) sent as one message;
        # no ping timeout, as the vendor advises (the tests bound every wait themselves).
        ws = await connect(
            url, additional_headers=headers, proxy=None, max_size=16 * MAX_FRAME, ping_timeout=None
        )
    except InvalidStatus as exc:
        yield Refusal(status=exc.response.status_code, body=exc.response.body or b"")
        return
    async with ws:
        ready = await _await_ready(ws)
        yield ready if isinstance(ready, Refusal) else PeerClient(ws, ready)


async def _await_ready(ws: ClientConnection) -> dict[str, Any] | Refusal:
    """Nothing is sent before sessionReady; an error (JSON or plain) or a close refuses."""
    try:
        while True:
            frame = await ws.recv()
            if isinstance(frame, bytes):
                raise PeerError("binary frame before sessionReady")
            try:
                kind, payload = decode_json(frame)
            except PeerError:
                return Refusal(error={"code": None, "message": frame})
            if kind == "sessionReady":
                return payload
            if kind == "errorResponse":
                return Refusal(error=payload)
    except ConnectionClosed:
        return Refusal()


async def peer_synthesize(
    url: str,
    key: str | None,
    config_id: str | None,
    text: str,
    params: Mapping[str, Any] | None = None,
) -> Result | Refusal:
    """One whole interaction on a fresh connection."""
    async with peer_client(url, key, config_id) as client:
        if isinstance(client, Refusal):
            return client
        return await client.interact(text, params)
