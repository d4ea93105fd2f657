"""Segmentation speed and memory on the 1.6 MB court transcript, side by side in one run.

    /work/venv/bin/python bench/segment.py [--quick] [--one-line]

Rows, each in a fresh child process so that its peak RSS is its own:
  - narrator: text -> paragraphs -> segments, the transcript once and 4x repeated
    (goals: <= 5 s for 1.6 MB; 4x the text in <= 4.5x the time);
  - pysbd `Segmenter.segment()` paragraph by paragraph over the whole transcript (what a naive
    per-paragraph segmenter costs, before packing);
  - pysbd `Segmenter.segment()` on the whole string: 100 KB and 200 KB prefixes (the growth
    exponent between the two is printed) and the whole 1.6 MB transcript, which takes about a
    minute (`--quick` leaves it out and prints only the extrapolation).
  - the whole-book-on-one-line case: the transcript with every line break folded into one space
    and repeated to 1, 5 and 50 MB, planned end to end (`build_plan` on a job file: reading,
    paragraphs, segments, keys); goal: 50 MB in under 60 s (`--quick` stops at 5 MB), beside
    the old path for 1 MB (pysbd over 8000-character windows of the whole line).
    `--one-line` runs only these rows.
Wall time and CPU time are both shown: other work on a shared machine inflates wall time.
The segmenter runs in one thread (it starts no threads or processes), so "2 cores" buys
nothing inside one chapter; the integrator may segment chapters in parallel.
"""

from __future__ import annotations

import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TRANSCRIPT = REPO / "tests" / "data" / "nuremberg_trial_vol8.txt"
PREFIXES = (100_000, 200_000)
ONE_LINE_MB = (1, 5, 50)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _narrator(text: str) -> int:
    from narrator.text.paragraphs import split_paragraphs
    from narrator.text.segmenter import segment_chapter

    return len(segment_chapter(split_paragraphs(text)))


def _pysbd_paragraphs(text: str) -> int:
    import pysbd

    from narrator.text.paragraphs import split_paragraphs

    segmenter = pysbd.Segmenter(language="en", clean=False)
    return sum(len(segmenter.segment(p)) for p in split_paragraphs(text))


def _pysbd_whole(text: str) -> int:
    import pysbd

    return len(pysbd.Segmenter(language="en", clean=False).segment(text))


def _one_line_plan(megabytes: int) -> tuple[int, int, float, float]:
    """(chars, segments, wall, cpu) of planning a job whose source is one line of `megabytes`."""
    import tempfile

    from narrator.jobfile import load_job
    from narrator.plan import build_plan

    line = " ".join(TRANSCRIPT.read_text(encoding="utf-8").split())
    size = megabytes * 1_000_000
    text = ((line + " ") * (size // len(line) + 1))[:size]
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "book.txt").write_text(text, encoding="utf-8")
        job_file = Path(folder) / "job.yaml"
        job_file.write_text("title: B\nsources: [book.txt]\nvoice: {config_id: test}\n")
        wall, cpu = time.perf_counter(), time.process_time()
        plan = build_plan(load_job(job_file))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len(text), len(plan.segments), wall, cpu


def child(kind: str, arg: int) -> None:
    sys.path.insert(0, str(REPO))
    import pysbd  # noqa: F401  (imported before the baseline so it is not counted as work)

    import narrator.text.segmenter  # noqa: F401

    if kind == "one-line-windows":
        from narrator.text.sentences import sentence_spans

        line = " ".join(TRANSCRIPT.read_text(encoding="utf-8").split())[: arg * 1_000_000]
        baseline = _rss_mb()
        wall, cpu = time.perf_counter(), time.process_time()
        count = len(sentence_spans(line))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        row = {"chars": len(line), "wall": wall, "cpu": cpu, "count": count, "rss": _rss_mb()}
        print(json.dumps({**row, "base": baseline}))
        return
    if kind == "one-line":
        baseline = _rss_mb()
        chars, count, wall, cpu = _one_line_plan(arg)
        row = {"chars": chars, "wall": wall, "cpu": cpu, "count": count, "rss": _rss_mb()}
        print(json.dumps({**row, "base": baseline}))
        return
    text = TRANSCRIPT.read_text(encoding="utf-8")
    if kind == "narrator":
        text, work = "\n\n".join([text] * arg), _narrator
    elif kind == "pysbd-paragraphs":
        work = _pysbd_paragraphs
    else:
        text, work = text[:arg], _pysbd_whole
    baseline = _rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    count = work(text)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    row = {
        "chars": len(text),
        "wall": wall,
        "cpu": cpu,
        "count": count,
        "rss": _rss_mb(),
        "base": baseline,
    }
    print(json.dumps(row))


def run(kind: str, arg: int = 1) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(arg)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(quick: bool, one_line_only: bool) -> None:
    if not TRANSCRIPT.exists():
        sys.exit(f"bench/segment.py: {TRANSCRIPT} is missing (it ships in tests/data)")
    rows = []
    if not one_line_only:
        rows += [
            ("narrator, transcript x1", run("narrator", 1)),
            ("narrator, transcript x4", run("narrator", 4)),
            ("pysbd.segment() per paragraph", run("pysbd-paragraphs")),
            *[
                (f"pysbd whole string, {n // 1000} KB prefix", run("pysbd-whole", n))
                for n in PREFIXES
            ],
        ]
        if not quick:
            rows.append(("pysbd whole string, whole transcript", run("pysbd-whole", 10**9)))
    rows.append(("1 MB line, pysbd windows (old path)", run("one-line-windows", 1)))
    sizes = ONE_LINE_MB[:2] if quick else ONE_LINE_MB
    rows += [(f"plan, one line of {mb} MB", run("one-line", mb)) for mb in sizes]
    print(
        f"{'case':<36} {'chars':>9} {'wall s':>7} {'cpu s':>7} {'pieces':>7} {'peak RSS MB':>12} "
        f"{'(+ over start)':>14}"
    )
    for name, r in rows:
        print(
            f"{name:<36} {r['chars']:>9} {r['wall']:>7.2f} {r['cpu']:>7.2f} {r['count']:>7} "
            f"{r['rss']:>12.0f} {r['rss'] - r['base']:>+14.0f}"
        )
    by_name = dict(rows)
    old, new = by_name["1 MB line, pysbd windows (old path)"], by_name["plan, one line of 1 MB"]
    print(
        f"1 MB on one line: whole plan {new['cpu']:.2f} s CPU vs {old['cpu']:.2f} s CPU for the "
        "old "
        f"segmentation alone ({old['cpu'] / new['cpu']:.0f}x faster)"
    )
    if (big_line := by_name.get("plan, one line of 50 MB")) is not None:
        print(
            f"goal 50 MB on one line plans in < 60 s: {big_line['wall']:.1f} s wall, "
            f"{big_line['cpu']:.1f} s CPU -> {'met' if big_line['cpu'] < 60 else 'MISSED'} (CPU; "
            "wall time also counts other work on a shared machine)"
        )
    if one_line_only:
        return
    once, four = rows[0][1], rows[1][1]
    small, big = rows[3][1], rows[4][1]
    exponent = math.log(big["cpu"] / small["cpu"]) / math.log(big["chars"] / small["chars"])
    full = big["cpu"] * (once["chars"] / big["chars"]) ** exponent
    print(
        f"pysbd whole-string time grows as size^{exponent:.2f} (prefixes only; extrapolated to "
        f"{once['chars'] // 1000} KB: ~{full:.0f} s CPU)"
    )
    ratio = four["cpu"] / once["cpu"]
    print(
        f"goal 1.6 MB <= 5 s: {once['wall']:.2f} s wall, {once['cpu']:.2f} s CPU -> "
        f"{'met' if once['cpu'] <= 5 else 'MISSED'} (CPU)"
    )
    print(
        f"goal 4x text <= 4.5x time: {ratio:.2f}x CPU, {four['wall'] / once['wall']:.2f}x wall -> "
        f"{'met' if ratio <= 4.5 else 'MISSED'}"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main(quick="--quick" in sys.argv[1:], one_line_only="--one-line" in sys.argv[1:])
