"""Progress lines when stderr is not a terminal: counts, growth after splits, no overshoot."""

from __future__ import annotations

import io

from narrator.cli.progress import SynthesisProgress


def test_plain_lines_count_segments_and_a_split_grows_the_total():
    out = io.StringIO()
    with SynthesisProgress(3, stream=out) as bar:
        bar.advance(2.0)
        bar.grow(1)  # the second segment came back cut at the cap: two parts instead of one
        for _ in range(3):
            bar.advance(30.0)
    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith("synthesized 4/4 segments, 1.5 audio min"), last
    assert "ETA 0 s" in last


def test_quiet_prints_nothing():
    out = io.StringIO()
    with SynthesisProgress(2, stream=out, quiet=True) as bar:
        bar.advance(1.0)
        bar.grow(1)
    assert out.getvalue() == ""


def test_one_meter_over_synthesis_and_assembly_with_one_eta():
    from narrator.cli.progress import ASSEMBLY_SPEED, RunProgress
    from narrator.pipeline import Workload

    out = io.StringIO()
    book = 3600.0  # an hour of audio still to assemble after synthesis
    with RunProgress(Workload(2, book, True), stream=out) as meter:
        meter.advance(1.0)
        meter.advance(1.0)
        # synthesis is done: what is left is the assembly estimate from the book's length
        assert abs(meter.remaining() - book / ASSEMBLY_SPEED) < 1.0
        meter.assembling(0.5)
        meter.assembling(1.0)
        assert meter.remaining() == 0.0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("synthesized 1/2 segments")
    assert f"ETA {book / ASSEMBLY_SPEED:.0f} s" in lines[1]  # the ETA counts assembly too
    assert lines[-1].startswith("assembled 100%") and lines[-1].endswith("ETA 0 s")
