"""Normalization speed on the 1.6 MB court transcript, and what it adds to `narrator plan`.

    /work/venv/bin/python bench/normalize.py

Prints, side by side in one run:
  - normalization alone, paragraph by paragraph as the plan runs it (goal: >= 5 MB/s), cold
    (num2words caches empty) and the best of three warm runs, wall and CPU time;
  - the same text normalized as one string (the per-paragraph overhead is the difference);
  - `build_plan` on a job narrating the transcript with `normalize: false` and `true`
    (goal: normalization adds <= 0.4 s), best of two each, interleaved; then what the
    difference is made of: the normalization stage itself, and segmenting a longer text;
  - the speech-recognition round trip (joe speaks sentences dense in numbers, numerals and
    abbreviations; a recognizer transcribes; WER against the expected spoken form) only
    where a recognizer is installed: this branch has none, so it says so.
Wall time and CPU time are both shown: other work on a shared machine inflates wall time.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
TRANSCRIPT = REPO / "tests" / "data" / "nuremberg_trial_vol8.txt"

from narrator.jobfile import load_job  # noqa: E402
from narrator.plan import build_plan, spoken_forms  # noqa: E402
from narrator.sources import read_source  # noqa: E402
from narrator.text.normalize import normalization_rules, normalize  # noqa: E402
from narrator.text.paragraphs import split_paragraphs  # noqa: E402
from narrator.text.segmenter import segment_chapter  # noqa: E402


def timed(work: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def row(name: str, size: int, wall: float, cpu: float) -> None:
    print(
        f"{name:<44} {wall:7.3f} s wall {cpu:7.3f} s cpu  "
        f"{size / wall / 1e6:6.2f} MB/s wall {size / cpu / 1e6:6.2f} MB/s cpu"
    )


def main() -> None:
    text = TRANSCRIPT.read_text(encoding="utf-8")
    size = len(text.encode("utf-8"))
    paragraphs = split_paragraphs(text)
    finders, _ = normalization_rules("English")
    print(f"transcript: {size / 1e6:.2f} MB, {len(paragraphs)} paragraphs")

    def per_paragraph() -> None:
        for paragraph in paragraphs:
            normalize(paragraph, finders)

    row("normalize per paragraph, cold", size, *timed(per_paragraph))
    warm = min((timed(per_paragraph) for _ in range(3)), key=lambda t: t[1])
    row("normalize per paragraph, warm (best of 3)", size, *warm)
    row("normalize as one string, warm", size, *timed(lambda: normalize(text, finders)))
    changed = sum(normalize(p, finders).changed for p in paragraphs)
    edits = len(normalize(text, finders).edits)
    print(f"rewrites: {edits} in {changed} of {len(paragraphs)} paragraphs")

    with tempfile.TemporaryDirectory() as folder:
        jobs = {}
        for flag in ("false", "true"):
            job = Path(folder) / f"plan_{flag}.yaml"
            job.write_text(f"sources: [{TRANSCRIPT}]\nnormalize: {flag}\n", encoding="utf-8")
            jobs[flag] = load_job(job)
        plans: dict[str, list[tuple[float, float]]] = {"false": [], "true": []}
        for _ in range(2):  # interleaved, so that load on the machine hits both alike
            for flag, job in jobs.items():
                plans[flag].append(timed(lambda job=job: build_plan(job)))
        for flag, runs in plans.items():
            row(f"build_plan, normalize: {flag} (best of 2)", size, *min(runs, key=lambda t: t[1]))
    best = {flag: min(runs, key=lambda t: t[1]) for flag, runs in plans.items()}
    print(
        f"normalization adds {best['true'][0] - best['false'][0]:.3f} s wall, "
        f"{best['true'][1] - best['false'][1]:.3f} s cpu to plan (goal <= 0.4 s); of which:"
    )
    paragraphs_in_plan = [p for c in read_source(TRANSCRIPT) for p in c.paragraphs]
    raw = spoken_forms(paragraphs_in_plan)
    forms = spoken_forms(paragraphs_in_plan, (), finders)
    stage = min(timed(lambda: spoken_forms(paragraphs_in_plan, (), finders)) for _ in range(2))
    print(f"  the normalization stage in the plan (with span maps): {stage[1]:.3f} s cpu")
    grown = sum(len(f.text) for f in forms) / sum(len(f.text) for f in raw) - 1
    seg_raw = min(timed(lambda: segment_chapter([f.text for f in raw])) for _ in range(2))
    seg_norm = min(timed(lambda: segment_chapter([f.text for f in forms])) for _ in range(2))
    print(
        f"  segmenting the spoken text, {grown:.1%} longer: {seg_norm[1]:.3f} s cpu "
        f"vs {seg_raw[1]:.3f} s cpu as written"
    )

    if importlib.util.find_spec("narrator.verify") is None:
        print("round trip with speech recognition: skipped (no recognizer on this branch)")


if __name__ == "__main__":
    main()
