"""Segmentation speed and memory on the 1.6 MB court transcript, side by side in one run.

    python bench/segment.py

Rows: narrator's segmenter on the transcript once and 4x repeated (goal: <= 5 s for 1.6 MB,
and 4x text <= 4.5x time), and pysbd on the whole string for comparison. pysbd on the whole
string grows faster than linearly, so it runs on 75 KB and 150 KB prefixes and the full-size
time is extrapolated with the growth exponent measured between the two, as labelled. Each row runs in a fresh child
process so peak RSS is its own.
"""

from __future__ import annotations

import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

TRANSCRIPT = Path(__file__).resolve().parents[2] / "shared" / "texts" / "nuremberg_trial_vol8.txt"
PREFIX = 150_000


def child(kind: str, repeat: int) -> None:
    text = TRANSCRIPT.read_text(encoding="utf-8")
    if kind == "narrator":
        from narrator.paragraphs import split_paragraphs
        from narrator.segmenter import segment_chapter

        text = "\n\n".join([text] * repeat)
        start = time.perf_counter()
        segments = segment_chapter(split_paragraphs(text))
        elapsed = time.perf_counter() - start
        count = len(segments)
    else:
        import pysbd

        text = text[: PREFIX // repeat]
        start = time.perf_counter()
        count = len(pysbd.Segmenter(language="en", clean=False).segment(text))
        elapsed = time.perf_counter() - start
    # ru_maxrss of the children too: the segmenter spreads big chapters over worker processes
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    print(json.dumps({"chars": len(text), "seconds": elapsed, "segments": count, "rss_mb": peak / 1024}))


def run(kind: str, repeat: int = 1) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(repeat)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    once = run("narrator", 1)
    four = run("narrator", 4)
    whole = run("pysbd")
    half = run("pysbd", 2)  # half the prefix: the growth exponent from two sizes
    exponent = math.log(whole["seconds"] / half["seconds"]) / math.log(whole["chars"] / half["chars"])
    scale = (len(TRANSCRIPT.read_text(encoding="utf-8")) / whole["chars"]) ** exponent
    print(f"{'case':<34} {'chars':>10} {'seconds':>8} {'segments':>9} {'peak RSS MB':>12}")
    for name, row in (("narrator, transcript x1", once), ("narrator, transcript x4", four)):
        print(f"{name:<34} {row['chars']:>10} {row['seconds']:>8.2f} {row['segments']:>9} {row['rss_mb']:>12.0f}")
    print(f"{'pysbd whole string, 150 KB prefix':<34} {whole['chars']:>10} {whole['seconds']:>8.2f} "
          f"{whole['segments']:>9} {whole['rss_mb']:>12.0f}")  # fmt: skip
    print(f"{'pysbd whole string, 75 KB prefix':<34} {half['chars']:>10} {half['seconds']:>8.2f} "
          f"{half['segments']:>9} {half['rss_mb']:>12.0f}")  # fmt: skip
    print(f"pysbd whole string grows as size^{exponent:.2f}; extrapolated to 1.6 MB: "
          f"~{whole['seconds'] * scale:.0f} s (narrator: {once['seconds']:.1f} s)")
    ratio = four["seconds"] / once["seconds"]
    print(f"goal 1.6 MB <= 5 s: {once['seconds']:.2f} s -> {'met' if once['seconds'] <= 5 else 'MISSED'}")
    print(f"goal 4x text <= 4.5x time: {ratio:.2f}x -> {'met' if ratio <= 4.5 else 'MISSED'}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    else:
        main()
