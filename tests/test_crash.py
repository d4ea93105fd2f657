"""Crash suite: `narrator run` killed with SIGKILL mid-synthesis and mid-assembly, then re-run.

The server runs in this process on its own thread and event loop, so its interaction log can be
read while `narrator run` subprocesses come and go. After every kill the store is opened
read-only and the texts of its done segments are noted: none of them may be requested again.
The final run's files must equal an uninterrupted run's byte for byte, leave no temp file
behind, and leave a store that passes its integrity check.
"""

from __future__ import annotations

import os
import random
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import support
from anyio.from_thread import start_blocking_portal
from support import KEY_ENV, wait_for

from narrator.jobfile import load_job
from narrator.plan import build_plan
from narrator.server import RunningServer, ServerConfig, running_server
from narrator.store import Store

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))  # crashkit: the helpers bench/crash.py uses too
from crashkit import done_texts, outputs, temp_files, threaded_server  # noqa: E402

_PEOPLE = (
    "the miller",
    "a courier",
    "the old surveyor",
    "Tamsin",
    "the choir master",
    "a stranger",
)
_DEEDS = (
    "walked the long road to",
    "drew a careful plan of",
    "sang quietly beside",
    "paid three coins for",
    "kept a lantern lit in",
    "wrote a short letter about",
)
_PLACES = (
    "the salt flats",
    "the chapel on the hill",
    "a flooded orchard",
    "the north gate",
    "the glassworks",
    "a quiet ferry landing",
    "the winter market",
)


def book_text(seed: int, chapters: int, paragraphs: int, sentences: int) -> str:
    """Generated prose, numbered so no two sentences (or segments) are the same text."""
    rng = random.Random(seed)
    out, number = [], 0
    for c in range(chapters):
        out.append(f"CHAPTER {c + 1}. PART {c + 1}\n")
        for _ in range(paragraphs):
            said = []
            for _ in range(sentences):
                number += 1
                who, did, where = rng.choice(_PEOPLE), rng.choice(_DEEDS), rng.choice(_PLACES)
                said.append(f"In hour {number} {who} {did} {where}.")
            out.append(" ".join(said) + "\n")
    return "\n".join(out)


# 30 segments, ~6.5 min of audio, so assembly (wav + mp3) takes ~2 s,
# and at 0.3 s of server latency with 4 workers synthesis takes ~2-3 s.
BOOK = book_text(seed=3, chapters=3, paragraphs=5, sentences=6)
LATENCY = 0.3


def write_job(folder: Path, url: str, max_attempts: int = 8) -> Path:
    return support.write_job(
        folder,
        url=url,
        texts={"book.txt": BOOK},
        title="Crash",
        author="Test Author",
        credit=None,
        sources="[book.txt]",
        synthesis=f"{{concurrency: 4, max_attempts: {max_attempts}}}",
        output="{formats: [wav, mp3], loudness: null, subtitles: [], qc: false}",
    )


def server_config(key: str) -> ServerConfig:
    return ServerConfig(api_keys=(key,), engines=("test",), latency=LATENCY, capacity=8)


@dataclass
class Runs:
    """`narrator run` subprocesses of one job, and what the store held after each kill."""

    job: Path
    server: RunningServer
    key: str
    kills: int = 0
    # (index into the server's interaction log, texts stored at that moment)
    checkpoints: list[tuple[int, set[str]]] = field(default_factory=list)

    @property
    def workspace(self) -> Path:
        return self.job.parent / ".narrator" / self.job.stem

    @property
    def out(self) -> Path:
        return self.job.parent / "out" / self.job.stem

    def start(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, KEY_ENV: self.key, "PYTHONPATH": str(REPO)}
        log = open(self.job.parent / "run.log", "ab")  # noqa: SIM115 - closed with the process
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "narrator.cli", "run", "-q", str(self.job)],
                stdout=log,
                stderr=log,
                env=env,
                cwd=self.job.parent,
            )
        finally:
            log.close()

    def kill_when(self, ready: Callable[[], bool], extra: float, deadline: float = 20.0) -> bool:
        """Start a run, SIGKILL it `extra` s after `ready()`; False if it finished first."""
        proc = self.start()
        if not wait_for(
            ready,
            "moment to kill the run",
            deadline,
            stop=lambda: proc.poll() is not None,
            every=0.005,
        ):
            return False  # the run finished first
        time.sleep(extra)  # the injected fault: a random moment after `ready`, not a wait
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        self.kills += 1
        self.checkpoint()
        return True

    def checkpoint(self) -> None:
        self.checkpoints.append((len(self.server.stats.interactions), done_texts(self.job)))

    def finish(self) -> None:
        proc = self.start()
        assert proc.wait(timeout=60) == 0, (self.job.parent / "run.log").read_text()

    def requested_again(self) -> list[str]:
        """Texts the server was asked for (and answered) after the store already held them."""
        log = list(self.server.stats.interactions)
        again = []
        for mark, stored in self.checkpoints:
            again += [r.text for r in log[mark:] if r.outcome == "ok" and r.text in stored]
        return again


def part_files(folder: Path) -> list[Path]:
    return list(folder.glob(".*.part")) if folder.exists() else []


@pytest.fixture(scope="module")
def crash_server() -> Iterator[tuple[RunningServer, str]]:
    key = secrets.token_urlsafe(16)
    with threaded_server(server_config(key)) as srv:
        yield srv, key


@pytest.fixture(scope="module")
def reference(crash_server, tmp_path_factory) -> dict[str, bytes]:
    """The files of one uninterrupted run."""
    srv, key = crash_server
    runs = Runs(write_job(tmp_path_factory.mktemp("reference"), srv.url), srv, key)
    runs.finish()
    files = outputs(runs.out)
    assert sorted(Path(name).suffix for name in files) == [".mp3"] * 3 + [".wav"] * 3
    return files


def check_final(runs: Runs, reference: dict[str, bytes]) -> None:
    runs.finish()
    assert runs.requested_again() == []
    final = outputs(runs.out)
    assert sorted(final) == sorted(reference)
    for name, data in reference.items():
        assert final[name] == data, f"{name} differs from the uninterrupted run's"
    assert temp_files(runs.out, runs.workspace) == []
    store = Store.read_only(runs.workspace)
    try:
        assert store.check_integrity() == []
    finally:
        store.close()


def test_killed_during_synthesis_resumes_without_asking_twice(crash_server, reference, tmp_path):
    srv, key = crash_server
    runs = Runs(write_job(tmp_path, srv.url), srv, key)
    rng = random.Random(41)
    total = len(build_plan(load_job(runs.job)).segments)
    stored = 0
    for _ in range(3):
        start = len(srv.stats.interactions)
        # Kill once a random further share of the book has come back (always mid-synthesis).
        target = rng.randint(2, max(3, (total - stored) // 3))

        def ready(start: int = start, target: int = target) -> bool:
            return sum(r.outcome == "ok" for r in srv.stats.interactions[start:]) >= target

        assert runs.kill_when(ready, extra=rng.uniform(0, LATENCY)), "the run ended before the kill"
        now = len(runs.checkpoints[-1][1])
        assert now >= stored  # a kill never loses a stored segment
        stored = now
    assert 0 < stored < total, "the kills should leave the book part synthesized"
    check_final(runs, reference)


def test_killed_while_writing_outputs_leaves_no_part_file_and_same_bytes(
    crash_server, reference, tmp_path
):
    srv, key = crash_server
    runs = Runs(write_job(tmp_path, srv.url), srv, key)
    rng = random.Random(7)
    mid_write = 0
    for _ in range(3):
        assert runs.kill_when(lambda: bool(part_files(runs.out)), extra=rng.uniform(0, 0.4))
        mid_write += bool(part_files(runs.out))
    assert mid_write >= 1, "no kill landed while a .part file was being written"
    check_final(runs, reference)


def test_server_vanishing_mid_run_stops_cleanly_and_another_finishes_the_book(reference, tmp_path):
    key = secrets.token_urlsafe(16)
    with start_blocking_portal() as portal:
        first = portal.wrap_async_context_manager(running_server(server_config(key)))
        srv = first.__enter__()
        runs = Runs(write_job(tmp_path, srv.url, max_attempts=3), srv, key)
        proc = runs.start()
        assert wait_for(
            lambda: sum(r.outcome == "ok" for r in srv.stats.interactions) >= 5,
            "5 segments stored",
            stop=lambda: proc.poll() is not None,
            every=0.005,
        ), "the run ended before the server went away"
        first.__exit__(None, None, None)
        gone = time.monotonic()
        code = proc.wait(timeout=60)
        waited = time.monotonic() - gone
    assert code != 0 and waited < 20, f"exit {code} after {waited:.1f} s"
    errors = [line for line in (tmp_path / "run.log").read_text().splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0].startswith("narrator: error:") and "reach" in errors[0], (
        errors
    )
    stored = done_texts(runs.job)
    assert 0 < len(stored) < len(build_plan(load_job(runs.job)).segments)
    with threaded_server(server_config(key)) as second:
        runs.job.write_text(runs.job.read_text().replace(srv.url, second.url), encoding="utf-8")
        resumed = Runs(runs.job, second, key, checkpoints=[(0, stored)])
        check_final(resumed, reference)
