"""Fault tolerance: seeded fault runs of a ~300-segment job give the clean run's bytes.

The local server (test voice) injects, per request: 30 % RATE_LIMITED, 10 % BACKEND_UNAVAILABLE,
5 % connection drops mid-stream, 2 % malformed frames, and 5 % latency spikes. Each run uses
another seed and a fresh workspace; its outputs (wav + mp3) are compared with a clean run's.
Retry waits are narrator's defaults (full-jitter exponential, capped at 20 s) unless --backoff-max
(the job's synthesis.backoff_max).

    segments lost             planned segments not stored at the end   goal 0
    outputs differing         files unlike the clean run's bytes        goal 0

    python bench/faults.py [--runs 3] [--backoff-max SECONDS]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import anyio

from narrator.jobfile import Job, load_job
from narrator.pipeline import RunOptions, RunSummary, run_job
from narrator.plan import build_plan
from narrator.server import FaultPlan, ServerConfig, running_server
from narrator.store import Store

KEY_ENV = "NARRATOR_BENCH_KEY"
MAX_ATTEMPTS = 20  # at a 47 % fault rate, 8 (the default) fails ~1 segment in 400
NOUNS = (
    "the pier",
    "a red kite",
    "the bell tower",
    "nine barrels",
    "the weir",
    "a gull",
    "the toll house",
    "an iron gate",
    "the mill pond",
    "a blue door",
)
ACTS = ("watched", "repaired", "passed", "named", "forgot", "counted")


def book_text(chapters: int, paragraphs: int, sentences: int) -> str:
    """Short generated sentences, numbered so every segment is its own text."""
    rng = random.Random(0)
    out, number = [], 0
    for c in range(chapters):
        out.append(f"CHAPTER {c + 1}\n")
        for _ in range(paragraphs):
            said = []
            for _ in range(sentences):
                number += 1
                said.append(f"Note {number}: she {rng.choice(ACTS)} {rng.choice(NOUNS)}.")
            out.append(" ".join(said) + "\n")
    return "\n".join(out)


def write_job(folder: Path, url: str, text: str, backoff_max: float | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "book.txt").write_text(text, encoding="utf-8")
    job = folder / "book.yaml"
    backoff = "" if backoff_max is None else f", backoff_max: {backoff_max}"
    job.write_text(
        f"""title: Fault Bench
sources: [book.txt]
voice: {{config_id: test}}
server: {{url: "{url}", api_key_env: {KEY_ENV}}}
synthesis: {{concurrency: 4, max_segment_seconds: 3, max_attempts: {MAX_ATTEMPTS}{backoff}}}
output: {{formats: [wav, mp3], loudness: null, subtitles: [], qc: false}}
""",
        encoding="utf-8",
    )
    return job


def fault_plan(seed: int) -> FaultPlan:
    return FaultPlan(
        seed=seed,
        rate_limited=0.3,
        backend_unavailable=0.1,
        drop=0.05,
        malformed=0.02,
        spike=0.05,
        spike_seconds=0.5,
    )


async def one_run(
    folder: Path, text: str, faults: FaultPlan | None, backoff_max: float | None
) -> tuple[RunSummary, Counter[str], float]:
    """A job run against a fresh server; returns its summary, injected faults by kind, wall time."""
    key = secrets.token_urlsafe(16)
    config = ServerConfig(api_keys=(key,), engines=("test",), faults=faults, capacity=8)
    os.environ[KEY_ENV] = key
    async with running_server(config) as srv:
        job = load_job(write_job(folder, srv.url, text, backoff_max))
        started = time.monotonic()
        summary = await run_job(job, RunOptions())
        wall = time.monotonic() - started
        # An injected "ok" is a spiked request; spikes are counted from the plan instead.
        injected = Counter(
            r.outcome for r in srv.stats.interactions if r.injected and r.outcome != "ok"
        )
        if faults is not None:  # a spike is a delay, not an outcome: replay the seeded draws
            injected["latency spike"] = spikes(faults, srv.stats.requests)
    return summary, injected, wall


def lost_segments(job: Job) -> int:
    keys = [s.key for s in build_plan(job).segments]
    store = Store.read_only(job.workspace)
    try:
        return sum(store.state(key) != "done" for key in keys)
    finally:
        store.close()


def spikes(plan: FaultPlan, requests: int) -> int:
    """How many of the first `requests` draws were latency spikes (replays the seeded plan)."""
    injector = plan.injector()
    return sum(injector.next().delay > 0 for _ in range(requests))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backoff-max", type=float, default=None)
    args = parser.parse_args()
    text = book_text(chapters=4, paragraphs=15, sentences=5)
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        clean, _, clean_wall = anyio.run(one_run, Path(tmp) / "clean", text, None, args.backoff_max)
        want = {p.name: p.read_bytes() for p in clean.files}
        print(
            f"clean run: {clean.synthesized} segments, {clean.requests} requests, "
            f"{clean_wall:.1f} s"
        )
        print(
            f"{'run':>3} {'requests':>8} {'retries':>7} {'lost':>4} {'differ':>6} {'wall s':>7}  "
            "faults injected"
        )
        for run in range(1, args.runs + 1):
            plan = fault_plan(seed=run)
            folder = Path(tmp) / f"faulty{run}"
            summary, injected, wall = anyio.run(one_run, folder, text, plan, args.backoff_max)
            lost = lost_segments(load_job(folder / "book.yaml"))
            got = {p.name: p.read_bytes() for p in summary.files}
            differ = sum(want.get(n) != got.get(n) for n in set(want) | set(got))
            retries = summary.requests - summary.synthesized
            kinds = ", ".join(f"{k} {v}" for k, v in sorted(injected.items()))
            row = f"{run:>3} {summary.requests:>8} {retries:>7} {lost:>4} {differ:>6} {wall:>7.1f}"
            print(f"{row}  {kinds}")
            bad += lost + differ + (not summary.complete)
    verdict = "ok" if not bad else "FAIL"
    print(
        f"runs {args.runs} (seed = run number); segments lost and outputs differing must be 0: "
        f"{verdict}"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
