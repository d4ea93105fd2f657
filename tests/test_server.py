"""The local server over real loopback WebSockets: handshake, messages, streaming, cap, limits."""

from __future__ import annotations

import logging
import math
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio
import numpy as np
import pytest
from server_client import CHUNK_BYTES, KEY, OTHER_KEY, RawClient, open_ws, server, session, url_for
from support import wait_until
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from narrator.codes import ErrorCode
from narrator.errors import UserError
from narrator.server import ServerConfig, running_server, textcode
from narrator.wire import protocol as p

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[1]
SENTENCE = "A lantern swung above the ferry as it crossed the dark river."


# --- handshake ------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "wrong-key", KEY + "x"])
async def test_bad_key_is_refused_with_401_at_the_upgrade(key):
    async with server() as running:
        with pytest.raises(InvalidStatus) as caught:
            await open_ws(url_for(running), key)
        assert caught.value.response.status_code == 401
        assert running.stats.auth_failures == 1 and running.stats.connections == 0


async def test_bad_key_in_message_mode_gets_auth_failed_then_close():
    async with server(auth_failure="message") as running:
        ws = await open_ws(url_for(running), "nope")
        error = await RawClient(ws).error()
        assert error.code == ErrorCode.AUTH_FAILED
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert running.stats.auth_failures == 1


@pytest.mark.parametrize(
    ("config_id", "code"),
    [
        (None, ErrorCode.MISSING_CONFIG_ID),
        ("", ErrorCode.MISSING_CONFIG_ID),
        ("nobody", ErrorCode.MODEL_NOT_FOUND),
        ("joe", ErrorCode.MODEL_NOT_FOUND),
    ],
)
async def test_config_id_missing_or_not_served(config_id, code):
    async with server(engines=("test",)) as running:
        ws = await open_ws(url_for(running, config_id, "/realtime"))
        assert (await RawClient(ws).error()).code == code
        with pytest.raises(ConnectionClosed):
            await ws.recv()


async def test_auth_is_checked_before_config_id():
    async with server(auth_failure="message") as running:
        ws = await open_ws(url_for(running, None), "nope")
        assert (await RawClient(ws).error()).code == ErrorCode.AUTH_FAILED
        await ws.close()


@pytest.mark.parametrize("path", ["/", "/realtime", "/any/where"])
async def test_session_ready_on_any_path(path):
    async with server(capacity=3) as running:
        ws = await open_ws(url_for(running, "test", path), OTHER_KEY)
        ready = await RawClient(ws).ready()
        assert ready.status == "success" and ready.trace_id and ready.max_capacity == 3
        assert ready.num_clients == 1 and abs(ready.timestamp_ms - time.time() * 1000) < 5000
        await ws.close()
        assert running.url == f"ws://127.0.0.1:{running.port}/" and running.port > 0


async def test_the_key_never_reaches_the_logs(caplog):
    caplog.set_level(logging.DEBUG)
    async with server() as running:
        async with session(running) as client:
            await client.synthesize("Hi.")
        with pytest.raises(InvalidStatus):
            await open_ws(url_for(running), "wrong-secret-guess")
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("narrator"))
    assert "Authorization" in logged  # the server logged the handshake ...
    assert KEY not in logged and "wrong-secret-guess" not in logged  # ... without the key


async def test_a_server_without_keys_refuses_to_start():
    with pytest.raises(UserError, match="--api-key"):
        async with running_server(ServerConfig()):
            pass


# --- messages that are refused ----------------------------------------------------------


async def test_frame_over_512_kb_is_refused_and_the_session_stays_usable():
    async with server() as running, session(running) as client:
        await client.ws.send(b"\x00" * (p.MAX_MESSAGE_BYTES + 1))
        assert (await client.error()).code == ErrorCode.FRAME_SIZE_EXCEEDED
        await client.send_input("x" * (p.MAX_MESSAGE_BYTES))  # header pushes it over
        assert (await client.error()).code == ErrorCode.FRAME_SIZE_EXCEEDED
        # The refused input's endInteraction gets no second answer: the next reply is the audio.
        await client.end()
        result = await client.synthesize("Still here.")
        assert result.final and textcode.decode_text(result.audio) == "Still here."


@pytest.mark.parametrize("tokens", [120, 120.0])
async def test_max_new_tokens_as_an_int_or_a_whole_float_sets_the_cap(tokens):
    async with server() as running, session(running) as client:
        result = await client.synthesize("z" * 400, {"max_new_tokens": tokens})  # ~27 s of text
        assert result.error is None and len(result.audio) == 10 * p.SAMPLE_RATE * 2


async def test_a_frame_of_exactly_512_kb_is_accepted():
    text = "y" * (p.MAX_MESSAGE_BYTES - 13)
    async with server() as running, session(running) as client:
        result = await client.synthesize(text)  # 13-byte header + text = the limit
        assert result.error is None and result.final
        assert len(result.audio) == 30 * p.SAMPLE_RATE * 2  # cut at the default cap


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\x00\x01",
        b"\x01" + bytes(12) + b"hi",  # too short; audio payload type
        bytes(9) + (50).to_bytes(4, "big") + b"{}",  # params size past the end
        bytes(9) + (2).to_bytes(4, "big") + b"[]hi",  # params not an object
        bytes(13) + b"\xff\xfe",
    ],  # text not UTF-8
)
async def test_malformed_input_is_invalid_message_and_session_survives(frame):
    async with server() as running, session(running) as client:
        await client.ws.send(frame)
        assert (await client.error()).code == ErrorCode.INVALID_MESSAGE
        # The bad input was not kept, and its endInteraction is not answered a second time:
        # the next frame the client reads belongs to the next interaction.
        await client.end()
        result = await client.synthesize("Fine.")
        assert result.error is None and textcode.decode_text(result.audio) == "Fine."
        await client.end()  # a stray end with no input before it is still an error
        assert (await client.error()).code == ErrorCode.INVALID_MESSAGE
        assert running.stats.requests == 1


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"type": 1}',
        '{"type": "nope"}',
        '{"type": "endInteraction", "payload": 3}',
        p.encode_message(p.SessionReady("t", 1)),
    ],
)
async def test_bad_text_frames_are_invalid_message(text):
    async with server() as running, session(running) as client:
        await client.ws.send(text)
        assert (await client.error()).code == ErrorCode.INVALID_MESSAGE
        assert (await client.synthesize("Ok.")).final


@pytest.mark.parametrize(
    "params",
    [
        {"max_new_tokens": 0},
        {"max_new_tokens": -3},
        {"max_new_tokens": "12"},
        {"max_new_tokens": True},
        {"max_new_tokens": 1.5},
        {"language": 5},
        {"language": ""},
        {"chars_per_second": 0},
        {"chars_per_second": "fast"},
        {"chars_per_second": 1e6},
    ],
)
async def test_bad_params_are_invalid_message(params):
    async with server() as running, session(running) as client:
        await client.request("Hello.", params)
        assert (await client.error()).code == ErrorCode.INVALID_MESSAGE
        assert (await client.synthesize("Hello.")).final
        assert running.stats.requests == 1


async def test_end_without_input_and_input_while_running_are_invalid():
    async with server(latency=0.3) as running, session(running) as client:
        await client.end()
        assert (await client.error()).code == ErrorCode.INVALID_MESSAGE
        await client.request("First one.")
        await client.request("Too early.")  # refused; its endInteraction is then ignored
        error = await client.error()
        assert error.code == ErrorCode.INVALID_MESSAGE and error.interaction_id is None
        first = await client.collect()
        assert first.error is None and textcode.decode_text(first.audio) == "First one."
        assert running.stats.texts() == ["First one."]


async def test_params_are_accepted_and_unknown_ones_pass():
    params = {"language": "German", "max_new_tokens": 360, "style": {"calm": True}}
    async with server() as running, session(running) as client:
        assert textcode.decode_text((await client.synthesize("Guten Tag.", params)).audio) == (
            "Guten Tag."
        )


# --- streaming -------------------------------------------------------------------------


async def test_streams_half_second_chunks_that_spell_the_text():
    text = SENTENCE + " It carried nine passengers and one goat."  # ~6.8 s of audio
    async with server() as running, session(running) as client:
        result = await client.synthesize(text, {"language": "English"})
    responses = result.responses
    assert [r.index for r in responses] == list(range(len(responses)))
    assert [r.is_final for r in responses] == [False] * (len(responses) - 1) + [True]
    assert len({r.interaction_id for r in responses}) == 1
    assert responses[0].interaction_id.version == 4
    assert all(len(r.audio) == CHUNK_BYTES for r in responses[:-1])
    assert 0 < len(responses[-1].audio) <= CHUNK_BYTES  # the final carries the tail
    assert result.audio == textcode.encode(text)
    seconds = len(result.audio) / 2 / p.SAMPLE_RATE
    assert sum(r.usage for r in responses) == math.ceil(seconds * 12)
    assert all(r.usage == 6 for r in responses[:-1])
    assert all(raw[-1] == 1 for raw in result.raw)  # the trailing frame-type byte


async def test_test_voice_speaking_rate_param():
    text = "Slowly now."
    async with server() as running, session(running) as client:
        slow = await client.synthesize(text, {"chars_per_second": 5})
    assert slow.audio == textcode.encode(text, 5) and textcode.decode_text(slow.audio) == text
    assert len(slow.audio) == 3 * len(textcode.encode(text))


async def test_trailing_byte_can_be_turned_off():
    async with server(trailing_byte=False) as running, session(running) as client:
        result = await client.synthesize("Short.")
    for raw, response in zip(result.raw, result.responses, strict=True):
        assert len(raw) == 37 + sum(5 + len(e.data) for e in response.entries)


async def test_long_text_is_cut_silently_at_max_new_tokens():
    text = " ".join([SENTENCE] * 5)  # ~20 s of speech
    async with server() as running, session(running) as client:
        result = await client.synthesize(text, {"max_new_tokens": 60})  # 5 s
    assert result.error is None and result.final
    assert len(result.audio) == 5 * p.SAMPLE_RATE * 2
    assert result.audio == textcode.encode(text)[: len(result.audio)]
    (decoded,) = textcode.decode(result.audio)
    assert not decoded.complete and text.startswith(decoded.text)
    assert sum(r.usage for r in result.responses) == 60
    assert running.stats.interactions[0].truncated


async def test_default_cap_is_30_seconds():
    async with server() as running, session(running) as client:
        result = await client.synthesize(" ".join([SENTENCE] * 9))  # ~37 s uncut
    assert len(result.audio) == 30 * p.SAMPLE_RATE * 2 and result.final


async def test_several_interactions_one_after_another_on_one_session():
    texts = ["One.", "Two, a little longer than one.", "Three, with ümlauts and – dashes."]
    async with server() as running, session(running) as client:
        results = [await client.synthesize(text) for text in texts]
    assert [textcode.decode_text(r.audio) for r in results] == texts
    assert len({r.responses[0].interaction_id for r in results}) == 3
    assert all(r.responses[0].index == 0 for r in results)
    assert running.stats.texts() == texts and running.stats.connections == 1


async def test_empty_text_gives_a_final_message():
    async with server() as running, session(running) as client:
        result = await client.synthesize("")
    assert result.final and textcode.decode(result.audio)[0].text == ""


# --- cancel ----------------------------------------------------------------------------


async def test_cancel_answers_cancelled_and_stops_the_audio():
    async with server(latency=0.4) as running, session(running) as client:
        await client.request(SENTENCE)
        await wait_until(lambda: running.stats.requests == 1, "request on the server")
        await client.cancel()
        error = await client.error()
        assert error.code == ErrorCode.CANCELLED and error.interaction_id
        with anyio.move_on_after(0.6):  # past the latency: nothing more for it may come
            frame = await client.ws.recv()
            pytest.fail(f"frame after cancel: {frame[:40]!r}")
        result = await client.synthesize("Next.")
        assert textcode.decode_text(result.audio) == "Next."
        assert str(result.responses[0].interaction_id) != error.interaction_id
    assert [r.outcome for r in running.stats.interactions] == ["cancelled", "ok"]


async def test_cancel_stops_the_audio_within_a_few_chunks_of_the_client_reading():
    """Audio already queued when the cancel arrives is all that gets through.

    The client reads ahead nothing (a tiny receive buffer, a queue of one frame), so what it
    receives after its cancel was queued at the server: at most the socket's one chunk, the
    transport's frame, the one being sent, and the client's own frame queue.
    """
    async with server() as running:
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.connect(("127.0.0.1", running.port))
        raw.setblocking(False)
        ws = await connect(
            url_for(running),
            sock=raw,
            additional_headers={"Authorization": KEY},
            proxy=None,
            max_size=None,
            max_queue=1,
        )
        client = RawClient(ws)
        await client.ready()
        counts = []
        for _ in range(3):
            # About 40 minutes of audio: far more than any buffer between the two could hold.
            await client.request("word " * 2000, {"max_new_tokens": 30000, "chars_per_second": 4})
            assert isinstance(await ws.recv(), bytes)
            await client.cancel()
            after = 0
            while isinstance(frame := await ws.recv(), bytes):
                after += len(p.decode_response(frame).audio)
            assert p.decode_message(frame).code == ErrorCode.CANCELLED
            counts.append(after / CHUNK_BYTES)
        await ws.close()
    assert max(counts) <= 5, counts  # unbounded, this was 120 chunks and more
    assert [r.outcome for r in running.stats.interactions] == ["cancelled"] * 3


async def test_cancel_with_nothing_running_is_ignored():
    async with server() as running, session(running) as client:
        await client.cancel()
        assert textcode.decode_text((await client.synthesize("Quiet.")).audio) == "Quiet."


# --- limits ----------------------------------------------------------------------------


async def test_over_capacity_is_backend_unavailable_and_the_session_stays_open():
    async with server(capacity=1, latency=0.4) as running:
        async with session(running) as first, session(running) as second:
            await first.request("Slot taken.")
            await wait_until(lambda: running.stats.requests == 1, "first request on the server")
            busy = await second.synthesize("No room.")
            assert busy.error is not None and busy.error.code == ErrorCode.BACKEND_UNAVAILABLE
            assert busy.error.interaction_id is not None
            assert (await first.collect()).final
            assert textcode.decode_text((await second.synthesize("Room now.")).audio) == "Room now."
    assert running.stats.outcomes["BACKEND_UNAVAILABLE"] == 1


async def test_latency_runs_inside_capacity_slots():
    # 6 requests, latency 0.3 s, capacity 3: two rounds, about 0.6 s.
    async with server(capacity=3, latency=0.3) as running:

        async def one(n: int) -> None:
            async with session(running) as client:
                for _ in range(2):
                    assert (await client.synthesize(f"Request {n}.")).final

        start = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for n in range(3):
                tg.start_soon(one, n)
        wall = time.perf_counter() - start
    assert 0.6 <= wall < 1.0
    assert running.stats.outcomes == {"ok": 6}


async def test_rate_limit_per_key():
    async with server(rate=2.0) as running:
        async with session(running) as client, session(running, key=OTHER_KEY) as other:
            assert (await client.synthesize("One.")).final
            assert (await client.synthesize("Two.")).final
            limited = await client.synthesize("Three.")
            assert limited.error is not None and limited.error.code == ErrorCode.RATE_LIMITED
            assert (await other.synthesize("Other key.")).final  # its own bucket
            await anyio.sleep(0.55)  # time passing is what is tested: one token back at 2/s
            assert (await client.synthesize("Four.")).final
    assert running.stats.outcomes == {"ok": 4, "RATE_LIMITED": 1}


async def test_idle_session_is_closed_but_not_while_synthesizing():
    async with server(idle_timeout=0.3, latency=0.5) as running, session(running) as client:
        result = await client.synthesize("Slow but alive.")  # 0.5 s with nothing sent
        assert result.final
        start = time.perf_counter()
        with pytest.raises(ConnectionClosed) as closed:
            await client.ws.recv()
        assert 0.2 < time.perf_counter() - start < 1.0
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000


# --- the real voice ----------------------------------------------------------------------


@pytest.mark.piper
async def test_joe_voice_speaks_a_sentence():
    async with server(engines=("joe", "test")) as running, session(running, "joe") as client:
        result = await client.synthesize(SENTENCE, {"language": "English"})
    assert result.final and result.error is None
    samples = np.frombuffer(result.audio, dtype="<i2").astype(np.float64)
    seconds = len(samples) / p.SAMPLE_RATE
    assert 1.5 < seconds < 8.0
    assert np.sqrt(np.mean(samples**2)) > 300  # speech, not silence
    assert all(len(r.audio) == CHUNK_BYTES for r in result.responses[:-1])


# --- narrator serve ----------------------------------------------------------------------


def test_serve_without_a_key_names_the_options(monkeypatch):
    import argparse

    from narrator.cli.serve import add_serve_arguments, config_from_args

    monkeypatch.delenv("NARRATOR_SERVER_KEYS", raising=False)
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    with pytest.raises(UserError, match="--api-key.*NARRATOR_SERVER_KEYS"):
        config_from_args(parser.parse_args([]))
    monkeypatch.setenv("NARRATOR_SERVER_KEYS", " a , b ,")
    config = config_from_args(parser.parse_args(["--engine", "test", "--faults", "drop=0.5"]))
    assert config.api_keys == ("a", "b") and config.engines == ("test",)
    assert config.faults is not None and config.faults.drop == 0.5


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_narrator_serve_prints_its_url_and_stops_on_a_signal(sig):
    env = {k: v for k, v in os.environ.items() if k != "NARRATOR_SERVER_KEYS"}
    env["NARRATOR_SERVER_KEYS"] = "env-secret-key"
    proc = subprocess.Popen(
        [sys.executable, "-m", "narrator.cli.serve", "--port", "0", "--engine", "test"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("narrator serve: listening on ws://127.0.0.1:")
        assert "env-secret-key" not in line
        port = int(line.split("ws://127.0.0.1:")[1].split("/")[0])
        assert anyio.run(_speak_once, port) == "Hello."
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
        assert "stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


async def _speak_once(port: int) -> str:
    ws = await open_ws(f"ws://127.0.0.1:{port}/?config_id=test", "env-secret-key")
    client = RawClient(ws)
    await client.ready()
    text = textcode.decode_text((await client.synthesize("Hello.")).audio)
    await ws.close()
    return text


async def test_a_voice_without_its_json_is_refused_at_startup(tmp_path):
    bad = tmp_path / "lonely.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(UserError, match=r"lonely.onnx.json is missing"):
        async with server(engines=("joe",), voice_path=bad):
            pass


async def test_a_voice_that_cannot_load_is_an_internal_error(tmp_path):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"not a model")
    (tmp_path / "broken.onnx.json").write_text("{}", encoding="utf-8")
    async with server(engines=("joe",), voice_path=bad) as running, session(running, "joe") as c:
        result = await c.synthesize("Hello.")
        assert result.error is not None and result.error.code == ErrorCode.INTERNAL_ERROR
        assert (await c.synthesize("Again.")).error is not None  # the session is still served
    assert running.stats.outcomes == {"INTERNAL_ERROR": 2}
