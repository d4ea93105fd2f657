"""Client session against real WebSocket servers on 127.0.0.1 port 0, scripted frame by frame."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from http import HTTPStatus

import anyio
import pytest
from websockets.asyncio.server import ServerConnection, serve

from narrator.codes import ErrorCode
from narrator.errors import (
    AuthError,
    DeadlineExceeded,
    RemoteProtocolError,
    ServerError,
    TransportError,
    Verdict,
    classify,
)
from narrator.wire import protocol as p
from narrator.wire.client import Endpoint, Session

KEY = "sk-test-secret-value-123"
ID = uuid.UUID("12345678-1234-5678-1234-567812345678")
SECOND = p.SAMPLE_RATE * p.SAMPLE_WIDTH

Handler = Callable[[ServerConnection], Awaitable[None]]


@asynccontextmanager
async def scripted(handler: Handler, *, refuse_status: int | None = None) -> AsyncIterator[dict]:
    """A real WebSocket server on a free loopback port running `handler` per connection."""
    seen: dict = {"paths": [], "auth": [], "connections": 0}

    def process_request(connection, request):
        seen["paths"].append(request.path)
        seen["auth"].append(request.headers.get("Authorization"))
        if refuse_status is not None:
            return connection.respond(HTTPStatus(refuse_status), "no\n")
        return None

    async def wrapped(ws: ServerConnection) -> None:
        seen["connections"] += 1
        await handler(ws)

    async with serve(wrapped, "127.0.0.1", 0, process_request=process_request) as server:
        port = server.sockets[0].getsockname()[1]
        seen["url"] = f"ws://127.0.0.1:{port}/realtime"
        yield seen


def ready() -> str:
    return p.encode_message(p.SessionReady("trace", 1, max_capacity=8, num_clients=1))


def response(audio: bytes, final: bool, index: int = 0, usage: int = 1, entries=None) -> bytes:
    items = entries if entries is not None else ((p.Entry(1, audio),) if audio else ())
    return p.encode_response(p.InteractionResponse(final, ID, 2, usage, index, items), b"\x01")


async def read_request(ws: ServerConnection) -> p.InteractionInput:
    message = p.decode_input(await ws.recv())
    end = p.decode_message(await ws.recv())
    assert isinstance(end, p.EndInteraction)
    return message


def echo_server(seconds_for: Callable[[str], float] = lambda text: 0.5) -> Handler:
    """Answers each interaction with silence whose length depends on the text, in 2 chunks."""

    async def handler(ws: ServerConnection) -> None:
        await ws.send(ready())
        async for _ in _forever():
            request = await read_request(ws)
            pcm = b"\x00\x00" * int(seconds_for(request.text) * p.SAMPLE_RATE)
            half = len(pcm) // 2
            await ws.send(response(pcm[:half], False, 0))
            await ws.send(response(pcm[half:], True, 1))

    return handler


async def _forever() -> AsyncIterator[None]:
    while True:
        yield None


def session_for(seen: dict, **kwargs) -> Session:
    return Session(Endpoint(seen["url"], "joe", KEY), **kwargs)


@pytest.mark.anyio
async def test_handshake_sends_raw_key_and_config_id_and_waits_for_ready():
    async with scripted(echo_server()) as seen, session_for(seen) as session:
        result = await session.synthesize("Hello.", {"language": "English"})
    assert seen["auth"] == [KEY]  # raw key, no "Bearer "
    assert seen["paths"] == ["/realtime?config_id=joe"]
    assert result.seconds == pytest.approx(0.5)
    assert result.usage == 2 and result.messages == 2 and not result.truncated
    assert session.ready is not None and session.ready.max_capacity == 8


@pytest.mark.anyio
async def test_session_is_reused_across_interactions():
    async with scripted(echo_server()) as seen, session_for(seen) as session:
        for _ in range(3):
            await session.synthesize("Again.")
        assert session.connects == 1 and seen["connections"] == 1


@pytest.mark.anyio
async def test_params_pass_through_unchanged():
    got: list[dict] = []

    async def handler(ws):
        await ws.send(ready())
        got.append((await read_request(ws)).params)
        await ws.send(response(b"", True))

    params = {"language": "German", "max_new_tokens": 120, "style": {"warmth": 0.3}}
    async with scripted(handler) as seen, session_for(seen) as session:
        await session.synthesize("Hallo.", params)
    assert got == [params]


@pytest.mark.anyio
async def test_multi_entry_and_zero_entry_final_frames():
    async def handler(ws):
        await ws.send(ready())
        await read_request(ws)
        two = (p.Entry(1, b"\x01\x00"), p.Entry(7, b"ignored"), p.Entry(1, b"\x02\x00"))
        await ws.send(response(b"", False, 0, usage=3, entries=two))
        await ws.send(response(b"", True, 1, usage=4, entries=()))

    async with scripted(handler) as seen, session_for(seen) as session:
        result = await session.synthesize("x")
    assert result.pcm == b"\x01\x00\x02\x00"
    assert result.usage == 7


@pytest.mark.anyio
@pytest.mark.parametrize(
    "params, seconds, truncated",
    [
        ({}, 30.0, True),
        ({}, 29.9, True),
        ({}, 29.2, True),
        ({}, 28.5, False),
        ({}, 20.0, False),
        ({"max_new_tokens": 120}, 10.0, True),
        ({"max_new_tokens": 120}, 9.3, False),
    ],
)
async def test_truncation_flag_at_the_cap(params, seconds, truncated):
    async with scripted(echo_server(lambda text: seconds)) as seen, session_for(seen) as session:
        result = await session.synthesize("long text", params)
    assert result.truncated is truncated


@pytest.mark.anyio
async def test_http_401_and_auth_failed_are_the_same_auth_error():
    async with scripted(echo_server(), refuse_status=401) as seen, session_for(seen) as session:
        with pytest.raises(AuthError) as refused:
            await session.synthesize("x")

    async def auth_failed(ws):
        await ws.send(p.encode_message(p.ErrorResponse("AUTH_FAILED", "bad key", 1)))
        await ws.close(1008)

    async with scripted(auth_failed) as seen, session_for(seen) as session:
        with pytest.raises(AuthError) as failed:
            await session.synthesize("x")
    for exc in (refused.value, failed.value):
        assert exc.code == ErrorCode.AUTH_FAILED
        assert classify(exc) is Verdict.FATAL_JOB
        assert KEY not in str(exc) and KEY not in repr(exc)


@pytest.mark.anyio
async def test_plain_text_error_frame_is_an_error_not_a_crash():
    async def handler(ws):
        await ws.send(ready())
        await read_request(ws)
        await ws.send("internal error: worker exploded")

    async with scripted(handler) as seen, session_for(seen) as session:
        with pytest.raises(ServerError) as caught:
            await session.synthesize("x")
    assert caught.value.code is None and "worker exploded" in str(caught.value)
    assert classify(caught.value) is Verdict.RETRY


@pytest.mark.anyio
async def test_retryable_error_response_keeps_the_session():
    calls = {"n": 0}

    async def handler(ws):
        await ws.send(ready())
        async for _ in _forever():
            await read_request(ws)
            calls["n"] += 1
            if calls["n"] == 1:
                await ws.send(p.encode_message(p.ErrorResponse("RATE_LIMITED", "slow", 1, "i1")))
            else:
                await ws.send(response(b"\x00\x00", True))

    async with scripted(handler) as seen, session_for(seen) as session:
        with pytest.raises(ServerError) as caught:
            await session.synthesize("x")
        assert classify(caught.value) is Verdict.RETRY
        await session.synthesize("x")
        assert session.connects == 1


@pytest.mark.anyio
async def test_refused_input_closes_the_session_so_a_late_second_answer_is_never_misread():
    # A server may answer a refused input and then, again, the endInteraction sent after it.
    async def handler(ws):
        await ws.send(ready())
        async for _ in _forever():
            request = await read_request(ws)
            if request.text == "bad":
                await ws.send(p.encode_message(p.ErrorResponse("INVALID_MESSAGE", "input", 1)))
                await ws.send(p.encode_message(p.ErrorResponse("INVALID_MESSAGE", "end", 1)))
            else:
                await ws.send(response(b"\x07\x00", True))

    async with scripted(handler) as seen, session_for(seen) as session:
        with pytest.raises(ServerError) as caught:
            await session.synthesize("bad")
        assert caught.value.code == ErrorCode.INVALID_MESSAGE
        assert classify(caught.value) is Verdict.FATAL_SEGMENT
        result = await session.synthesize("good")
    assert result.pcm == b"\x07\x00" and seen["connections"] == 2


@pytest.mark.anyio
async def test_unknown_message_types_are_skipped_and_odd_fields_keep_the_error_code():
    async def handler(ws):
        await ws.send('{"type":"welcome","payload":{"motd":"hi"}}')  # before sessionReady
        await ws.send('{"type":"sessionReady","payload":{"trace_id":"t","load":null}}')
        request = await read_request(ws)
        if request.text == "deny":
            details = (
                '{"type":"errorResponse",'
                '"payload":{"code":"AUTH_FAILED","details":"x","timestamp":null}}'
            )
            await ws.send(details)
            return
        await ws.send('{"type":"progress","payload":{"done":0.5}}')  # mid-interaction
        await ws.send(response(b"\x01\x00", True))

    async with scripted(handler) as seen, session_for(seen) as session:
        assert (await session.synthesize("speak")).pcm == b"\x01\x00"
    async with scripted(handler) as seen, session_for(seen) as session:
        with pytest.raises(AuthError):
            await session.synthesize("deny")


@pytest.mark.anyio
async def test_cancel_with_nothing_running_sends_nothing():
    async def handler(ws):
        await ws.send(ready())
        request = await read_request(ws)  # the first frame after ready must be the input
        await ws.send(response(request.text.encode()[:2], True))

    async with scripted(handler) as seen, session_for(seen) as session:
        await session.cancel()  # not connected yet
        await session.connect()
        await session.cancel()  # connected, idle
        assert (await session.synthesize("ok")).pcm == b"ok"


@pytest.mark.anyio
async def test_drop_mid_stream_is_retryable_and_next_call_reconnects():
    async def handler(ws):
        await ws.send(ready())
        await read_request(ws)
        if seen["connections"] == 1:
            await ws.send(response(b"\x00\x00" * 100, False))
            ws.transport.abort()  # no close frame: an abnormal close
            return
        await ws.send(response(b"\x00\x00", True))

    async with scripted(handler) as seen, session_for(seen) as session:
        with pytest.raises(TransportError) as caught:
            await session.synthesize("x")
        assert classify(caught.value) is Verdict.RETRY
        result = await session.synthesize("x")
    assert result.pcm == b"\x00\x00" and session.connects == 2


@pytest.mark.anyio
async def test_reconnects_after_server_closed_an_idle_session():
    closed = anyio.Event()

    async def handler(ws):
        await ws.send(ready())
        await read_request(ws)
        await ws.send(response(b"\x00\x00", True))
        await ws.close(1001, "idle")  # returns once the client has answered the close
        closed.set()

    async with scripted(handler) as seen, session_for(seen) as session:
        await session.synthesize("one")
        await closed.wait()
        await session.synthesize("two")
    assert seen["connections"] == 2


@pytest.mark.anyio
async def test_malformed_frame_is_a_remote_protocol_error():
    async def handler(ws):
        await ws.send(ready())
        await read_request(ws)
        bad = bytearray(response(b"\x00" * 8, False))
        bad[37:41] = (999).to_bytes(4, "big")
        await ws.send(bytes(bad))
        await ws.wait_closed()

    async with scripted(handler) as seen, session_for(seen) as session:
        with pytest.raises(RemoteProtocolError):
            await session.synthesize("x")
        assert not session.is_open  # never reused after a broken interaction


@pytest.mark.anyio
async def test_request_deadline_is_bounded():
    async def silent(ws):
        await ws.send(ready())
        await ws.wait_closed()

    async with scripted(silent) as seen, session_for(seen, request_timeout=0.3) as session:
        with anyio.fail_after(3):
            with pytest.raises(DeadlineExceeded):
                await session.synthesize("x")
    assert classify(DeadlineExceeded("t")) is Verdict.RETRY


@pytest.mark.anyio
@pytest.mark.parametrize("answer_cancelled", [True, False])
async def test_cancel_stops_the_interaction_either_way(answer_cancelled):
    got_cancel, answering = anyio.Event(), anyio.Event()

    async def handler(ws):
        await ws.send(ready())
        await read_request(ws)
        await ws.send(response(b"\x00\x00" * 10, False))
        answering.set()
        message = p.decode_message(await ws.recv())
        assert isinstance(message, p.CancelInteraction)
        got_cancel.set()
        if answer_cancelled:
            await ws.send(p.encode_message(p.ErrorResponse("CANCELLED", "ok", 1, str(ID))))
        await ws.wait_closed()

    async with scripted(handler) as seen, session_for(seen) as session:
        outcome: dict = {}

        async def speak():
            try:
                await session.synthesize("a long text")
            except ServerError as exc:
                outcome["code"] = exc.code

        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(speak)
                await answering.wait()
                await session.cancel()
        assert got_cancel.is_set()
    assert outcome["code"] == ErrorCode.CANCELLED


@pytest.mark.anyio
async def test_connection_refused_is_a_retryable_transport_error():
    with anyio.fail_after(5):
        session = Session(Endpoint("ws://127.0.0.1:9/", "joe", KEY))  # discard port: nothing there
        with pytest.raises(TransportError) as caught:
            await session.synthesize("x")
    assert classify(caught.value) is Verdict.RETRY and KEY not in str(caught.value)


def test_endpoint_hides_the_key_and_builds_the_query():
    endpoint = Endpoint("wss://models.ojin.ai/realtime?x=1", "voice-1", KEY)
    assert KEY not in repr(endpoint)
    assert endpoint.uri() == "wss://models.ojin.ai/realtime?x=1&config_id=voice-1"
    assert not endpoint.is_loopback and Endpoint("ws://127.0.0.1:1/", "a", KEY).is_loopback
