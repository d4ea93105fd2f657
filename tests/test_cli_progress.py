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
