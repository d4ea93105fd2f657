"""Proof-listening a job end to end with the `test` voice, heard back by its own decoder.

The test voice's PCM spells its text (narrator/server/textcode.py), so a recognizer that decodes
it hears exactly what the local server said, mis-speaking faults included: these tests check the
runner, the store's takes, fix mode and the report without a speech model (tests marked `piper`
in test_verify_piper.py do the same with the real voice and Whisper).
"""

from __future__ import annotations

import json
import sys
import wave
from pathlib import Path

import pytest
import support

from narrator.cli.main import main
from narrator.jobfile import load_job
from narrator.pipeline import RunOptions, RunSummary, run_job
from narrator.server import FaultPlan
from narrator.server.textcode import EDGE, decode, decode_text
from narrator.store import Store
from narrator.verify import recognizer as recognizer_module
from narrator.verify.align import normalize
from narrator.verify.recognizer import Heard
from narrator.verify.report import build_report

# Four segments of two sentences each (max_segment_seconds 8 at 15 chars/s: one paragraph each).
TEXT = """The ferry left at dawn. Its horn was low over the water.

Mara counted the gulls. She lost count at forty and began again.

By noon the far shore had a shape. There was a row of sheds and a crane.

The pilot said they were early. Nobody on the deck believed him.
"""


class CodeRecognizer:
    """Hears the test voice exactly; counts what it was asked to hear."""

    heard = 0
    windows: list[list[str]] = []  # what each joined hearing heard, take by take

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def hear(self, pcm: bytes) -> Heard:
        CodeRecognizer.heard += 1
        text = decode_text(pcm)
        return Heard(text, not text, len(pcm) / 48_000)

    def hear_joined(self, takes: list[bytes]) -> list[Heard]:
        heard = [self.hear(pcm) for pcm in takes]
        CodeRecognizer.windows.append([h.text for h in heard])
        return heard


@pytest.fixture(autouse=True)
def code_recognizer(monkeypatch):
    monkeypatch.setattr(recognizer_module, "Recognizer", CodeRecognizer)
    CodeRecognizer.heard = 0
    CodeRecognizer.windows = []


def write_job(folder: Path, url: str, verify: str) -> Path:
    return support.write_job(
        folder,
        url=url,
        texts={"book.txt": TEXT},
        title="Ferry",
        sources="[{path: book.txt, title: Ferry, split: none}]",
        voice="test",
        speak_titles="false",
        synthesis="{concurrency: 1, max_segment_seconds: 8}",
        verify=verify,
    )


def spoken_words(summary: RunSummary) -> list[str]:
    (wav,) = [f for f in summary.files if f.suffix == ".wav"]
    with wave.open(str(wav)) as w:
        return normalize(decode_text(w.readframes(w.getnframes())))


MIS_SPEAKINGS = ("skip_sentence", "repeat_sentence", "wrong_text", "stop_half")


@pytest.mark.anyio
async def test_report_mode_flags_every_mis_speaking_where_it_is_in_the_file(tmp_path, job_server):
    async with job_server(faults=FaultPlan(script=MIS_SPEAKINGS)) as srv:
        summary = await run_job(load_job(write_job(tmp_path, srv.url, "report")), RunOptions())
    assert summary.complete and "4 flagged, 0 fixed, 4 still bad" in summary.verify_table
    qc = json.loads(next(f for f in summary.files if f.name.endswith(".qc.json")).read_text())
    found = qc["verification"]
    assert found["book"] == {"segments": 4, "verified": 4, "flagged": 4, "fixed": 0, "still_bad": 4}
    assert [s["segment"] for s in found["still_bad"]] == [1, 2, 3, 4]
    assert "missing" in found["still_bad"][0]["reasons"]
    assert "repeated" in found["still_bad"][1]["reasons"]
    # Each still-bad segment's time is where its audio starts in the chapter file.
    (wav,) = [f for f in summary.files if f.suffix == ".wav"]
    with wave.open(str(wav)) as w:
        starts = [(d.start - EDGE) / 24_000 for d in decode(w.readframes(w.getnframes()))]
    assert [s["at_seconds"] for s in found["still_bad"]] == pytest.approx(starts, abs=0.002)


@pytest.mark.anyio
async def test_fix_mode_repairs_them_and_the_book_says_every_word(tmp_path, job_server):
    async with job_server(faults=FaultPlan(script=MIS_SPEAKINGS)) as srv:
        summary = await run_job(load_job(write_job(tmp_path, srv.url, "fix")), RunOptions())
    assert summary.complete and "4 flagged, 4 fixed, 0 still bad" in summary.verify_table
    assert spoken_words(summary) == normalize(TEXT)
    with Store.read_only(tmp_path / ".narrator" / "book") as store:
        takes = store.takes()
    assert sorted(len(t) for t in takes.values()) == [2, 2, 2, 2]  # first take, fresh take
    assert all(t[-1].kept and not t[-1].reasons for t in takes.values())


@pytest.mark.anyio
async def test_a_second_failure_re_splits_the_segment_at_its_sentences(tmp_path, job_server):
    script = ("skip_sentence", "ok", "ok", "ok", "skip_sentence")
    async with job_server(faults=FaultPlan(script=script)) as srv:
        summary = await run_job(load_job(write_job(tmp_path, srv.url, "fix")), RunOptions())
    assert "1 flagged, 1 fixed, 0 still bad" in summary.verify_table
    assert spoken_words(summary) == normalize(TEXT)
    with Store.read_only(tmp_path / ".narrator" / "book") as store:
        leaves = store.leaves()
        takes = store.takes()
    first = [leaf for leaf in leaves if leaf.order == 0]
    assert [leaf.text for leaf in first] == [
        "The ferry left at dawn.",
        "Its horn was low over the water.",
    ]
    assert [t.how for t in takes[first[0].planned]] == ["first", "fresh", "split"]
    assert all(takes[leaf.key][-1].how == "split" for leaf in first)


@pytest.mark.anyio
async def test_re_split_parts_are_heard_together_and_a_bad_part_is_spoken_again(
    tmp_path, job_server
):
    # Segment 1: a bad first take and a bad fresh take, so it is re-split; its second part is
    # mis-spoken twice more (stopped half-way, then repeated) before a good take.
    script = ("skip_sentence", "ok", "ok", "ok", "skip_sentence", "ok", "stop_half")
    faults = FaultPlan(script=(*script, "repeat_sentence", "ok"))
    async with job_server(faults=faults) as srv:
        summary = await run_job(load_job(write_job(tmp_path, srv.url, "fix")), RunOptions())
    assert "1 flagged, 1 fixed, 0 still bad" in summary.verify_table
    assert spoken_words(summary) == normalize(TEXT)
    first, second = "The ferry left at dawn.", "Its horn was low over the water."
    # The parts are heard as the book plays them, and each retake of the second between its
    # neighbours: first after the first part, as it was said (half, then twice), then right.
    parts = [w for w in CodeRecognizer.windows if len(w) == 2 and w[0] == first]
    assert [w[1] for w in parts] == ["Its horn was", f"{second} {second}", second]
    with Store.read_only(tmp_path / ".narrator" / "book") as store:
        takes = store.takes()
        (leaf,) = [leaf for leaf in store.leaves() if leaf.text == second]
    # Every take of the part is kept in the store, the good one marked kept.
    found = [(t.how, t.kept, bool(t.reasons)) for t in takes[leaf.key]]
    assert found == [("split", False, True), ("split", False, True), ("split", True, False)]


@pytest.mark.anyio
async def test_heard_takes_are_never_heard_again_unless_their_audio_changes(tmp_path, job_server):
    async with job_server(faults=FaultPlan()) as srv:
        job = load_job(write_job(tmp_path, srv.url, "report"))
        await run_job(job, RunOptions())
        assert CodeRecognizer.heard == 4
        await run_job(job, RunOptions())
        assert CodeRecognizer.heard == 4
        with Store.open(job.workspace) as store:  # new audio for one segment (same text)
            leaf = store.leaves()[0]
            store.replace_audio(leaf.key, store.pcm_path(leaf.key).read_bytes() + b"\0\0" * 10)
            assert build_report(store).total("verified") == 3
        summary = await run_job(job, RunOptions())
    assert CodeRecognizer.heard == 5 and "4/4 segments heard" in summary.verify_table


def test_status_shows_verification_and_a_missing_recognizer_is_one_line(
    tmp_path, capsys, monkeypatch
):
    (tmp_path / "a.txt").write_text("One. Two. Three four five six.", encoding="utf-8")
    job = tmp_path / "job.yaml"
    job.write_text(
        "sources: [a.txt]\nvoice: test\noutput: {formats: [wav], subtitles: []}\n", encoding="utf-8"
    )
    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # the verify extra is not installed
    assert main(["run", "-q", str(job)]) == 0  # verify is off: no recognizer needed
    assert main(["verify", str(job)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "pip install -e '.[verify]'" in err
    monkeypatch.delitem(sys.modules, "faster_whisper")
    assert main(["verify", str(job)]) == 0
    assert "1 flagged" not in capsys.readouterr().out
    assert main(["status", str(job)]) == 0
    assert (
        "verification: 1/1 segments heard, 0 flagged, 0 fixed, 0 still bad"
        in capsys.readouterr().out
    )
