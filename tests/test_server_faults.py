"""Fault injection: every scripted outcome over a real session, seeded plans, the option parsers."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from server_client import RawClient, open_ws, server, session, url_for
from websockets.exceptions import ConnectionClosedError

from narrator.errors import RemoteProtocolError, UserError
from narrator.server import Fault, FaultPlan, parse_faults, parse_script, textcode
from narrator.server.faults import ERROR_OUTCOMES
from narrator.wire import protocol as p

LONG = "The ferryman counted the coins twice before he untied the rope."  # ~4 s


@pytest.mark.anyio
@pytest.mark.parametrize("code", ERROR_OUTCOMES)
async def test_scripted_error_codes_keep_the_session(code):
    async with server(faults=FaultPlan(script=(code, "ok"))) as running:
        async with session(running) as client:
            failed = await client.synthesize(LONG)
            assert failed.error is not None and failed.error.code == code
            assert failed.error.interaction_id is not None and not failed.responses
            ok = await client.synthesize(LONG)
            assert textcode.decode_text(ok.audio) == LONG
    records = running.stats.interactions
    assert [(r.outcome, r.injected) for r in records] == [(code, True), ("ok", False)]


@pytest.mark.anyio
async def test_scripted_plain_text_frame_after_some_audio():
    async with server(faults=FaultPlan(script=("plain_text",))) as running:
        async with session(running) as client:
            await client.request(LONG)
            first = p.decode_response(await client.ws.recv())
            assert not first.is_final and first.audio
            frame = await client.ws.recv()
            assert frame == "internal error"
            with pytest.raises(RemoteProtocolError):
                p.decode_message(frame)
            result = await client.synthesize("After.")  # the session still serves
            assert textcode.decode_text(result.audio) == "After."
    assert running.stats.outcomes == {"plain_text": 1, "ok": 1}


@pytest.mark.anyio
async def test_scripted_malformed_frame_after_some_audio():
    async with server(faults=FaultPlan(script=("malformed",))) as running:
        async with session(running) as client:
            await client.request(LONG)
            assert p.decode_response(await client.ws.recv()).audio
            with pytest.raises(RemoteProtocolError, match="past the frame end"):
                p.decode_response(await client.ws.recv())
            assert (await client.synthesize("After.")).final
    assert running.stats.outcomes["malformed"] == 1


@pytest.mark.anyio
@pytest.mark.parametrize("text", [LONG, "Hi."])  # a short text still gets audio before the drop
async def test_scripted_drop_closes_abruptly_after_some_audio(text):
    async with server(faults=FaultPlan(script=("drop",))) as running:
        ws = await open_ws(url_for(running))
        client = RawClient(ws)
        await client.ready()
        await client.request(text)
        assert p.decode_response(await ws.recv()).audio
        with pytest.raises(ConnectionClosedError) as closed:
            await ws.recv()
        assert closed.value.rcvd is None  # no close frame: an abnormal closure
        async with session(running) as again:  # the server itself is fine
            assert (await again.synthesize("Again.")).final
    assert running.stats.outcomes == {"drop": 1, "ok": 1}


@pytest.mark.anyio
async def test_scripted_slow_delays_the_first_chunk():
    async with server(faults=FaultPlan(script=("slow:0.4", "ok"))) as running:
        async with session(running) as client:
            start = time.perf_counter()
            assert (await client.synthesize("Slow.")).final
            slow = time.perf_counter() - start
            start = time.perf_counter()
            assert (await client.synthesize("Fast.")).final
            fast = time.perf_counter() - start
    assert slow >= 0.4 > fast
    assert [r.injected for r in running.stats.interactions] == [True, False]


@pytest.mark.anyio
async def test_script_runs_first_then_probabilities():
    plan = FaultPlan(seed=3, timeout=1.0, script=("ok", "INTERNAL_ERROR"))
    async with server(faults=plan) as running, session(running) as client:
        results = [await client.synthesize(f"Number {n}.") for n in range(4)]
    codes = [r.error.code if r.error else "ok" for r in results]
    assert codes == ["ok", "INTERNAL_ERROR", "TIMEOUT", "TIMEOUT"]


@pytest.mark.anyio
async def test_seeded_server_runs_replay_identically():
    plan = FaultPlan(seed=11, rate_limited=0.3, internal_error=0.2, plain_text=0.1)

    async def run_once() -> list[str]:
        async with server(faults=plan) as running, session(running) as client:
            for n in range(20):
                result = await client.synthesize(f"Line {n}.")
                assert result.final or result.error or result.plain_text == "internal error"
            return [r.outcome for r in running.stats.interactions]

    first, second = await run_once(), await run_once()
    assert first == second
    assert {"RATE_LIMITED", "INTERNAL_ERROR", "ok"} <= set(first)


def test_injector_is_deterministic_and_follows_the_probabilities():
    plan = FaultPlan(seed=7, rate_limited=0.3, drop=0.05, spike=0.1, spike_seconds=2.0)
    draws = [plan.injector().next() for _ in range(1)]
    one, two, other = (
        plan.injector(),
        plan.injector(),
        FaultPlan(seed=8, rate_limited=0.3).injector(),
    )
    a = [one.next() for _ in range(2000)]
    assert a == [two.next() for _ in range(2000)]
    assert a != [other.next() for _ in range(2000)]
    counts = Counter(f.kind for f in a)
    assert 0.26 < counts["RATE_LIMITED"] / 2000 < 0.34
    assert 0.03 < counts["drop"] / 2000 < 0.07
    assert 0.07 < sum(f.delay == 2.0 for f in a) / 2000 < 0.13
    assert draws[0] == a[0]


def test_script_entries_become_faults():
    injector = FaultPlan(script=("RATE_LIMITED", "ok", "drop", "slow:1.5")).injector()
    got = [injector.next() for _ in range(5)]
    assert got == [Fault("RATE_LIMITED"), Fault("ok"), Fault("drop"), Fault("ok", 1.5), Fault()]
    assert got[0].error_code == "RATE_LIMITED" and got[2].mid_stream and not got[3].mid_stream


def test_parse_faults_and_script():
    plan = parse_faults("rate_limited=0.3, drop=0.05,seed=7", parse_script("RATE_LIMITED,ok,drop"))
    assert plan == FaultPlan(
        seed=7, rate_limited=0.3, drop=0.05, script=("RATE_LIMITED", "ok", "drop")
    )
    assert parse_faults("") == FaultPlan()
    assert parse_script(" slow:0.5 , plain_text ") == ("slow:0.5", "plain_text")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("explode=0.1", "NAME=VALUE"),
        ("drop", "NAME=VALUE"),
        ("drop=lots", "not a number"),
        ("drop=1.5", "probability"),
        ("drop=0.6,timeout=0.6", "more than 1"),
        ("seed=1.5", "not a number"),
        ("spike_seconds=-1", "spike_seconds"),
    ],
)
def test_bad_fault_specs_name_the_option(spec, message):
    with pytest.raises(UserError, match=message) as caught:
        parse_faults(spec)
    assert "--faults" in str(caught.value)


@pytest.mark.parametrize("script", ["ok,boom", "slow:", "slow:-1", "slow:abc", "rate_limited"])
def test_bad_script_entries_name_the_option(script):
    with pytest.raises(UserError, match="--fault-script"):
        parse_script(script)


# -- mis-speaking faults (for proof-listening) --------------------------------------------------

MIS_TEXT = "The ferry left at dawn. Mara counted the gulls. Nobody believed the pilot."


def test_mis_speaking_faults_change_what_is_said_deterministically() -> None:
    from narrator.server.faults import mis_speak, sentences_of

    assert sentences_of(MIS_TEXT) == [
        "The ferry left at dawn.",
        "Mara counted the gulls.",
        "Nobody believed the pilot.",
    ]
    skipped = mis_speak("skip_sentence", MIS_TEXT)
    assert len(sentences_of(skipped)) == 2 and set(sentences_of(skipped)) < set(
        sentences_of(MIS_TEXT)
    )
    repeated = sentences_of(mis_speak("repeat_sentence", MIS_TEXT))
    assert len(repeated) == 4 and len(set(repeated)) == 3
    assert mis_speak("stop_half", MIS_TEXT) == "The ferry left at dawn. Mara"  # 6 of 13 words
    wrong = mis_speak("wrong_text", MIS_TEXT)
    assert len(wrong.split()) == len(MIS_TEXT.split()) and not set(wrong.split()) & {
        "ferry",
        "Mara",
    }
    assert mis_speak("skip_sentence", MIS_TEXT) == skipped  # the same text, the same change
    assert mis_speak("skip_sentence", "one two three four five six") == "one two five six"


def test_mis_speaking_faults_are_drawn_and_scripted_like_the_others() -> None:
    plan = parse_faults("stop_half=1,seed=3", parse_script("wrong_text,ok"))
    injector = plan.injector()
    kinds = [injector.next() for _ in range(3)]
    assert [f.kind for f in kinds] == ["wrong_text", "ok", "stop_half"]
    assert kinds[0].mis_speaks and not kinds[1].mis_speaks
    assert kinds[1].spoken(MIS_TEXT) == MIS_TEXT
