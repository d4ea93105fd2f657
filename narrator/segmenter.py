"""Paragraphs -> segments that each stay under the per-request duration budget.

Sentences (narrator/sentences.py) are packed greedily up to the budget, never across a
paragraph. A sentence over the budget is cut at clause punctuation, then between words; a
single token longer than the budget is cut between characters (logged). A paragraph that fits
the budget whole is one segment without asking pysbd, which keeps a book near-linear in time.
Decoration paragraphs (`* * *`) say nothing: they mark the segment before them as a scene break.

Every segment's text is a span of its paragraph, so joining the segments gives back every
character of the source (modulo whitespace between segments).
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from narrator.boundary import Boundary
from narrator.paragraphs import is_decoration
from narrator.sentences import Span, resolve_language, sentence_spans

__all__ = [
    "Segment",
    "SegmenterSettings",
    "predict_seconds",
    "resolve_language",
    "segment_chapter",
    "split_text",
]

log = logging.getLogger("narrator.segmenter")

# Characters per second of speech by pysbd language code; others use DEFAULT_RATE.
_RATES = {"en": 15.0, "de": 14.0, "fr": 14.5, "es": 15.0, "it": 14.5, "nl": 14.0, "zh": 5.0, "ja": 7.0}
DEFAULT_RATE = 14.0
# Above this many characters needing pysbd, a chapter is segmented on every core.
PARALLEL_CHARS = 200_000
_SPACES = re.compile(r"\s+")
_CLAUSE_CUT = re.compile(r"[;:,]\s+|\s+[—–-]{1,2}\s+|[—–]")


@dataclass(frozen=True)
class SegmenterSettings:
    language: str = "en"
    max_seconds: float = 20.0
    ceiling_seconds: float = 30.0
    chars_per_second: float | None = None

    @property
    def code(self) -> str:
        return resolve_language(self.language)[0]

    @property
    def rate(self) -> float:
        return self.chars_per_second or _RATES.get(self.code, DEFAULT_RATE)

    @property
    def budget_chars(self) -> int:
        return max(1, int(min(self.max_seconds, self.ceiling_seconds) * self.rate))


@dataclass(frozen=True)
class Segment:
    text: str
    paragraph: int  # index of the paragraph in the chapter
    start: int  # [start, end) inside that paragraph
    end: int
    seconds: float  # predicted
    boundary: Boundary  # what follows this segment


def predict_seconds(text: str, settings: SegmenterSettings) -> float:
    """Predicted speaking time of `text`."""
    return len(text.strip()) / settings.rate


def segment_chapter(
    paragraphs: Sequence[str], settings: SegmenterSettings = SegmenterSettings()
) -> list[Segment]:
    """Cut a chapter's paragraphs into ordered segments under the budget."""
    spans = _all_spans(paragraphs, settings)
    segments: list[Segment] = []
    for index, paragraph in enumerate(paragraphs):
        if is_decoration(paragraph):
            if segments and segments[-1].boundary is Boundary.PARAGRAPH:
                segments[-1] = _with(segments[-1], Boundary.SCENE)
            continue
        found = spans[index]
        for number, (start, end) in enumerate(found):
            last = number == len(found) - 1
            text = paragraph[start:end]
            boundary = Boundary.PARAGRAPH if last else Boundary.SENTENCE
            segments.append(
                Segment(text, index, start, end, predict_seconds(text, settings), boundary)
            )
    if segments:
        segments[-1] = _with(segments[-1], Boundary.CHAPTER)
    return segments


def _with(segment: Segment, boundary: Boundary) -> Segment:
    return Segment(segment.text, segment.paragraph, segment.start, segment.end, segment.seconds, boundary)


def _all_spans(paragraphs: Sequence[str], settings: SegmenterSettings) -> list[list[Span]]:
    budget, code = settings.budget_chars, settings.code
    heavy = sum(len(p) for p in paragraphs if len(p) > budget)
    jobs = [(p, budget, code) for p in paragraphs]
    workers = min(os.cpu_count() or 1, 4)
    if heavy >= PARALLEL_CHARS and workers >= 2:
        spans = _spans_in_subprocesses(jobs, workers)
        if spans is not None:
            return spans
    return [_paragraph_spans(job) for job in jobs]


def _spans_in_subprocesses(jobs: list[tuple[str, int, str]], workers: int) -> list[list[Span]] | None:
    """pysbd is pure Python: spread a big chapter over `python -m narrator.segmenter` workers.

    Plain subprocesses, not a multiprocessing pool: they never fork a threaded program nor
    re-import the caller's main module. Results equal the serial path; None on any failure.
    """
    size = -(-len(jobs) // workers)
    batches = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    with ThreadPoolExecutor(len(batches)) as pool:
        results = list(pool.map(_run_worker, batches))
    if any(r is None for r in results):
        log.info("parallel segmentation failed; segmenting in this process")
        return None
    return [[(a, b) for a, b in spans] for batch in results for spans in batch]  # type: ignore[union-attr]


def _run_worker(batch: list[tuple[str, int, str]]) -> list[list[list[int]]] | None:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "narrator.segmenter"],
            input=json.dumps(batch).encode(),
            capture_output=True,
            check=True,
            timeout=600,
        )
        return json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def _paragraph_spans(job: tuple[str, int, str]) -> list[Span]:
    paragraph, budget, code = job
    whole = _trim(paragraph, 0, len(paragraph))
    if whole is None or is_decoration(paragraph):
        return []
    if whole[1] - whole[0] <= budget:
        return [whole]
    pieces: list[Span] = []
    for start, end in sentence_spans(paragraph, code):
        if end - start <= budget:
            pieces.append((start, end))
        else:
            pieces.extend(_split_long(paragraph, start, end, budget))
    return _pack(pieces, budget)


def _pack(pieces: list[Span], budget: int) -> list[Span]:
    """Merge neighbouring pieces greedily while the merged span fits the budget."""
    packed: list[Span] = []
    for start, end in pieces:
        if packed and end - packed[-1][0] <= budget:
            packed[-1] = (packed[-1][0], end)
        else:
            packed.append((start, end))
    return packed


def _split_long(text: str, start: int, end: int, budget: int) -> list[Span]:
    """A sentence over the budget: clauses, then words, then characters (logged)."""
    pieces: list[Span] = []
    for a, b in _cut(text, start, end, _clause_cuts(text, start, end)):
        if b - a <= budget:
            pieces.append((a, b))
            continue
        for c, d in _cut(text, a, b, _word_cuts(text, a, b)):
            if d - c <= budget:
                pieces.append((c, d))
            else:
                log.warning("a %d-character token is longer than one request; cut inside it", d - c)
                pieces.extend((i, min(i + budget, d)) for i in range(c, d, budget))
    return _pack(pieces, budget)


def _clause_cuts(text: str, start: int, end: int) -> list[int]:
    return [m.end() for m in _CLAUSE_CUT.finditer(text, start, end) if m.end() < end]


def _word_cuts(text: str, start: int, end: int) -> list[int]:
    return [m.end() for m in _SPACES.finditer(text, start, end) if m.end() < end]


def _cut(text: str, start: int, end: int, cuts: list[int]) -> list[Span]:
    spans: list[Span] = []
    for a, b in zip([start, *cuts], [*cuts, end]):
        trimmed = _trim(text, a, b)
        if trimmed is not None:
            spans.append(trimmed)
    return spans


def _trim(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def split_text(text: str, settings: SegmenterSettings, parts: int = 2) -> list[str]:
    """Split one segment's text into about `parts` equal parts at the best boundaries.

    Used when audio came back cut at the cap. Sentence ends are preferred when one lies near
    the middle, then clause punctuation, then any space. Returns [text] for a single word.
    """
    words = [m.start() for m in re.finditer(r"(?<=\s)\S", text)]
    if not words or parts < 2:
        return [text.strip()]
    sentence_ends = [b for _, b in sentence_spans(text, settings.code)[:-1]]
    levels = [sentence_ends, _clause_cuts(text, 0, len(text)), words]
    cuts: list[int] = []
    for k in range(1, parts):
        target = len(text) * k / parts
        cuts.append(_nearest(levels, target, len(text), cuts))
    pieces = [text[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(text)])]
    return [p for p in pieces if p]


def _nearest(levels: list[list[int]], target: float, length: int, taken: list[int]) -> int:
    floor = taken[-1] if taken else 0
    for level, candidates in enumerate(levels):
        usable = [c for c in candidates if floor < c < length]
        if not usable:
            continue
        best = min(usable, key=lambda c: abs(c - target))
        if level == len(levels) - 1 or abs(best - target) <= 0.25 * length:
            return best
    return length  # nothing left to cut: the last part stays whole


def _worker_main() -> None:
    """`python -m narrator.segmenter`: JSON [[paragraph, budget, code], ...] in, spans out."""
    jobs = json.load(sys.stdin)
    json.dump([_paragraph_spans((p, b, c)) for p, b, c in jobs], sys.stdout)


if __name__ == "__main__":
    _worker_main()
