"""QC: streamed silence/peak tracking, pace outliers (with numpy edge silence), the report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from narrator.assembly.model import Piece
from narrator.assembly.pcmstream import Placed
from narrator.assembly.qc import (
    SILENCE_LEVEL,
    ChapterQc,
    PaceBook,
    QcReport,
    SilenceTracker,
    dbfs,
    edge_silence,
)
from narrator.text.boundary import Boundary


def longest_run(samples: np.ndarray) -> tuple[int, int]:
    best, start, run = 0, 0, 0
    for index, value in enumerate(samples.tolist()):
        run = run + 1 if abs(value) <= SILENCE_LEVEL else 0
        if run > best:
            best, start = run, index - run + 1
    return best, start


@given(st.lists(st.sampled_from([0, 0, 0, 5, 100, -2000]), max_size=300), st.integers(1, 50))
def test_silence_tracker_matches_a_plain_scan(values: list[int], block: int) -> None:
    samples = np.array(values, dtype="<i2")
    tracker = SilenceTracker()
    for start in range(0, len(samples), block):
        tracker.write(samples[start : start + block])
    tracker.finish()
    best, start = longest_run(samples)
    assert tracker.longest == best
    if best:
        assert tracker.longest_at == start
    assert tracker.peak == max([abs(v) for v in values if abs(v) > SILENCE_LEVEL], default=0)


def piece(tmp_path: Path, name: str, text: str, seconds: float, trailing: float = 0.0) -> Placed:
    path = tmp_path / f"{name}.pcm"
    speech = (np.sin(np.arange(int(seconds * 24000)) / 3) * 8000).astype("<i2")
    np.concatenate([speech, np.zeros(int(trailing * 24000), dtype="<i2")]).tofile(path)
    samples = path.stat().st_size // 2
    return Placed(Piece(path, text, Boundary.SENTENCE, voice="v1"), int(name[1:]), 0, samples)


def test_slow_segment_is_an_outlier_with_its_trailing_silence(tmp_path: Path) -> None:
    pace = PaceBook()
    text = "Thirty characters of speech.."
    for number in range(6):
        pace.add(1, piece(tmp_path, f"p{number}", text, 2.0))
    pace.add(2, piece(tmp_path, "p9", text, 2.0, trailing=4.0))
    pace.add(2, piece(tmp_path, "p8", "short", 9.0))  # too short a text to judge
    [outlier] = pace.outliers()
    assert (outlier.chapter, outlier.segment, outlier.voice) == (2, 10, "v1")
    assert outlier.seconds_per_char > 2.5 * outlier.voice_median
    assert abs(outlier.trailing_silence_s - 4.0) < 0.05 and outlier.leading_silence_s < 0.05


def test_edge_silence(tmp_path: Path) -> None:
    path = tmp_path / "e.pcm"
    tone = (np.sin(np.arange(24000) / 3) * 8000).astype("<i2")
    np.concatenate([np.zeros(12000, dtype="<i2"), tone, np.zeros(2400, dtype="<i2")]).tofile(path)
    lead, trail = edge_silence(path)
    assert abs(lead - 0.5) <= 0.01 and abs(trail - 0.1) <= 0.01


def test_report_json_and_table() -> None:
    chapter = ChapterQc(1, "Opening", 90.0, 12, -20.1, -3.2, -4.0, 1.6, 30.5, 2.5)
    report = QcReport((chapter,), (), 90.0, ("a note",))
    data = json.loads(report.to_json())
    assert data["chapters"][0]["integrated_lufs"] == -20.1 and data["notes"] == ["a note"]
    table = report.table()
    assert "Opening" in table and "-20.1" in table and "+2.5" in table and "note: a note" in table
    assert dbfs(32768) == 0.0 and dbfs(0) is None
