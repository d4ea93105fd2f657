"""Fault suite: jobs against the local server with seeded faults give the clean run's bytes.

Every run here goes through the real local server (test voice) on a loopback port. A faulty run
must complete and write the same output files, byte for byte, as a run with no faults: a retry
may never change, drop, duplicate or reorder audio. A server that is not there at all must end
`narrator run` quickly with one clear line and a non-zero exit.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest
import support
from support import KEY_ENV

from narrator.jobfile import load_job
from narrator.pipeline import RunOptions, RunSummary, run_job
from narrator.server import FaultPlan

REPO = Path(__file__).resolve().parents[1]

# Original words for generated prose (deterministic per seed, so every run reads the same book).
_SUBJECTS = (
    "The harbour master",
    "A tired cartographer",
    "Old Wenna",
    "The night clerk",
    "Her brother",
    "The lamplighter",
    "A boy with a kite",
    "The ferry pilot",
)
_VERBS = ("counted", "mended", "forgot", "painted", "carried", "argued about", "buried", "sold")
_OBJECTS = (
    "the broken compass",
    "seven blue lanterns",
    "a map of the marsh",
    "the last apple",
    "a crate of rope",
    "the silver kettle",
    "every door on the quay",
    "a letter",
)
_TAILS = (
    "before the tide turned",
    "while the gulls watched",
    "without saying a word",
    "as the bells rang noon",
    "under a sky the colour of slate",
    "and then laughed",
)


def prose(seed: int, chapters: int, paragraphs: int, sentences: int) -> str:
    """A text file body: `chapters` headed chapters of generated, numbered sentences."""
    rng = random.Random(seed)
    out: list[str] = []
    number = 0
    for c in range(chapters):
        out.append(f"CHAPTER {c + 1}. THE {rng.choice(('QUAY', 'MARSH', 'TOWER', 'MARKET'))}\n")
        for _ in range(paragraphs):
            said = []
            for _ in range(sentences):
                number += 1
                said.append(
                    f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} "
                    f"{rng.choice(_TAILS)}, said line {number}."
                )
            out.append(" ".join(said) + "\n")
    return "\n".join(out)


def write_job(
    folder: Path, url: str, *, text: str, synthesis: str = "", formats: str = "[wav, mp3]"
) -> Path:
    """A job reading one generated .txt through the server at `url`; outputs in folder/out."""
    return support.write_job(
        folder,
        url=url,
        texts={"book.txt": text},
        title="Faults",
        author="Test Author",
        credit=None,
        sources="[book.txt]",
        synthesis=f"{{concurrency: 4, max_segment_seconds: 6, {synthesis}}}",
        output=f"{{formats: {formats}, loudness: null, subtitles: [], qc: false}}",
    )


def output_bytes(files: list[Path]) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in files}


BOOK = prose(seed=5, chapters=2, paragraphs=4, sentences=4)
# Faults here are drawn independently per request, so a longer wait does not make the next attempt
# likelier to succeed; only the number of attempts matters. A 1 s cap keeps unlucky streaks cheap.
SYNTHESIS = "max_attempts: 25, backoff_max: 1"


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The outputs of a run with no faults (run once for the module)."""
    folder = tmp_path_factory.mktemp("clean")

    async def run() -> RunSummary:
        with pytest.MonkeyPatch.context() as mp:
            async with support.job_server(mp) as srv:
                job = write_job(folder, srv.url, text=BOOK, synthesis=SYNTHESIS)
                return await run_job(load_job(job), RunOptions())

    summary = anyio.run(run)
    assert summary.complete and summary.synthesized >= 20
    return output_bytes(summary.files)


PLANS = {
    "rate-limit-unavailable-drop-malformed-spike": FaultPlan(
        seed=1,
        rate_limited=0.3,
        backend_unavailable=0.1,
        drop=0.05,
        malformed=0.02,
        spike=0.1,
        spike_seconds=0.2,
    ),
    "same-mix-other-seed": FaultPlan(
        seed=2,
        rate_limited=0.3,
        backend_unavailable=0.1,
        drop=0.05,
        malformed=0.02,
        spike=0.1,
        spike_seconds=0.2,
    ),
    "plain-text-timeout-internal-error": FaultPlan(
        seed=3,
        plain_text=0.1,
        timeout=0.1,
        internal_error=0.1,
        drop=0.05,
        spike=0.05,
        spike_seconds=0.2,
    ),
}


@pytest.mark.anyio
@pytest.mark.parametrize("name", sorted(PLANS))
async def test_faulty_run_writes_the_clean_runs_bytes(name, clean, tmp_path, job_server):
    plan = PLANS[name]
    async with job_server(faults=plan) as srv:
        job = write_job(tmp_path, srv.url, text=BOOK, synthesis=SYNTHESIS)
        summary = await run_job(load_job(job), RunOptions())
        injected = [r for r in srv.stats.interactions if r.injected]
        ok_texts = srv.stats.texts("ok")
    assert summary.complete, summary.errors
    assert len(injected) >= 5, "the plan injected too few faults to test anything"
    assert len(ok_texts) == len(set(ok_texts)) == summary.synthesized  # each segment kept once
    assert sorted(clean) == sorted(p.name for p in summary.files)
    faulty = output_bytes(summary.files)
    for name_ in clean:
        assert faulty[name_] == clean[name_], f"{name_} differs from the clean run"


@pytest.mark.anyio
async def test_every_fault_kind_was_seen_and_retried(tmp_path, job_server):
    # Scripted, so each kind is certainly hit once, in a run small enough to read the log.
    script = (
        "RATE_LIMITED",
        "BACKEND_UNAVAILABLE",
        "TIMEOUT",
        "INTERNAL_ERROR",
        "drop",
        "malformed",
        "plain_text",
        "slow:0.3",
    )
    text = prose(seed=9, chapters=1, paragraphs=2, sentences=2)
    async with job_server() as srv:
        reference = await run_job(
            load_job(write_job(tmp_path / "a", srv.url, text=text, formats="[wav]")), RunOptions()
        )
    async with job_server(faults=FaultPlan(script=script)) as srv:
        job = write_job(tmp_path / "b", srv.url, text=text, formats="[wav]", synthesis=SYNTHESIS)
        summary = await run_job(load_job(job), RunOptions())
        outcomes = [r.outcome for r in srv.stats.interactions]
    assert summary.complete
    assert outcomes[: len(script) - 1] == [s for s in script if not s.startswith("slow")]
    assert outcomes.count("ok") == summary.synthesized == reference.synthesized
    assert output_bytes(summary.files) == output_bytes(reference.files)


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_server_gone_ends_with_one_clear_line_in_bounded_time(tmp_path):
    url = f"ws://127.0.0.1:{closed_port()}"
    job = write_job(
        tmp_path, url, text=BOOK, synthesis="max_attempts: 3, connect_timeout: 2, backoff_max: 1"
    )
    env = {**os.environ, KEY_ENV: "any-key", "PYTHONPATH": str(REPO)}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "narrator.cli", "run", "-q", str(job)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=tmp_path,
    )
    elapsed = time.monotonic() - started
    assert done.returncode != 0
    assert elapsed < 20, f"gave up only after {elapsed:.1f} s"
    errors = [line for line in done.stderr.splitlines() if line.startswith("narrator: error:")]
    assert len(errors) == 1, done.stderr
    assert url in errors[0] or "127.0.0.1" in errors[0], errors[0]
    assert "Traceback" not in done.stderr
    assert not list((tmp_path / "out").glob("**/*.*")), "no output may be written"


@pytest.mark.anyio
async def test_requests_past_the_deadline_are_abandoned_and_retried(clean, tmp_path, job_server):
    # Spikes longer than synthesis.request_timeout: the client gives up on those requests, and
    # the audio the server sends late must never end up in the book (or in the wrong segment).
    plan = FaultPlan(seed=4, spike=0.15, spike_seconds=1.4, drop=0.05)
    async with job_server(faults=plan) as srv:
        job = write_job(tmp_path, srv.url, text=BOOK, synthesis=f"{SYNTHESIS}, request_timeout: 1")
        summary = await run_job(load_job(job), RunOptions())
        abandoned = srv.stats.outcomes["disconnected"] + srv.stats.outcomes["cancelled"]
    assert summary.complete, summary.errors
    assert abandoned >= 2
    assert output_bytes(summary.files) == clean
