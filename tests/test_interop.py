"""Interoperability: narrator against an independent peer written from PROTOCOL.md alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import interop_peer as peer
import pytest
import server_client
from protocol_vectors import (
    ID,
    TIMESTAMP,
    VECTOR_INPUT_PARAMS,
    VECTOR_INPUT_PLAIN,
    VECTOR_RESPONSE_AUDIO,
    VECTOR_RESPONSE_FINAL,
)
from support import wait_until

from narrator.codes import ErrorCode
from narrator.errors import AuthError, ServerError, Verdict, classify
from narrator.server import textcode
from narrator.wire.client import Endpoint, Session

INPUTS = [
    (
        VECTOR_INPUT_PARAMS,
        peer.Input("Hello world.", {"language": "English", "max_new_tokens": 360}, TIMESTAMP),
    ),
    (VECTOR_INPUT_PLAIN, peer.Input("Ça va?", {}, TIMESTAMP)),
]
SAMPLES = b"\x00\x00\x01\x00\xff\xff\xff\x7f"  # [0, 1, -1, 32767] int16 LE
RESPONSES = [
    (
        VECTOR_RESPONSE_AUDIO,
        b"",
        peer.Response(False, ID, TIMESTAMP + 123, 7, 0, ((peer.AUDIO, SAMPLES),)),
    ),
    (VECTOR_RESPONSE_FINAL, b"\x01", peer.Response(True, ID, TIMESTAMP + 456, 12, 1, ())),
]


@pytest.mark.parametrize("wire, message", INPUTS)
def test_peer_reproduces_the_input_vectors_both_ways(wire, message):
    assert len(wire) in (68, 20)
    assert peer.encode_input(message) == wire
    assert peer.decode_input(wire) == message


@pytest.mark.parametrize("wire, trailer, message", RESPONSES)
def test_peer_reproduces_the_response_vectors_both_ways(wire, trailer, message):
    assert len(wire) in (50, 38)
    assert peer.encode_response(message, trailer) == wire
    assert peer.decode_response(wire) == message


def test_peer_refuses_an_entry_running_past_the_frame():
    with pytest.raises(peer.PeerError):
        peer.decode_response(VECTOR_RESPONSE_AUDIO[:-1])


# --- narrator's client against the peer server ---------------------------------------------

KEY = "sk-interop-key-0123456789"
SPC = 0.01  # the peer speaks 10 ms of audio per character


def peer_config(**overrides: Any) -> peer.PeerConfig:
    values: dict[str, Any] = {"keys": (KEY,), "config_ids": ("joe",), "seconds_per_char": SPC}
    values.update(overrides)
    return peer.PeerConfig(**values)


def narrator_session(server: peer.PeerServer, config_id: str = "joe", key: str = KEY) -> Session:
    return Session(Endpoint(server.state.url, config_id, key), request_timeout=5.0)


@pytest.mark.anyio
async def test_narrator_session_is_reused_across_interactions_with_the_peer():
    texts = ["Hello world.", "A second, somewhat longer sentence to speak.", "Ça va?"]
    async with peer.peer_server(peer_config()) as server, narrator_session(server) as session:
        results = [await session.synthesize(text, {"language": "English"}) for text in texts]
        assert session.connects == 1
    assert server.state.connections == 1 and server.state.auth == [KEY]
    assert [i.text for i in server.state.inputs] == texts
    assert all(i.params == {"language": "English"} for i in server.state.inputs)
    for text, result in zip(texts, results, strict=True):
        assert result.pcm == peer.samples_for(text, SPC)
        assert result.seconds == pytest.approx(len(text) * SPC, abs=1e-3)
        assert not result.truncated
    # 44 characters: 0.44 s of audio in 0.1 s chunks -> five messages
    assert results[1].messages == 5 and results[1].usage == 440


@pytest.mark.anyio
async def test_narrator_waits_for_a_slow_peer_session_ready_and_stamps_its_messages():
    before = peer.now_ms()
    async with peer.peer_server(peer_config(ready_delay=0.3)) as server:
        async with narrator_session(server) as session:
            result = await session.synthesize("Patience.", {"max_new_tokens": 100})
    after = peer.now_ms()
    assert server.state.early_frames == 0
    assert result.pcm == peer.samples_for("Patience.", SPC)
    [request] = server.state.inputs
    assert request.params == {"max_new_tokens": 100} and request.payload_type == peer.TEXT
    assert before <= request.timestamp <= after
    [(kind, payload)] = server.state.messages
    assert kind == "endInteraction" and before <= payload["timestamp"] <= after


@pytest.mark.anyio
@pytest.mark.parametrize("trailer", [b"", b"\x01", b"\x01\xff\x00\x07"])
async def test_narrator_joins_multi_entry_chunks_in_order_and_ignores_trailing_bytes(trailer):
    text = "Order matters: every sample depends on its position. " * 3
    config = peer_config(entries_per_chunk=3, chunk_samples=1_000, trailer=trailer)
    async with peer.peer_server(config) as server, narrator_session(server) as session:
        result = await session.synthesize(text)
    expected = peer.samples_for(text, SPC)
    assert len(expected) > 30 * 2_000  # many chunks of several entries each
    assert result.pcm == expected
    assert result.messages == -(-len(expected) // 2_000)


@pytest.mark.anyio
async def test_narrator_accepts_a_zero_entry_final_frame():
    text = "The last message carries no audio."
    async with peer.peer_server(peer_config(empty_final=True)) as server:
        async with narrator_session(server) as session:
            result = await session.synthesize(text)
    expected = peer.samples_for(text, SPC)
    assert result.pcm == expected
    assert result.messages == -(-len(expected) // 4_800) + 1


@pytest.mark.anyio
async def test_narrator_reconnects_when_the_peer_closes_the_session_after_an_answer():
    texts = ["one", "two", "three"]
    async with peer.peer_server(peer_config(close_after_each=True)) as server:
        async with narrator_session(server) as session:
            results = []
            for text in texts:
                results.append(await session.synthesize(text))
                await wait_until(lambda: not session.is_open, "close frame from the peer")
            assert session.connects == 3
    assert [r.pcm for r in results] == [peer.samples_for(t, SPC) for t in texts]
    assert server.state.connections == 3


@pytest.mark.anyio
async def test_narrator_takes_the_whole_cap_in_one_peer_message():
    # 3000 characters: 30 s, the default 360-token cap, 1.44 MB in a single final message.
    text = "y" * 3000
    async with peer.peer_server(peer_config(chunk_samples=10**9)) as server:
        async with narrator_session(server) as session:
            result = await session.synthesize(text)
    assert result.messages == 1 and result.truncated
    assert result.pcm == peer.samples_for(text, SPC) and len(result.pcm) == 1_440_000


@pytest.mark.anyio
@pytest.mark.parametrize("chars, truncated", [(300, True), (150, False)])
async def test_narrator_flags_audio_cut_at_the_cap_by_the_peer(chars, truncated):
    # max_new_tokens 24 caps the audio at 2 s; 300 characters would be 3 s.
    text = "x" * chars
    async with peer.peer_server(peer_config()) as server, narrator_session(server) as session:
        result = await session.synthesize(text, {"max_new_tokens": 24})
    assert result.truncated is truncated
    assert result.seconds == pytest.approx(min(2.0, chars * SPC))


@pytest.mark.anyio
@pytest.mark.parametrize("code", ["RATE_LIMITED", "BACKEND_UNAVAILABLE"])
async def test_narrator_retries_after_a_retryable_peer_error_on_the_same_session(code):
    async with peer.peer_server(peer_config(errors=(code,))) as server:
        async with narrator_session(server) as session:
            with pytest.raises(ServerError) as caught:
                await session.synthesize("first try")
            assert caught.value.code == code
            assert classify(caught.value) is Verdict.RETRY
            result = await session.synthesize("first try")
            assert session.connects == 1
    assert result.pcm == peer.samples_for("first try", SPC)
    assert server.state.connections == 1 and server.state.interactions == 2


@pytest.mark.anyio
@pytest.mark.parametrize(
    "code, verdict",
    [
        ("TIMEOUT", Verdict.RETRY),
        ("INTERNAL_ERROR", Verdict.RETRY),
        ("INVALID_MESSAGE", Verdict.FATAL_SEGMENT),
        ("QUOTA_EXCEEDED", Verdict.FATAL_SEGMENT),
    ],
)
async def test_narrator_classifies_peer_error_codes_and_recovers(code, verdict):
    # QUOTA_EXCEEDED is not in PROTOCOL.md: an unknown code is fatal for the segment, verbatim.
    async with peer.peer_server(peer_config(errors=(code,))) as server:
        async with narrator_session(server) as session:
            with pytest.raises(ServerError) as caught:
                await session.synthesize("first")
            result = await session.synthesize("second")
    assert caught.value.code == code and code in str(caught.value)
    assert classify(caught.value) is verdict
    assert result.pcm == peer.samples_for("second", SPC)


@pytest.mark.anyio
@pytest.mark.parametrize("refusal", ["http", "error"])
async def test_narrator_reads_both_peer_auth_refusals_as_auth_error(refusal):
    async with peer.peer_server(peer_config(auth_refusal=refusal)) as server:
        async with narrator_session(server, key="sk-wrong") as session:
            with pytest.raises(AuthError) as caught:
                await session.synthesize("x")
    assert caught.value.code == ErrorCode.AUTH_FAILED
    assert classify(caught.value) is Verdict.FATAL_JOB
    assert server.state.auth == ["sk-wrong"] and server.state.inputs == []


@pytest.mark.anyio
async def test_narrator_reports_an_unknown_config_id_from_the_peer():
    async with peer.peer_server(peer_config()) as server:
        async with narrator_session(server, config_id="nobody") as session:
            with pytest.raises(ServerError) as caught:
                await session.synthesize("x")
    assert caught.value.code == ErrorCode.MODEL_NOT_FOUND
    assert classify(caught.value) is Verdict.FATAL_JOB


@pytest.mark.anyio
@pytest.mark.parametrize("reply", [True, False])
async def test_narrator_cancel_stops_the_peer_and_a_next_request_succeeds(reply):
    # reply: the peer answers CANCELLED, or (False) simply stops; both end the interaction.
    text = "a long answer " * 40  # 5.6 s of audio in 56 chunks, 20 ms apart
    outcome: dict[str, Any] = {}
    async with peer.peer_server(peer_config(chunk_delay=0.02, cancel_reply=reply)) as server:
        async with narrator_session(server) as session:

            async def speak() -> None:
                try:
                    outcome["result"] = await session.synthesize(text)
                except ServerError as exc:
                    outcome["code"] = exc.code

            with anyio.fail_after(5):
                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(speak)
                    await wait_until(lambda: speaking(server), "interaction on the peer")
                    await session.cancel()
            result = await session.synthesize("next")
    assert outcome == {"code": ErrorCode.CANCELLED}
    assert server.state.cancels == 1
    assert result.pcm == peer.samples_for("next", SPC)


def speaking(server: peer.PeerServer) -> bool:
    """The peer has an interaction running: it took an endInteraction after an input."""
    return any(kind == "endInteraction" for kind, _ in server.state.messages)


# --- the peer client against narrator's local server ---------------------------------------


@asynccontextmanager
async def narrator_server(**overrides: Any) -> AsyncIterator[str]:
    """narrator's local server with the `test` voice; yields its URL without a query."""
    async with server_client.server(api_keys=(KEY,), **overrides) as running:
        yield server_client.url_for(running, config_id=None)


def assert_spells(result: peer.Result, text: str) -> None:
    """A finished interaction whose audio decodes back to `text`, chunks numbered in order."""
    assert result.error is None and result.final
    assert [r.index for r in result.responses] == list(range(len(result.responses)))
    assert len({r.interaction_id for r in result.responses}) == 1
    decoded = textcode.decode(result.pcm)
    assert [(d.text, d.complete) for d in decoded] == [(text, True)]


@pytest.mark.anyio
async def test_peer_client_synthesizes_on_narrator_server():
    text = "Hello world, from an independent client."
    async with narrator_server() as url:
        result = await peer.peer_synthesize(url, KEY, "test", text, {"language": "English"})
    assert isinstance(result, peer.Result)
    assert_spells(result, text)
    assert len(result.pcm) == 2 * textcode.samples_for(text)
    assert len(result.responses) > 2  # several chunks


@pytest.mark.anyio
async def test_peer_client_runs_several_interactions_on_one_narrator_connection():
    texts = ["One.", "Two, a little longer.", "Ça va? Très bien."]
    async with narrator_server() as url, peer.peer_client(url, KEY, "test") as client:
        assert isinstance(client, peer.PeerClient)
        ready = client.ready
        assert ready["status"] == "success" and isinstance(ready["trace_id"], str)
        assert isinstance(ready["load"], float) and isinstance(ready["timestamp"], int)
        assert isinstance(ready["num_clients"], int) and isinstance(ready["max_capacity"], int)
        results = [await client.interact(text) for text in texts]
    for text, result in zip(texts, results, strict=True):
        assert_spells(result, text)
    assert len({r.responses[0].interaction_id for r in results}) == len(texts)


@pytest.mark.anyio
async def test_narrator_server_cuts_audio_at_the_cap_silently_for_the_peer():
    async with narrator_server() as url:
        result = await peer.peer_synthesize(url, KEY, "test", "y" * 100, {"max_new_tokens": 12})
    assert isinstance(result, peer.Result)
    assert result.error is None and result.final
    assert len(result.pcm) == 2 * peer.RATE  # 12 tokens: exactly one second


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["http", "message"])
async def test_narrator_server_refuses_a_bad_key_as_the_protocol_says(mode):
    async with narrator_server(auth_failure=mode) as url:
        refusal = await peer.peer_synthesize(url, "sk-wrong", "test", "x")
    assert isinstance(refusal, peer.Refusal)
    if mode == "http":
        assert refusal.status == 401 and refusal.error is None
    else:
        assert refusal.status is None and refusal.error is not None
        assert refusal.error["code"] == "AUTH_FAILED"


@pytest.mark.anyio
@pytest.mark.parametrize(
    "config_id, code", [(None, "MISSING_CONFIG_ID"), ("nobody", "MODEL_NOT_FOUND")]
)
async def test_narrator_server_refuses_a_missing_or_unknown_config_id(config_id, code):
    async with narrator_server() as url:
        refusal = await peer.peer_synthesize(url, KEY, config_id, "x")
    assert isinstance(refusal, peer.Refusal) and refusal.error is not None
    assert refusal.error["code"] == code
    assert isinstance(refusal.error["message"], str) and isinstance(refusal.error["timestamp"], int)


@pytest.mark.anyio
async def test_narrator_server_refuses_an_oversized_frame_and_stays_usable():
    # Both sides read "512 KB" as 512 * 1024 bytes: a whole message of exactly that passes.
    params = {"max_new_tokens": 1}
    room = peer.MAX_FRAME - len(peer.encode_input(peer.Input("", params, 0)))
    async with narrator_server() as url, peer.peer_client(url, KEY, "test") as client:
        assert isinstance(client, peer.PeerClient)
        at_limit = await client.interact("a" * room, params)
        refused = await client.interact("a" * (room + 1), params)
        after = await client.interact("Still here.")
    assert at_limit.error is None and at_limit.final
    assert len(at_limit.pcm) == 2 * peer.SAMPLES_PER_TOKEN
    assert refused.error is not None and refused.error["code"] == "FRAME_SIZE_EXCEEDED"
    assert refused.responses == []
    assert_spells(after, "Still here.")


@pytest.mark.anyio
async def test_narrator_server_refuses_a_malformed_input_and_stays_usable():
    bad = peer.encode_input(peer.Input("text", {"language": "English"}, 0))[:20]  # params cut
    async with narrator_server() as url, peer.peer_client(url, KEY, "test") as client:
        assert isinstance(client, peer.PeerClient)
        await client.ws.send(bad)
        await client.ws.send(peer.encode_json("endInteraction", {"timestamp": peer.now_ms()}))
        refused = await client.collect()
        after = await client.interact("Fine again.")
    assert refused.error is not None and refused.error["code"] == "INVALID_MESSAGE"
    assert refused.responses == []
    assert_spells(after, "Fine again.")


@pytest.mark.anyio
async def test_narrator_server_honours_a_peer_cancel_before_the_first_chunk():
    # The latency holds the first chunk back, so the cancel surely lands mid-interaction.
    async with narrator_server(latency=0.3) as url, peer.peer_client(url, KEY, "test") as client:
        assert isinstance(client, peer.PeerClient)
        await client.send_input("This interaction is cancelled before it speaks.")
        cancelled = await client.cancel(quiet=1.0)
        after = await client.interact("Next one.")
        quiet = await client.collect(quiet=0.2)
    assert cancelled.error is not None and cancelled.error["code"] == "CANCELLED"
    assert cancelled.pcm == b"" and quiet.responses == [] and client.dropped == 0
    assert_spells(after, "Next one.")


@pytest.mark.anyio
async def test_narrator_server_stops_streaming_at_a_peer_cancel_mid_stream():
    # 1000 characters at 0.5 characters/s: 2000 s (96 MB) of audio, far more than the socket
    # buffers hold, so a server that ignored the cancel would be caught sending the rest.
    params = {"chars_per_second": 0.5, "max_new_tokens": 30_000}
    full = 2 * textcode.samples_for("w" * 1000, 0.5)
    async with narrator_server() as url, peer.peer_client(url, KEY, "test") as client:
        assert isinstance(client, peer.PeerClient)
        await client.send_input("w" * 1000, params)
        first = await client.collect(stop_after=2)
        rest = await client.cancel(quiet=1.0)
        after = await client.interact("Next one.")
        quiet = await client.collect(quiet=0.2)  # a server still streaming would show here
    assert len(first.responses) == 2 and not first.final
    assert rest.error is not None and rest.error["code"] == "CANCELLED"
    assert not rest.final  # the cancelled interaction never reaches its final message
    assert quiet.responses == [] and client.dropped == 0
    assert len(first.pcm) + len(rest.pcm) < full // 4
    assert_spells(after, "Next one.")
