"""Crash resilience: `narrator run` SIGKILLed at seeded random moments, then run to the end.

One job (~60 segments, wav + mp3) against the local server on a thread of this process. While
the store lacks segments, each run is killed after a random 0.5-2.2 s (start-up takes ~1.4 s, so
most kills land mid-synthesis, each letting a few more segments in); once all audio is stored,
after a random moment within an uninterrupted run's length (start-up or writing outputs). A run
that ends before its kill just counts as a run. After every kill the store is read (read-only)
and its done segments noted. Then one last, uninterrupted run.

    segments lost             done after some kill, not done at the end     goal 0
    outputs differing         final files vs an uninterrupted run's bytes   goal 0
    duplicate requests        segments answered again after being stored    goal 0
    temp files left           .part / .tmp in the output dir and workspace  goal 0

    python bench/crash.py [--kills 20] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from crashkit import done_texts, outputs, temp_files, threaded_server  # beside this script

from narrator.jobfile import load_job
from narrator.plan import build_plan
from narrator.server import RunningServer, ServerConfig
from narrator.store import Store

KEY_ENV = "NARRATOR_BENCH_KEY"
LATENCY = 0.6
WORDS = (
    "harbour",
    "lantern",
    "orchard",
    "kettle",
    "ledger",
    "meadow",
    "signal",
    "quarry",
    "thimble",
    "weather",
    "compass",
    "granary",
    "ferry",
    "chapel",
    "rope",
    "ember",
)


def book_text(seed: int, chapters: int, paragraphs: int, sentences: int) -> str:
    """Generated, numbered sentences (no two segments alike), headed chapters."""
    rng = random.Random(seed)
    out, number = [], 0
    for c in range(chapters):
        out.append(f"CHAPTER {c + 1}. THE {rng.choice(WORDS).upper()}\n")
        for _ in range(paragraphs):
            said = []
            for _ in range(sentences):
                number += 1
                picked = " and the ".join(rng.sample(WORDS, 3))
                said.append(f"Entry {number} of the log mentions the {picked}, nothing more.")
            out.append(" ".join(said) + "\n")
    return "\n".join(out)


def write_job(folder: Path, url: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "book.txt").write_text(text, encoding="utf-8")
    job = folder / "book.yaml"
    job.write_text(
        f"""title: Crash Bench
sources: [book.txt]
voice: {{config_id: test}}
server: {{url: "{url}", api_key_env: {KEY_ENV}}}
synthesis: {{concurrency: 4, max_attempts: 8}}
output: {{formats: [wav, mp3], loudness: null, subtitles: [], qc: false}}
""",
        encoding="utf-8",
    )
    return job


def server_config(key: str) -> ServerConfig:
    return ServerConfig(api_keys=(key,), engines=("test",), latency=LATENCY, capacity=8)


@dataclass
class Runner:
    job: Path
    server: RunningServer
    key: str
    runs: int = 0
    kills: int = 0
    checkpoints: list[tuple[int, set[str]]] = field(default_factory=list)
    phases: Counter[str] = field(default_factory=Counter)  # where each kill landed

    def run(self, kill_after: float | None) -> float:
        """One `narrator run`; SIGKILL after `kill_after` s if still running. Returns its time."""
        env = {**os.environ, KEY_ENV: self.key}
        log = open(self.job.parent / "run.log", "ab")  # noqa: SIM115 - the child keeps its copy
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "narrator.cli", "run", "-q", str(self.job)],
            stdout=log,
            stderr=log,
            env=env,
            cwd=self.job.parent,
        )
        log.close()
        self.runs += 1
        try:
            code = proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            self.kills += 1
            self.phases[self.phase()] += 1
            self.checkpoints.append((len(self.server.stats.interactions), done_texts(self.job)))
            return time.monotonic() - started
        if code != 0:
            raise SystemExit(f"run {self.runs} exited {code}; see {self.job.parent / 'run.log'}")
        return time.monotonic() - started

    def phase(self) -> str:
        """Where the run was when killed: before any audio, synthesizing, or writing outputs."""
        out = self.job.parent / "out" / self.job.stem
        if out.exists() and any(out.glob(".*.part")):
            return "writing outputs (.part present)"
        planned = len(build_plan(load_job(self.job)).segments)
        done = len(done_texts(self.job))
        return "synthesis" if done < planned else "start-up or between outputs"

    def duplicates(self) -> int:
        log = list(self.server.stats.interactions)
        return sum(
            1
            for mark, stored in self.checkpoints
            for r in log[mark:]
            if r.outcome == "ok" and r.text in stored
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    text = book_text(args.seed, chapters=3, paragraphs=10, sentences=6)
    key = secrets.token_urlsafe(16)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, threaded_server(server_config(key)) as srv:
        reference = Runner(write_job(Path(tmp) / "reference", srv.url, text), srv, key)
        full = reference.run(kill_after=None)
        runner = Runner(write_job(Path(tmp) / "crashed", srv.url, text), srv, key)
        job = load_job(runner.job)
        while runner.kills < args.kills:
            if runner.runs >= 4 * args.kills:
                raise SystemExit(f"only {runner.kills} kills in {runner.runs} runs")
            synthesized = len(done_texts(runner.job)) == len(build_plan(job).segments)
            runner.run(kill_after=rng.uniform(0.2, full) if synthesized else rng.uniform(0.5, 2.2))
        runner.run(kill_after=None)
        final = done_texts(runner.job)
        planned = {s.text for s in build_plan(job).segments}
        ever = set().union(*(stored for _, stored in runner.checkpoints))
        lost = len((ever | planned) - final)
        want, got = outputs(reference.job.parent / "out" / "book"), outputs(job.output.directory)
        differing = sum(want.get(name) != got.get(name) for name in set(want) | set(got))
        temps = temp_files(job.output.directory, job.workspace)
        store = Store.read_only(job.workspace)
        problems = store.check_integrity()
        store.close()
        print(f"uninterrupted run       {full:.1f} s")
        print(f"runs                    {runner.runs + 1} (last one uninterrupted)")
        print(f"kills                   {runner.kills}")
        for phase, count in sorted(runner.phases.items()):
            print(f"  during {phase:<31} {count}")
        print(f"segments                {len(planned)}")
        print(f"segments lost           {lost}")
        print(f"outputs differing       {differing} of {len(want)}")
        print(f"duplicate requests      {runner.duplicates()} (after the segment was stored)")
        print(f"temp files left         {len(temps)}")
        print(f"integrity problems      {len(problems)}")
        print(f"wall time               {time.monotonic() - started:.1f} s")
    bad = lost or differing or runner.duplicates() or temps or problems
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
