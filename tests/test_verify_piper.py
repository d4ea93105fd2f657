"""Proof-listening with the real `joe` voice and the real recognizer (Whisper tiny.en).

A short passage of Metamorphosis is narrated by the local server's Piper voice, told to
mis-speak its first four requests (drop a stretch, repeat, say a different text, stop half-way
without marking truncation). `verify: report` must flag those four segments; `verify: fix` must
repair them, so that the assembled book's QC report has no segment left bad.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import support

from narrator.cli.main import main
from narrator.jobfile import load_job
from narrator.pipeline import RunOptions, run_job
from narrator.server import FaultPlan

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "tests" / "data" / "books" / "pg5200_metamorphosis.txt"
MIS_SPEAKINGS = ("skip_sentence", "repeat_sentence", "wrong_text", "stop_half")


def passage() -> str:
    """Two paragraphs of the book's first page, as the file has them (four segments here)."""
    text = BOOK.read_text(encoding="utf-8")
    start = text.index("The bedding was hardly")
    return text[start : text.index("His room,", start)].strip() + "\n"


def write_job(folder: Path, url: str, verify: str) -> Path:
    return support.write_job(
        folder,
        url=url,
        credit=None,
        sources="[{path: book.txt, title: Gregor, split: none}]",
        voice="joe",
        speak_titles="false",
        verify=verify,
        synthesis="{concurrency: 1, max_segment_seconds: 6}",
    )


def qc_verification(folder: Path) -> dict:
    (path,) = (folder / "out" / "book").glob("*.qc.json")
    return json.loads(path.read_text(encoding="utf-8"))["verification"]


@pytest.mark.piper
@pytest.mark.timeout(900)  # two short narrations and ~40 s of speech heard, on a loaded CI box
@pytest.mark.anyio
async def test_verify_finds_the_real_voices_mis_speakings_and_fix_repairs_them(
    tmp_path, job_server, capsys
):
    (tmp_path / "book.txt").write_text(passage(), encoding="utf-8")
    faults = FaultPlan(script=MIS_SPEAKINGS)
    async with job_server(engines=("joe",), faults=faults) as srv:
        first = await run_job(load_job(write_job(tmp_path, srv.url, "report")), RunOptions())
        assert first.complete
        report = qc_verification(tmp_path)
        assert report["book"]["segments"] == 4
        assert [s["segment"] for s in report["still_bad"]] == [1, 2, 3, 4], first.verify_table

        fixed = await run_job(load_job(write_job(tmp_path, srv.url, "fix")), RunOptions())
    assert "0 still bad" in fixed.verify_table, fixed.verify_table
    report = qc_verification(tmp_path)
    assert report["book"]["fixed"] == report["book"]["flagged"] >= 4
    assert report["book"]["still_bad"] == 0 and report["still_bad"] == []
    assert main(["status", str(tmp_path / "book.yaml")]) == 0
    assert "4/4 segments heard" in capsys.readouterr().out
