"""The local server under abuse: crowds, oversized and malformed frames, silent, slow and vanishing
clients, raw TCP garbage and fuzzed frames. After each scenario the server is back to zero open
connections and serves a fresh client normally.
"""

from __future__ import annotations

import json
import socket
import struct
import time
import tracemalloc
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_client import KEY, RawClient, open_ws, server, session, url_for
from support import wait_until
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from narrator.codes import ErrorCode
from narrator.server import RunningServer, textcode
from narrator.wire import protocol as p

CROWD = 200
SHORT = "A short line."


# --- helpers ---------------------------------------------------------------------------


async def settled(running: RunningServer, text: str = "Back to normal.") -> None:
    """Open connections drain to 0 (polled briefly) and a fresh client is served."""
    await wait_until(lambda: not running.stats.open_connections, "drain to 0 connections", 3)
    async with session(running) as client:
        await assert_spoken(client, text)


async def assert_spoken(client: RawClient, text: str) -> None:
    result = await client.synthesize(text)
    assert result.error is None and result.final, result.error
    assert textcode.decode_text(result.audio) == text


def check_answer(frame: str | bytes) -> p.ErrorResponse | p.InteractionResponse:
    """Any frame the server sends is a valid protocol message (never a server-only message)."""
    if isinstance(frame, bytes):
        return p.decode_response(frame)
    message = p.decode_message(frame)
    assert isinstance(message, p.ErrorResponse), message
    assert ErrorCode.parse(message.code) is not None, message.code
    return message


def input_frame(text: bytes, params: bytes = b"", kind: int = 0, size: int | None = None) -> bytes:
    """An InteractionInput built by hand, so its header may lie about the params size."""
    declared = len(params) if size is None else size
    return struct.pack("!BQI", kind, 1_700_000_000_000, declared) + params + text


# --- many clients at once --------------------------------------------------------------


async def _one_of_crowd(running: RunningServer, n: int, refused: list[int]) -> None:
    async with session(running) as client:
        text = f"Voice number {n}."
        for _ in range(200):  # bounded retries on a busy server
            result = await client.synthesize(text)
            if result.error is None:
                assert result.final and textcode.decode_text(result.audio) == text
                return
            assert result.error.code == ErrorCode.BACKEND_UNAVAILABLE, result.error
            refused.append(n)
            await anyio.sleep(0.05)  # a polite client's pause before it retries, not a wait
        pytest.fail(f"client {n} was refused 200 times")


async def _crowd(running: RunningServer) -> list[int]:
    refused: list[int] = []
    with anyio.fail_after(20):
        async with anyio.create_task_group() as tasks:
            for n in range(CROWD):
                tasks.start_soon(_one_of_crowd, running, n, refused)
    return refused


@pytest.mark.anyio
async def test_200_concurrent_sessions_all_served_when_capacity_allows():
    async with server(capacity=CROWD) as running:
        assert await _crowd(running) == []
        assert running.stats.outcomes == {"ok": CROWD}
        await settled(running)


@pytest.mark.anyio
async def test_200_concurrent_sessions_over_default_capacity_are_refused_then_served_on_retry():
    async with server(latency=0.1) as running:  # the latency keeps the 8 slots busy
        assert running.config.capacity == 8
        refused = await _crowd(running)
        assert refused, "with 8 slots and 200 clients some must be refused"
        assert running.stats.outcomes["ok"] == CROWD
        assert running.stats.outcomes["BACKEND_UNAVAILABLE"] == len(refused)
        await settled(running)


# --- oversized frames ------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    "frame",
    [
        b"\x00" * (p.MAX_MESSAGE_BYTES + 1),
        "t" * (p.MAX_MESSAGE_BYTES + 1),
        input_frame(b"z" * (3 * 1024 * 1024)),
        "\u00e9" * (p.MAX_MESSAGE_BYTES // 2 + 1),
    ],
    ids=["binary-512k+1", "text-512k+1", "binary-3mb", "text-utf8-bytes-over"],
)
async def test_oversized_frame_is_refused_and_the_session_stays_usable(frame):
    async with server() as running:
        async with session(running) as client:
            await client.ws.send(frame)
            assert (await client.error()).code == ErrorCode.FRAME_SIZE_EXCEEDED
            await client.end()  # nothing of the big frame was kept as a pending input
            if isinstance(frame, str):  # not an input: the end has nothing to end
                assert (await client.error()).code == ErrorCode.INVALID_MESSAGE
            # after a refused input its end is silent: the next answer is the next request's
            await assert_spoken(client, SHORT)
            assert running.stats.requests == 1
        await settled(running)


@pytest.mark.anyio
async def test_a_frame_past_the_transport_limit_closes_only_that_session():
    async with server() as running:
        async with session(running) as bystander:
            ws = await open_ws(url_for(running))
            await RawClient(ws).ready()
            await ws.send(b"\x00" * (5 * 1024 * 1024))
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
            await assert_spoken(bystander, SHORT)
        await settled(running)


# --- malformed frames ------------------------------------------------------------------

MALFORMED = {
    "empty-binary": b"",
    "short-header": b"\x00\x01\x02",
    "header-minus-one": bytes(12),
    "params-size-past-end": input_frame(b"hi", b"{}", size=50),
    "params-size-huge": input_frame(b"", size=0xFFFF_FFFF),
    "params-not-json": input_frame(b"hi", b"{nope"),
    "params-not-utf8": input_frame(b"hi", b"\xff\xfe"),
    "params-not-object": input_frame(b"hi", b"[1,2]"),
    "params-deeply-nested": input_frame(b"hi", b"[" * 50_000),
    "params-bad-value": input_frame(b"hi", b'{"max_new_tokens":"lots"}'),
    "text-not-utf8": input_frame(b"\xc3\x28 broken"),
    "audio-payload-type": input_frame(b"hi", kind=1),
    "payload-type-255": input_frame(b"hi", kind=255),
    "plain-text": "hello there",
    "empty-text": "",
    "json-number": "42",
    "json-null": "null",
    "json-list": '["endInteraction"]',
    "no-type": '{"payload": {}}',
    "type-not-string": '{"type": 7}',
    "unknown-type": '{"type": "startInteraction"}',
    "payload-not-object": '{"type": "endInteraction", "payload": [1]}',
    "timestamp-string": '{"type": "cancelInteraction", "payload": {"timestamp": "now"}}',
    "timestamp-nan": '{"type": "endInteraction", "payload": {"timestamp": NaN}}',
    "timestamp-overflow": '{"type": "endInteraction", "payload": {"timestamp": 1e400}}',
    "deeply-nested-json": "[" * 50_000,
    "server-message-ready": p.encode_message(p.SessionReady("trace", 1)),
    "server-message-error": p.encode_message(p.ErrorResponse("BOOM", "no", 1)),
}


@pytest.mark.anyio
@pytest.mark.parametrize("frame", list(MALFORMED.values()), ids=list(MALFORMED))
async def test_malformed_frame_is_invalid_message_and_the_session_keeps_working(frame):
    async with server() as running:
        async with session(running) as client:
            await client.ws.send(frame)
            assert (await client.error()).code == ErrorCode.INVALID_MESSAGE
            await assert_spoken(client, SHORT)
            assert running.stats.requests == 1  # the bad frame never became a request
        await settled(running)


@pytest.mark.anyio
async def test_malformed_frames_to_a_joe_session_are_refused_before_the_voice_loads():
    async with server(engines=("joe", "test")) as running:
        async with session(running, "joe") as client:
            for frame in (MALFORMED["params-deeply-nested"], MALFORMED["timestamp-overflow"]):
                await client.ws.send(frame)
                assert (await client.error()).code == ErrorCode.INVALID_MESSAGE
        assert running.stats.requests == 0
        await settled(running)


# --- silent, slow and vanishing clients ------------------------------------------------


@pytest.mark.anyio
async def test_a_client_that_says_nothing_is_closed_after_the_idle_timeout():
    async with server(idle_timeout=0.3) as running:
        ws = await open_ws(url_for(running))
        await RawClient(ws).ready()
        start = time.perf_counter()
        with pytest.raises(ConnectionClosed) as closed:
            with anyio.fail_after(3):
                await ws.recv()
        assert 0.25 < time.perf_counter() - start < 1.5
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000
        await settled(running)


@pytest.mark.anyio
async def test_a_tcp_client_that_never_handshakes_does_not_block_others():
    async with server(idle_timeout=0.3) as running:
        silent = [await anyio.connect_tcp("127.0.0.1", running.port) for _ in range(5)]
        try:
            async with session(running) as client:
                await assert_spoken(client, SHORT)
        finally:
            for stream in silent:
                await stream.aclose()
        await settled(running)


def _small_buffer_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)  # before connect: it sticks
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


async def _slow_reader(running: RunningServer) -> RawClient:
    """A session on a socket with a small receive buffer, whose client queues one frame only."""
    ws = await connect(
        url_for(running),
        sock=_small_buffer_socket(running.port),
        proxy=None,
        max_size=None,
        max_queue=1,
        additional_headers={"Authorization": KEY},
    )
    client = RawClient(ws)
    await client.ready()
    return client


# 400 s of audio (19 MB) at 5 chars/s: far more than the socket buffers hold, so without a
# reader the server must wait (backpressure) rather than finish or keep it all in memory.
LONG_TEXT = "The slow reader never looks at its mail. " * 50
LONG_PARAMS = {"max_new_tokens": 6000, "chars_per_second": 5.0}


@pytest.mark.anyio
async def test_a_client_that_never_reads_is_held_back_while_others_are_served():
    async with server() as running:
        reader = await _slow_reader(running)
        await reader.request(LONG_TEXT, LONG_PARAMS)
        await anyio.sleep(0.5)  # the fault under test: the reader idles, its socket fills
        async with session(running) as other:
            await assert_spoken(other, "Meanwhile, someone else is served.")
        assert running.stats.texts(None) == ["Meanwhile, someone else is served."]
        with anyio.fail_after(10):
            result = await reader.collect()
        assert result.final and textcode.decode(result.audio)[0].text == LONG_TEXT
        await reader.ws.close()
        await settled(running)


@pytest.mark.anyio
async def test_a_client_that_vanishes_mid_stream_frees_its_slot():
    async with server(capacity=1) as running:
        reader = await _slow_reader(running)
        await reader.request(LONG_TEXT, LONG_PARAMS)
        assert isinstance(await reader.ws.recv(), bytes)  # audio is streaming
        await anyio.sleep(0.2)  # the fault under test: the reader idles till its socket is full
        reader.ws.transport.abort()  # vanish: no close frame, a reset
        await wait_until(lambda: bool(running.stats.interactions), "interaction ended", 3)
        assert running.stats.outcomes == {"disconnected": 1}
        await settled(running)  # the only slot is free again
        assert running.stats.outcomes == {"disconnected": 1, "ok": 1}


@pytest.mark.anyio
async def test_a_client_that_vanishes_while_waiting_for_its_slot_frees_it():
    async with server(capacity=1, latency=0.3) as running:
        ws = await open_ws(url_for(running))
        await RawClient(ws).ready()
        await RawClient(ws).request(SHORT)
        await wait_until(lambda: running.stats.requests == 1, "request on the server")
        ws.transport.abort()
        await settled(running)
        assert running.stats.outcomes["ok"] == 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    "junk",
    [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(40),  # a TLS hello
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",  # plain HTTP, no upgrade
        b"NOT HTTP AT ALL\r\n\r\n",
        bytes(range(256)) * 64,
        b"\r\n" * 5000,
    ],
    ids=["tls-hello", "http-no-upgrade", "junk-line", "binary-16k", "blank-lines"],
)
async def test_raw_tcp_garbage_is_dropped_and_the_server_keeps_serving(junk):
    async with server() as running:
        for _ in range(3):
            stream = await anyio.connect_tcp("127.0.0.1", running.port)
            try:
                await stream.send(junk)
            finally:
                await stream.aclose()
        stream = await anyio.connect_tcp("127.0.0.1", running.port)
        await stream.send(junk)
        await stream.send_eof()
        with anyio.fail_after(3):  # the server answers (an HTTP error) or hangs up, promptly
            await _drain(stream)
        await stream.aclose()
        assert running.stats.connections == 0
        await settled(running)


async def _drain(stream: Any) -> None:
    try:
        while await stream.receive():
            pass
    except (anyio.EndOfStream, anyio.BrokenResourceError, ConnectionResetError):
        pass


# --- fuzzing ---------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
_messages = st.builds(
    lambda kind, payload: json.dumps({"type": kind, "payload": payload}),
    st.sampled_from(["endInteraction", "cancelInteraction", "sessionReady", "errorResponse", "x"]),
    _json,
)
_inputs = st.builds(
    lambda kind, size, params, text: input_frame(text, params, kind, size),
    st.sampled_from([0, 0, 0, 1, 2, 200]),
    st.none() | st.integers(0, 64),
    st.binary(max_size=40) | _json.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
)
FRAMES = st.lists(
    st.binary(max_size=300) | st.text(max_size=300) | _messages | _inputs, min_size=1, max_size=12
)


async def _fuzz_session(frames: list[str | bytes]) -> None:
    async with server() as running:
        async with session(running) as client:
            for frame in frames:
                await client.ws.send(frame)
            await client.cancel()  # clear whatever the fuzz left pending or running
            sentinel = "Fuzz is over."
            await client.request(sentinel)
            audio: dict[str, bytes] = {}
            with anyio.fail_after(5):
                while True:
                    answer = check_answer(await client.ws.recv())
                    if isinstance(answer, p.InteractionResponse):
                        key = str(answer.interaction_id)
                        audio[key] = audio.get(key, b"") + answer.audio
                        if answer.is_final and textcode.decode_text(audio[key]) == sentinel:
                            break
        await settled(running)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames=FRAMES)
def test_fuzzed_frames_never_break_the_session(frames):
    anyio.run(_fuzz_session, frames, backend="asyncio")


@pytest.mark.anyio
async def test_hours_of_requested_audio_are_streamed_not_built_in_memory():
    # 9,600 chars at 0.5 chars/s is 5.3 hours (920 MB of PCM), and max_new_tokens lets it all
    # through: the server may only hold a few chunks of it while the client reads slowly.
    text = "Memory is finite, hours are not. " * 290
    params = {"max_new_tokens": 10**9, "chars_per_second": 0.5}
    tracemalloc.start()
    try:
        async with server() as running:
            async with session(running) as client:
                await client.request(text, params)
                assert isinstance(await client.ws.recv(), bytes)
                await client.cancel()
                with anyio.fail_after(3):
                    while isinstance(frame := await client.ws.recv(), bytes):
                        pass
                assert check_answer(frame).code == ErrorCode.CANCELLED
            peak = tracemalloc.get_traced_memory()[1]
            await settled(running)
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024 * 1024
    assert running.stats.outcomes == {"cancelled": 1, "ok": 1}
