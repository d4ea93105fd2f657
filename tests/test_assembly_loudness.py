"""Loudness: the ebur128 summary parsed, a real measurement, and the gain rule."""

from __future__ import annotations

import numpy as np
import pytest

from narrator.assembly.loudness import Loudness, Meter, db_to_linear, gain_db, parse_summary

SUMMARY = """[Parsed_ebur128_0 @ 0x1] Summary:

  Integrated loudness:
    I:         -15.6 LUFS
    Threshold: -25.6 LUFS

  True peak:
    Peak:       -8.7 dBFS
"""


def test_summary_is_parsed() -> None:
    assert parse_summary(SUMMARY) == Loudness(-15.6, -8.7)
    silent = SUMMARY.replace("-15.6", "-70.0").replace("-8.7", "-inf")
    assert parse_summary(silent) == Loudness(None, None)
    assert parse_summary("garbage") == Loudness(None, None)


def test_meter_measures_a_sine() -> None:
    # A full-scale 1 kHz sine reads about -3 LUFS; at half amplitude -9 LUFS and -6 dBTP.
    meter = Meter("sine")
    t = np.arange(24000 * 4) / 24000
    pcm = (np.sin(2 * np.pi * 1000 * t) * 16384).astype("<i2")
    for start in range(0, pcm.size, 24000):
        meter.write(pcm[start : start + 24000])
    result = meter.finish()
    assert result.integrated == pytest.approx(-9.0, abs=0.3)
    assert result.true_peak == pytest.approx(-6.0, abs=0.3)


def test_gain_reaches_the_target_unless_the_peak_forbids() -> None:
    assert gain_db(Loudness(-26.0, -12.0), -20.0, -3.0) == pytest.approx(6.0)
    assert gain_db(Loudness(-26.0, -5.0), -20.0, -3.0) == pytest.approx(2.0)
    assert gain_db(Loudness(-14.0, -1.0), -20.0, -3.0) == pytest.approx(-6.0)
    assert gain_db(Loudness(None, None), -20.0, -3.0) == 0.0
    assert db_to_linear(-6.0206) == pytest.approx(0.5, abs=1e-4)
