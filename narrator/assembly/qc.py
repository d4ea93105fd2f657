"""The quality report: per chapter duration, loudness, peaks and the longest silence, plus the
segments whose pace (seconds per character) is far from their voice's median.

Statistics are gathered while the audio streams (a running peak and a running silence length), so
the report costs no extra pass. A segment is an outlier when its seconds per character is more than
OUTLIER_FACTOR times (or less than 1/OUTLIER_FACTOR of) the median of its voice; texts shorter than
MIN_CHARS are skipped because a single word's pace says little. Outliers are few and small, so each
is read again to report its leading and trailing silence - the usual cause of a slow segment.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from narrator.assembly.model import SOURCE_RATE
from narrator.assembly.pcmstream import Placed

SILENCE_LEVEL = 33  # |sample| at or below -60 dBFS counts as silence
OUTLIER_FACTOR = 1.8
MIN_CHARS = 20


class SilenceTracker:
    """Longest run of near-silent samples across a stream of blocks."""

    def __init__(self) -> None:
        self.position = 0
        self.run = 0  # current run length
        self.longest = 0
        self.longest_at = 0  # sample where the longest run starts
        self.peak = 0

    def write(self, pcm: np.ndarray) -> None:
        """Account for the next block."""
        if not pcm.size:
            return
        loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > SILENCE_LEVEL)
        if loud.size:
            self.peak = max(self.peak, int(np.abs(pcm[loud].astype(np.int32)).max()))
            gaps = np.diff(loud) - 1
            self._close(self.run + int(loud[0]), self.position - self.run)
            if gaps.size:
                best = int(gaps.argmax())
                self._close(int(gaps[best]), self.position + int(loud[best]) + 1)
            self.run = pcm.size - int(loud[-1]) - 1
        else:
            self.run += pcm.size
        self.position += pcm.size

    def _close(self, length: int, start: int) -> None:
        if length > self.longest:
            self.longest, self.longest_at = length, start

    def finish(self) -> None:
        """Count a run that reaches the end of the stream."""
        self._close(self.run, self.position - self.run)
        self.run = 0


@dataclass(frozen=True)
class ChapterQc:
    index: int
    title: str
    seconds: float
    segments: int
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    sample_peak_dbfs: float | None
    longest_silence_s: float
    longest_silence_at_s: float
    gain_db: float = 0.0


@dataclass(frozen=True)
class Outlier:
    chapter: int
    segment: int
    voice: str
    text: str  # the first 60 characters
    seconds_per_char: float
    voice_median: float
    leading_silence_s: float
    trailing_silence_s: float


@dataclass(frozen=True)
class QcReport:
    chapters: tuple[ChapterQc, ...]
    outliers: tuple[Outlier, ...]
    total_seconds: float
    notes: tuple[str, ...] = field(default=())
    # Proof-listening per chapter and for the book (narrator.verify), when the job asked for it.
    verification: dict | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)

    def table(self) -> str:
        """A plain-text table for the terminal."""
        head = (
            f"{'#':>3}  {'chapter':<32} {'h:mm:ss':>8} {'LUFS':>6} {'dBTP':>6} {'gain':>6} "
            f"{'silence s':>9}"
        )
        rows = [head, "-" * len(head)]
        for c in self.chapters:
            rows.append(
                f"{c.index:>3}  {c.title[:32]:<32} {_clock(c.seconds):>8} "
                f"{_num(c.integrated_lufs):>6} "
                f"{_num(c.true_peak_dbtp):>6} {c.gain_db:>+6.1f} {c.longest_silence_s:>9.2f}"
            )
        rows.append(
            f"total {_clock(self.total_seconds)} (h:mm:ss), {len(self.outliers)} pace outliers"
        )
        for o in self.outliers[:20]:
            rows.append(
                f"  ch {o.chapter} seg {o.segment}: {o.seconds_per_char:.3f} s/char vs median "
                f"{o.voice_median:.3f} (silence "
                f"{o.leading_silence_s:.2f}s/{o.trailing_silence_s:.2f}s) {o.text!r}"
            )
        rows.extend(f"note: {note}" for note in self.notes)
        return "\n".join(rows)


def _clock(seconds: float) -> str:
    whole = int(seconds + 0.5)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def dbfs(peak: int) -> float | None:
    return None if peak <= 0 else round(20 * math.log10(peak / 32768), 2)


@dataclass(frozen=True)
class _Pace:
    chapter: int
    placed: Placed


class PaceBook:
    """Collects each segment's pace; `outliers()` compares them with their voice's median."""

    def __init__(self) -> None:
        self._paces: list[tuple[float, _Pace]] = []

    def add(self, chapter: int, placed: Placed) -> None:
        chars = len(placed.piece.text.strip())
        if chars >= MIN_CHARS:
            self._paces.append((placed.samples / SOURCE_RATE / chars, _Pace(chapter, placed)))

    def outliers(self) -> list[Outlier]:
        by_voice: dict[str, list[float]] = defaultdict(list)
        for pace, item in self._paces:
            by_voice[item.placed.piece.voice].append(pace)
        medians = {voice: statistics.median(values) for voice, values in by_voice.items()}
        found = []
        for pace, item in self._paces:
            median = medians[item.placed.piece.voice]
            if pace > median * OUTLIER_FACTOR or pace * OUTLIER_FACTOR < median:
                found.append(_outlier(pace, median, item))
        return found


def _outlier(pace: float, median: float, item: _Pace) -> Outlier:
    piece = item.placed.piece
    lead, trail = edge_silence(piece.path)
    return Outlier(
        item.chapter,
        item.placed.index + 1,
        piece.voice,
        piece.text.strip()[:60],
        round(pace, 4),
        round(median, 4),
        lead,
        trail,
    )


EDGE_SILENCE_DBFS = -50.0  # a 10 ms block quieter than this (RMS) is silence at an edge
_EDGE_BLOCK = SOURCE_RATE // 100


def edge_silence(path: Path) -> tuple[float, float]:
    """Leading and trailing silence of one segment file, in seconds (10 ms RMS blocks)."""
    pcm = np.fromfile(path, dtype="<i2")
    blocks = len(pcm) // _EDGE_BLOCK
    if not blocks:
        return 0.0, 0.0
    square = pcm[: blocks * _EDGE_BLOCK].astype(np.float64).reshape(blocks, _EDGE_BLOCK) ** 2
    floor = (32768.0 * 10 ** (EDGE_SILENCE_DBFS / 20)) ** 2
    quiet = square.mean(axis=1) < floor
    loud = np.flatnonzero(~quiet)
    if not loud.size:
        whole = round(len(pcm) / SOURCE_RATE, 3)
        return whole, whole
    lead = int(loud[0]) * _EDGE_BLOCK
    trail = len(pcm) - (int(loud[-1]) + 1) * _EDGE_BLOCK
    return round(lead / SOURCE_RATE, 3), round(trail / SOURCE_RATE, 3)
