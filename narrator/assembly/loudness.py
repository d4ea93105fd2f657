"""Loudness (EBU R 128) per chapter, measured by ffmpeg's ebur128 filter on the streamed PCM.

Normalization is two-pass and linear: pass one measures each chapter's integrated loudness and
true peak; pass two streams the chapter again scaled by one gain. The gain reaches the target
unless that would push the true peak over the ceiling, in which case the peak wins and the chapter
stays quieter than the target (no limiter, so no pumping and no change to timing: pauses remain
sample-exact). Chapters are measured one at a time, so memory does not grow with the book.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from narrator.assembly.encode import FfmpegPipe

_INTEGRATED = re.compile(r"^\s*I:\s+(-?(?:\d+(?:\.\d+)?|inf))\s+LUFS", re.MULTILINE)
_PEAK = re.compile(r"^\s*Peak:\s+(-?(?:\d+(?:\.\d+)?|inf))\s+dBFS", re.MULTILINE)
SILENT_LUFS = -70.0  # below this the R 128 gate leaves nothing to measure


@dataclass(frozen=True)
class Loudness:
    integrated: float | None  # LUFS; None for (near) silence
    true_peak: float | None  # dBTP; None for digital silence


def parse_summary(stderr: str) -> Loudness:
    """Read the ebur128 filter's closing summary from ffmpeg's log."""
    integrated = _INTEGRATED.findall(stderr)
    peak = _PEAK.findall(stderr)
    return Loudness(
        _finite(integrated[-1] if integrated else None, SILENT_LUFS),
        _finite(peak[-1] if peak else None),
    )


def _finite(text: str | None, floor: float = -math.inf) -> float | None:
    if text is None:
        return None
    value = float(text)
    return value if math.isfinite(value) and value > floor else None


class Meter:
    """Measures whatever is written to it; `finish()` returns the chapter's Loudness."""

    def __init__(self, label: str) -> None:
        self._pipe = FfmpegPipe(
            f"loudness of {label}",
            [],
            ["-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"],
        )

    def write(self, pcm: np.ndarray) -> None:
        self._pipe.write(pcm)

    def finish(self) -> Loudness:
        return parse_summary(self._pipe.finish().stderr)

    def abort(self) -> None:
        self._pipe.abort()


def gain_db(measured: Loudness, target: float, ceiling: float) -> float:
    """The gain that brings `measured` to `target` LUFS without its true peak passing `ceiling`."""
    if measured.integrated is None:
        return 0.0  # silence: nothing to normalize
    gain = target - measured.integrated
    if measured.true_peak is not None:
        gain = min(gain, ceiling - measured.true_peak)
    return gain


def db_to_linear(db: float) -> float:
    return 10.0 ** (db / 20.0)
