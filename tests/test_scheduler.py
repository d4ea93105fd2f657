"""The synthesis pool against the real local server: retries, AIMD, fatal stops, re-splits."""

from __future__ import annotations

import secrets
import threading
from functools import partial
from pathlib import Path

import anyio
import pytest

from narrator.errors import JobStopped, StoreError
from narrator.plan import PlannedSegment, segment_key
from narrator.scheduler import AdaptiveLimit, Pool, PoolSettings
from narrator.server import FaultPlan, ServerConfig, running_server
from narrator.server.textcode import decode
from narrator.store import IN_FLIGHT, Store
from narrator.text.segmenter import SegmenterSettings, split_text
from narrator.wire.client import Endpoint

SPLIT = partial(split_text, settings=SegmenterSettings(), parts=2)
FAST = PoolSettings(concurrency=4, max_attempts=6, backoff_initial=0.01, backoff_max=0.05)


def plan(store: Store, texts: list[str], voice: str = "test") -> list[PlannedSegment]:
    segments = [
        PlannedSegment(segment_key(t, voice, {}), 0, i, t, "sentence", len(t) / 15)
        for i, t in enumerate(texts)
    ]
    store.set_plan(segments, ["chapter"], {s.key: (voice, {}) for s in segments})
    return store.pending()


async def run(
    tmp_path: Path, texts: list[str], settings: PoolSettings = FAST, voice="test", **server
):
    key = secrets.token_urlsafe(12)
    async with running_server(ServerConfig(api_keys=(key,), engines=("test",), **server)) as srv:
        with Store.open(tmp_path / "ws") as store:
            pool = Pool(store, Endpoint(srv.url, voice, key), {}, settings, SPLIT)
            try:
                report = await pool.run(plan(store, texts, voice))
            finally:
                spoken = [decode(p.read_bytes()) for p, _, _ in _pieces(store)]
        return report, srv.stats, spoken, pool


def _pieces(store: Store):
    try:
        return list(store.pieces(0))
    except StoreError:  # the job stopped before every segment was done
        return []


def test_limit_cuts_on_rate_limited_once_per_cooldown_and_grows_with_time():
    now = [0.0]
    limit = AdaptiveLimit(8, cooldown=1.0, clock=lambda: now[0])
    limit.on_rate_limited()
    assert limit.limit == pytest.approx(8 * AdaptiveLimit.DECREASE)
    limit.on_rate_limited()  # answers to requests sent before the cut: no second cut
    assert limit.limit == pytest.approx(8 * AdaptiveLimit.DECREASE)
    now[0] = 0.5
    limit.on_success()  # still cooling down: no growth
    assert limit.limit == pytest.approx(5.6)
    for step in range(1, 5):
        now[0] = 0.5 + step
        limit.on_success()
    assert limit.limit == pytest.approx(5.6 + 4 * AdaptiveLimit.GROWTH)  # 4 s of growth
    now[0] = 100.0
    limit.on_success()
    assert limit.limit == 8.0  # never above the configured concurrency


@pytest.mark.anyio
async def test_limit_holds_callers_at_the_current_limit():
    limit = AdaptiveLimit(3)
    limit.limit = 2.0
    await limit.acquire()
    await limit.acquire()
    with anyio.move_on_after(0.1) as scope:
        await limit.acquire()
    assert scope.cancelled_caught and limit.in_use == 2
    await limit.release()
    with anyio.fail_after(1):
        await limit.acquire()


@pytest.mark.anyio
async def test_every_retryable_fault_is_retried_until_done(tmp_path):
    texts = [f"Segment {i} speaks." for i in range(12)]
    script = (
        "RATE_LIMITED",
        "BACKEND_UNAVAILABLE",
        "TIMEOUT",
        "INTERNAL_ERROR",
        "drop",
        "malformed",
        "plain_text",
    )
    report, stats, spoken, _ = await run(tmp_path, texts, faults=FaultPlan(script=script))
    assert report.done == 12 and report.failed == 0
    assert report.retries >= len(script) and report.rate_limited == 1
    assert [d[0].text for d in spoken] == texts and all(d[0].complete for d in spoken)


@pytest.mark.anyio
async def test_rate_limited_lowers_the_concurrency(tmp_path):
    texts = [f"Segment {i}." for i in range(25)]  # the bucket holds 10: the rest must wait
    settings = PoolSettings(concurrency=8, backoff_initial=0.05, backoff_max=0.2, max_attempts=40)
    report, _, _, pool = await run(tmp_path, texts, settings, rate=10.0, latency=0.02, capacity=64)
    assert report.done == 25 and report.rate_limited > 0
    assert pool.limit.limit < 8


@pytest.mark.anyio
async def test_unknown_voice_stops_the_job_within_one_request_per_worker(tmp_path):
    texts = [f"Segment {i}." for i in range(40)]
    with pytest.raises(JobStopped) as stopped:
        await run(tmp_path, texts, voice="nobody")
    assert "MODEL_NOT_FOUND" in str(stopped.value)


@pytest.mark.anyio
async def test_fatal_error_mid_job_stops_all_workers_promptly(tmp_path):
    texts = [f"Segment {i}." for i in range(200)]
    key = secrets.token_urlsafe(12)
    async with running_server(
        ServerConfig(api_keys=(key,), engines=("test",), latency=0.02)
    ) as srv:
        with Store.open(tmp_path / "ws") as store:
            pool = Pool(store, Endpoint(srv.url, "test", "wrong-" + key), {}, FAST, SPLIT)
            with pytest.raises(JobStopped):
                await pool.run(plan(store, texts))
        assert srv.stats.requests == 0 and srv.stats.auth_failures <= FAST.concurrency


@pytest.mark.anyio
async def test_a_stopped_job_gives_back_the_segments_it_claimed_but_never_sent(tmp_path):
    # The dispatcher claims a batch at a time; when the job stops, the claimed segments no
    # worker took go back as they were: pending stays pending, failed stays failed.
    texts = [f"Segment {i}." for i in range(12)]
    settings = PoolSettings(concurrency=4, max_attempts=2, backoff_initial=0.01, backoff_max=0.02)
    key = secrets.token_urlsafe(12)
    async with running_server(ServerConfig(api_keys=(key,), engines=("test",))) as srv:
        with Store.open(tmp_path / "ws") as store:
            segments = plan(store, texts)
            for segment in segments[::2]:  # an earlier run failed every other one
                assert store.claim(segment.key)
                store.mark_failed(segment.key, "TIMEOUT")
            before = {s.key: store.state(s.key) for s in segments}
            pool = Pool(store, Endpoint(srv.url, "test", "wrong-" + key), {}, settings, SPLIT)
            with pytest.raises(JobStopped):
                await pool.run(store.pending())
            after = {s.key: store.state(s.key) for s in segments}
    held = [k for k, state in after.items() if state == IN_FLIGHT]  # taken by a worker
    assert 1 <= len(held) <= settings.concurrency
    assert {k: state for k, state in after.items() if k not in held} == {
        k: state for k, state in before.items() if k not in held
    }
    assert sorted(set(before.values())) == ["failed", "pending"]


@pytest.mark.anyio
async def test_server_gone_stops_after_bounded_attempts(tmp_path):
    settings = PoolSettings(concurrency=2, max_attempts=2, backoff_initial=0.01, backoff_max=0.02)
    with Store.open(tmp_path / "ws") as store:
        pool = Pool(store, Endpoint("ws://127.0.0.1:9/", "test", "k"), {}, settings, SPLIT)
        with anyio.fail_after(20), pytest.raises(JobStopped, match="cannot reach"):
            await pool.run(plan(store, [f"Segment {i}." for i in range(50)]))
        assert pool.report.requests <= settings.max_attempts * (settings.unreachable_after + 2)


@pytest.mark.anyio
async def test_truncated_audio_is_split_until_complete(tmp_path):
    text = " ".join(f"Clause {i} runs on," for i in range(60)) + " and ends."
    key = secrets.token_urlsafe(12)
    async with running_server(ServerConfig(api_keys=(key,), engines=("test",))) as srv:
        with Store.open(tmp_path / "ws") as store:
            endpoint = Endpoint(srv.url, "test", key)
            pool = Pool(store, endpoint, {"max_new_tokens": 120}, FAST, SPLIT)
            report = await pool.run(plan(store, [text]))
            pieces = list(store.pieces(0))
    assert report.splits >= 1 and report.failed == 0
    decoded = [d for path, _, _ in pieces for d in decode(path.read_bytes())]
    assert all(d.complete for d in decoded)
    assert " ".join(d.text for d in decoded).split() == text.split()


@pytest.mark.anyio
async def test_split_part_equal_to_a_later_planned_segment_is_spoken_once(tmp_path):
    # The truncated segment's second part has the same text (so the same key) as the segment
    # planned after it: whoever claims it first speaks it; the other skips it, nothing breaks.
    long = " ".join(f"Clause {i} runs on," for i in range(30)) + " and ends."
    later = split_text(long, SegmenterSettings(), parts=2)[-1]
    key = secrets.token_urlsafe(12)
    settings = PoolSettings(concurrency=1, max_attempts=3, backoff_initial=0.01, backoff_max=0.05)
    async with running_server(ServerConfig(api_keys=(key,), engines=("test",))) as srv:
        with Store.open(tmp_path / "ws") as store:
            endpoint = Endpoint(srv.url, "test", key)
            pool = Pool(store, endpoint, {"max_new_tokens": 120}, settings, SPLIT)
            report = await pool.run(plan(store, [long, later]))
            decoded = [d for path, _, _ in store.pieces(0) for d in decode(path.read_bytes())]
        assert srv.stats.texts().count(later) == 1
    assert report.failed == 0 and report.splits >= 1
    assert all(d.complete for d in decoded)
    assert " ".join(d.text for d in decoded).split() == (long + " " + later).split()


@pytest.mark.anyio
async def test_a_failing_store_write_ends_the_run_with_that_error_not_a_group(
    tmp_path, monkeypatch
):
    def disk_full(self, key, pcm, *, usage=0):
        raise StoreError("workspace ws: cannot write x.pcm (No space left on device)")

    monkeypatch.setattr(Store, "put_audio", disk_full)
    with pytest.raises(StoreError, match="No space left"):
        await run(tmp_path, [f"Segment {i}." for i in range(6)])


@pytest.mark.anyio
@pytest.mark.parametrize("concurrency", [1, 2])
async def test_a_fatal_error_with_every_worker_gone_is_one_job_stop(tmp_path, concurrency):
    # With one worker, its end also breaks the stream the segments are fed through: the job
    # must still stop with the one fatal error, not a group holding a BrokenResourceError too.
    settings = PoolSettings(
        concurrency=concurrency, max_attempts=2, backoff_initial=0.01, backoff_max=0.02
    )
    with pytest.raises(JobStopped, match="MODEL_NOT_FOUND"):
        await run(tmp_path, [f"Segment {i}." for i in range(5)], settings, voice="nobody")


class LoopBeat:
    """Counts beats of the event loop, so that a store thread can wait until the loop has run."""

    def __init__(self) -> None:
        self.beats = 0
        self._changed = threading.Condition()

    async def run(self) -> None:
        while True:
            await anyio.sleep(0.002)  # the heartbeat being measured, not a wait
            with self._changed:
                self.beats += 1
                self._changed.notify_all()

    def wait(self, beats: int, timeout: float) -> bool:
        """Block the calling thread until the loop beats `beats` more times; False on timeout."""
        with self._changed:
            start = self.beats
            return self._changed.wait_for(lambda: self.beats >= start + beats, timeout)


@pytest.mark.anyio
async def test_store_work_and_resplits_never_block_the_event_loop(tmp_path, monkeypatch):
    # The injected fault: every store call and the splitter are slow. Each one holds its thread
    # until the event loop has beaten three more times. Were it run on the loop itself, the loop
    # could not beat, and the call would wait out its deadline instead.
    beat = LoopBeat()
    held: list[tuple[str, bool]] = []

    def slowed(name, call):
        def slow(*args, **kwargs):
            timeout = 0.0 if any(not ok for _, ok in held) else 5.0  # one stall is enough
            held.append((name, beat.wait(3, timeout)))
            return call(*args, **kwargs)

        return slow

    store_calls = {"claim", "claim_many", "record_request", "mark_failed", "split", "put_audio"}
    for name in store_calls:
        monkeypatch.setattr(Store, name, slowed(name, getattr(Store, name)))
    long = " ".join(f"Clause {i} runs on," for i in range(30)) + " and ends."
    texts = ["Segment zero is refused twice.", long, "Segment two."]
    settings = PoolSettings(concurrency=1, max_attempts=2, backoff_initial=0.01, backoff_max=0.02)
    key = secrets.token_urlsafe(12)
    config = ServerConfig(
        api_keys=(key,), engines=("test",), faults=FaultPlan(script=("TIMEOUT", "TIMEOUT"))
    )
    async with running_server(config) as srv, anyio.create_task_group() as ticking:
        ticking.start_soon(beat.run)
        with Store.open(tmp_path / "ws") as store:
            endpoint = Endpoint(srv.url, "test", key)
            pool = Pool(
                store, endpoint, {"max_new_tokens": 120}, settings, slowed("split_text", SPLIT)
            )
            with anyio.fail_after(60):
                report = await pool.run(plan(store, texts))
        ticking.cancel_scope.cancel()
    assert report.failed == 1 and report.splits >= 1 and report.done >= 3
    assert {name for name, _ in held} == store_calls | {"split_text"}
    assert [name for name, ok in held if not ok] == []  # else: the first one ran on the loop
