"""One accepted WebSocket session: read frames, run interactions one at a time, stream audio.

The reader loop owns the session state (pending input, running interaction) and answers
protocol mistakes itself; each interaction runs as a child task in its own cancel scope, so
`cancelInteraction` can stop it at once while the reader keeps listening.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.lowlevel
from anyio.abc import TaskGroup
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from narrator.codes import ErrorCode
from narrator.errors import RemoteProtocolError
from narrator.server import faults
from narrator.server.chunks import Chunker, cap_samples
from narrator.server.engines import SynthesisRequest
from narrator.server.state import ServerState
from narrator.server.stats import CANCELLED, DISCONNECTED, InteractionRecord
from narrator.wire import protocol as proto

log = logging.getLogger(__name__)

TRAILER = b"\x01"  # the frame-type byte newer servers append after the entries
PLAIN_TEXT_ERROR = "internal error"


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class _Interaction:
    """The mutable state of one running interaction (not a value: the reader and task share it)."""

    request: proto.InteractionInput
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    received: float = field(default_factory=anyio.current_time)  # event-loop clock
    cancelled: bool = False
    index: int = 0
    samples: int = 0
    truncated: bool = False


@dataclass(frozen=True)
class _Ending:
    outcome: str
    injected: bool = False


class Connection:
    """Serves one session for `config_id` after the handshake checks passed."""

    def __init__(self, ws: ServerConnection, state: ServerState, config_id: str, key_id: int):
        self._ws = ws
        self._state = state
        self._config = state.config
        self._config_id = config_id
        self._key_id = key_id
        self._engine = state.engines[config_id]
        self._pending: proto.InteractionInput | None = None
        # The last InteractionInput was refused: the endInteraction the client sent right after
        # it is expected and answered with silence, not with a second error.
        self._input_refused = False
        self._running: _Interaction | None = None
        self._tasks: TaskGroup | None = None
        self._last_activity = anyio.current_time()

    async def run(self) -> None:
        """Send sessionReady, then serve until the client leaves or idles out."""
        self._bound_send_queue()
        await self._send_ready()
        async with anyio.create_task_group() as tasks:
            self._tasks = tasks
            try:
                await self._read_loop()
            finally:
                tasks.cancel_scope.cancel()

    def _bound_send_queue(self) -> None:
        """Keep about one chunk queued for the client, so a cancel stops the audio at once.

        Unbounded, the kernel's send buffer (autotuned to megabytes on loopback) holds audio
        the server can no longer take back: up to 43 MB reached a client after its cancel.
        With the socket's buffer at one chunk and the transport's at zero, each send waits for
        the client to take the previous chunk. Throughput stays far above real time (one
        chunk per round trip: 0.5 s of audio per 50 ms RTT is 10x).
        """
        chunk = round(self._config.chunk_seconds * proto.SAMPLE_RATE) * proto.SAMPLE_WIDTH
        sock = self._ws.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, max(4096, chunk))
        self._ws.transport.set_write_buffer_limits(high=0)

    async def _send_ready(self) -> None:
        capacity = self._state.capacity
        ready = proto.SessionReady(
            trace_id=str(uuid.uuid4()),
            timestamp_ms=now_ms(),
            load=capacity.load,
            parameters={"config_id": self._config_id, "sample_rate": proto.SAMPLE_RATE},
            num_clients=self._state.stats.open_connections,
            max_capacity=capacity.limit,
        )
        await self._ws.send(proto.encode_message(ready))

    # --- reading ------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        try:
            while True:
                frame = await self._receive()
                if frame is None:
                    await self._ws.close(1000, "idle timeout")
                    return
                await self._dispatch(frame)
        except ConnectionClosed:
            return

    async def _receive(self) -> str | bytes | None:
        """The next frame, or None once the client has been idle too long with nothing running.

        Idle time counts from the client's last frame or the end of the last interaction,
        whichever is later: waiting for a slow synthesis is not idling.
        """
        while True:
            idle_until = self._last_activity + self._config.idle_timeout
            with anyio.move_on_after(max(0.0, idle_until - anyio.current_time())):
                frame = await self._ws.recv()
                self._last_activity = anyio.current_time()
                return frame
            if self._running is not None:
                self._last_activity = anyio.current_time()
            elif anyio.current_time() >= self._last_activity + self._config.idle_timeout:
                return None

    async def _dispatch(self, frame: str | bytes) -> None:
        size = len(frame) if isinstance(frame, bytes) else len(frame.encode("utf-8"))
        if size > proto.MAX_MESSAGE_BYTES:
            self._input_refused = isinstance(frame, bytes)
            await self._error(
                ErrorCode.FRAME_SIZE_EXCEEDED,
                f"message of {size} bytes is over the {proto.MAX_MESSAGE_BYTES}-byte limit; "
                "send a shorter text",
            )
        elif isinstance(frame, bytes):
            await self._on_input(frame)
        else:
            await self._on_text(frame)

    async def _on_input(self, frame: bytes) -> None:
        self._input_refused = True
        if self._running is not None or self._pending is not None:
            await self._error(
                ErrorCode.INVALID_MESSAGE,
                "an interaction is already in progress; wait for its final message or cancel it",
            )
            return
        try:
            request = proto.decode_input(frame)
            check_params(request.params)
            self._engine.check(request.params)
        except RemoteProtocolError as exc:
            await self._error(ErrorCode.INVALID_MESSAGE, str(exc))
            return
        self._pending = request
        self._input_refused = False

    async def _on_text(self, frame: str) -> None:
        try:
            message = proto.decode_message(frame)
        except RemoteProtocolError as exc:
            await self._error(ErrorCode.INVALID_MESSAGE, str(exc))
            return
        if isinstance(message, proto.EndInteraction):
            await self._on_end()
        elif isinstance(message, proto.CancelInteraction):
            await self._on_cancel()
        else:
            kind = type(message).__name__
            await self._error(ErrorCode.INVALID_MESSAGE, f"a client may not send {kind}")

    async def _on_end(self) -> None:
        if self._pending is None and self._input_refused:
            self._input_refused = False  # the end of the input already answered with an error
            return
        if self._pending is None:
            await self._error(
                ErrorCode.INVALID_MESSAGE,
                "endInteraction without a pending InteractionInput; send the text first",
            )
            return
        interaction = _Interaction(self._pending)
        self._pending = None
        self._running = interaction
        self._state.stats.requests += 1
        # Drawn here, in request order, so a seeded plan replays the same way every run.
        fault = self._state.next_fault()
        assert self._tasks is not None
        self._tasks.start_soon(self._run, interaction, fault)

    async def _on_cancel(self) -> None:
        self._pending = None
        interaction, self._running = self._running, None
        if interaction is None:
            return  # nothing running (it may have just finished): nothing to stop
        interaction.cancelled = True
        interaction.scope.cancel()
        await self._error(
            ErrorCode.CANCELLED, "interaction cancelled by the client", interaction.id
        )

    # --- one interaction ----------------------------------------------------------------

    async def _run(self, it: _Interaction, fault: faults.Fault) -> None:
        ending = _Ending(DISCONNECTED)
        try:
            with it.scope:
                ending = await self._serve(it, fault)
        except ConnectionClosed:
            ending = _Ending(DISCONNECTED)
        except Exception as exc:
            # One line: in the embedded server this reaches the user's terminal; the client
            # reports the failure. The traceback is there for whoever turns on debug logging.
            log.error("interaction %s failed: %s: %s", it.id, type(exc).__name__, exc)
            log.debug("interaction %s failed", it.id, exc_info=True)
            ending = _Ending(ErrorCode.INTERNAL_ERROR.value)
            with contextlib.suppress(ConnectionClosed):
                await self._error(ErrorCode.INTERNAL_ERROR, f"synthesis failed: {exc}", it.id)
        finally:
            if self._running is it:
                self._running = None
            self._last_activity = anyio.current_time()
            self._record(it, _Ending(CANCELLED) if it.cancelled else ending)

    def _record(self, it: _Interaction, ending: _Ending) -> None:
        seconds = it.samples / proto.SAMPLE_RATE
        record = InteractionRecord(
            str(it.id),
            self._config_id,
            it.request.text,
            ending.outcome,
            seconds,
            it.truncated,
            ending.injected,
        )
        self._state.stats.record(record)

    async def _serve(self, it: _Interaction, fault: faults.Fault) -> _Ending:
        if fault.error_code is not None:
            await self._error(fault.error_code, "injected fault", it.id)
            return _Ending(fault.error_code, injected=True)
        refused = await self._check_limits(it)
        if refused is not None:
            return _Ending(refused)
        try:
            delay = self._config.latency + fault.delay
            if delay > 0:
                # Counted from the request's arrival: a fixed latency per request, not per hop.
                await anyio.sleep_until(it.received + delay)
            final = await self._stream(it, fault)
        finally:
            # Freed before the final goes out, so the client's next request finds the slot free.
            self._state.capacity.release()
        if final is None:
            return _Ending(fault.kind, injected=True)
        if self._running is it:
            self._running = None  # a cancel from now on concerns nothing
        await self._send_response(it, *final, final=True)
        return _Ending(faults.OK, injected=fault.delay > 0 or fault.mis_speaks)

    async def _check_limits(self, it: _Interaction) -> str | None:
        """Take a capacity slot, or answer why not (the returned error code)."""
        limiter = self._state.limiter
        if limiter is not None and not limiter.allow(self._key_id):
            await self._error(
                ErrorCode.RATE_LIMITED,
                f"more than {limiter.rate:g} requests/s for this API key; slow down",
                it.id,
            )
            return ErrorCode.RATE_LIMITED.value
        if not self._state.capacity.try_acquire():
            await self._error(
                ErrorCode.BACKEND_UNAVAILABLE,
                f"all {self._state.capacity.limit} synthesis slots are busy; retry later",
                it.id,
            )
            return ErrorCode.BACKEND_UNAVAILABLE.value
        return None

    async def _stream(self, it: _Interaction, fault: faults.Fault) -> tuple[bytes, int] | None:
        """Send the non-final chunks; return the final chunk, or None if a fault ended it."""
        max_new_tokens = it.request.params.get("max_new_tokens", proto.DEFAULT_MAX_NEW_TOKENS)
        limit = cap_samples(int(max_new_tokens))  # checked: a positive whole number
        chunker = Chunker(round(self._config.chunk_seconds * proto.SAMPLE_RATE), limit)
        request = SynthesisRequest(fault.spoken(it.request.text), it.request.params, limit)
        pieces = self._engine.stream(request)
        try:
            async for piece in pieces:
                for pcm, usage in chunker.feed(piece):
                    await self._send_response(it, pcm, usage, final=False)
                    # A send the kernel takes at once does not yield: let the reader see a
                    # cancel between any two chunks.
                    await anyio.lowlevel.checkpoint()
                    if fault.mid_stream:
                        await self._inject(fault.kind)
                        return None
                if chunker.full:
                    break
        finally:
            await _aclose(pieces)
        it.truncated = chunker.full
        tail = chunker.finish()
        if fault.mid_stream:
            if tail[0]:
                await self._send_response(it, *tail, final=False)
            await self._inject(fault.kind)
            return None
        return tail

    async def _inject(self, kind: str) -> None:
        """A mid-stream failure, after some audio went out."""
        if kind == faults.DROP:
            self._ws.transport.abort()  # no close frame: the client sees an abnormal close
        elif kind == faults.MALFORMED:
            await self._ws.send(malformed_frame(now_ms()))
        elif kind == faults.PLAIN_TEXT:
            await self._ws.send(PLAIN_TEXT_ERROR)

    # --- sending ------------------------------------------------------------------------

    async def _send_response(
        self, it: _Interaction, pcm: bytes, usage: int, *, final: bool
    ) -> None:
        if it.cancelled:
            return  # the cancel scope stops this task at its next await; send nothing more
        entries = (proto.Entry(proto.PayloadType.AUDIO, pcm),) if pcm else ()
        response = proto.InteractionResponse(final, it.id, now_ms(), usage, it.index, entries)
        it.index += 1
        it.samples += len(pcm) // proto.SAMPLE_WIDTH
        trailer = TRAILER if self._config.trailing_byte else b""
        await self._ws.send(proto.encode_response(response, trailer))

    async def _error(
        self, code: ErrorCode | str, message: str, interaction_id: uuid.UUID | None = None
    ) -> None:
        error = proto.ErrorResponse(
            str(code), message, now_ms(), None if interaction_id is None else str(interaction_id)
        )
        await self._ws.send(proto.encode_message(error))


def check_params(params: dict[str, Any]) -> None:
    """Refuse params the server cannot honour; unknown keys pass through untouched.

    A voice's own params (the test voice's `chars_per_second`) are its engine's to check
    (`Engine.check`); to any other voice they are extra params, passed through.
    """
    tokens = params.get("max_new_tokens", proto.DEFAULT_MAX_NEW_TOKENS)
    # A whole number written as a float (360.0, as some JSON encoders do) is still a count.
    whole = isinstance(tokens, int) or (isinstance(tokens, float) and tokens.is_integer())
    if isinstance(tokens, bool) or not whole or tokens <= 0:
        raise RemoteProtocolError(f"max_new_tokens must be a positive integer, got {tokens!r}")
    language = params.get("language", "Auto")
    if not isinstance(language, str) or not language.strip():
        raise RemoteProtocolError(f'language must be a language name or "Auto", got {language!r}')


def malformed_frame(timestamp_ms: int) -> bytes:
    """An InteractionResponse whose one audio entry declares more bytes than the frame holds."""
    response = proto.InteractionResponse(
        False, uuid.uuid4(), timestamp_ms, 0, 0, (proto.Entry(proto.PayloadType.AUDIO, bytes(64)),)
    )
    return proto.encode_response(response)[:-48]


async def _aclose(stream: Any) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()
