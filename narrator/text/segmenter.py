"""Paragraphs -> segments that each stay under the per-request duration budget.

Sentences (narrator/text/sentences.py) are packed greedily up to the budget, never across a
paragraph. A sentence over the budget is cut at clause punctuation, then between words; a
single token longer than the budget is cut inside (with a warning). At every level a piece
that had to be cut starts a new segment, so a segment ends mid-sentence only when its
sentence is longer than the budget. A paragraph that fits the budget whole is one segment
without asking pysbd, which keeps a book near-linear in time.
Decoration paragraphs (`* * *`) say nothing: they mark the segment before them as a scene break.

Every segment's text is a span of its paragraph, so joining the segments gives back every
character of the source (modulo whitespace between segments). Paragraphs are segmented
independently: editing one changes only its own segments. Everything runs in the caller's
thread; run it off the event loop.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from narrator.errors import SegmenterError
from narrator.text.boundary import Boundary
from narrator.text.paragraphs import is_decoration
from narrator.text.sentences import (
    CJK_CLASS,
    LONG_RUN,
    Span,
    inside_word,
    may_hold_sentence_end,
    resolve_language,
    sentence_spans,
    sure_runs,
    trim,
)

__all__ = [
    "Segment",
    "SegmenterSettings",
    "predict_seconds",
    "resolve_language",
    "segment_chapter",
    "split_text",
]

log = logging.getLogger("narrator.text.segmenter")

# Characters per second of speech by pysbd language code; others use DEFAULT_RATE.
_RATES = {
    "en": 15.0,
    "de": 14.0,
    "fr": 14.5,
    "es": 15.0,
    "it": 14.5,
    "nl": 14.0,
    "da": 14.0,
    "pl": 13.5,
    "ru": 13.5,
    "bg": 13.5,
    "sk": 13.5,
    "el": 13.5,
    "zh": 5.0,
    "ja": 7.0,
}
DEFAULT_RATE = 14.0
_SPACES = re.compile(r"\s+")
_CLAUSE_CUT = re.compile(r"[;:,…]\s+|\s+[-–—]{1,2}\s+|[—–]|[，、；：]")
_CJK_GAP = re.compile(f"(?<={CJK_CLASS})(?={CJK_CLASS})")


@dataclass(frozen=True)
class SegmenterSettings:
    language: str = "en"  # job language name or code: "English", "en", "German", "Auto"...
    max_seconds: float = 20.0  # budget per segment; clamped to the ceiling
    ceiling_seconds: float = 30.0  # = max_new_tokens / 12
    chars_per_second: float | None = None  # None -> per-language default (English 15)

    def __post_init__(self) -> None:
        for name in ("max_seconds", "ceiling_seconds", "chars_per_second"):
            value = getattr(self, name)
            if value is None and name == "chars_per_second":
                continue
            if not isinstance(value, (int, float)) or not (value > 0 and math.isfinite(value)):
                raise SegmenterError(
                    f"must be a positive number, got {value!r}", f"segmenter.{name}"
                )

    @property
    def code(self) -> str:
        """The pysbd language code."""
        return resolve_language(self.language)[0]

    @property
    def rate(self) -> float:
        """Predicted characters spoken per second."""
        return self.chars_per_second or _RATES.get(self.code, DEFAULT_RATE)

    @property
    def budget_seconds(self) -> float:
        return min(self.max_seconds, self.ceiling_seconds)

    @property
    def budget_chars(self) -> int:
        """The most characters one segment may hold."""
        return max(1, int(self.budget_seconds * self.rate))


@dataclass(frozen=True)
class Segment:
    text: str  # paragraph[start:end], no outer whitespace
    paragraph: int  # index of the paragraph in the chapter
    start: int  # [start, end) inside that paragraph
    end: int
    seconds: float  # predicted
    boundary: Boundary  # what follows this segment


def predict_seconds(text: str, settings: SegmenterSettings) -> float:
    """Predicted speaking time of `text`: characters (whitespace runs count one) / rate."""
    return len(" ".join(text.split())) / settings.rate


def segment_chapter(
    paragraphs: Sequence[str],
    settings: SegmenterSettings = SegmenterSettings(),
    progress: Callable[[int], None] | None = None,
) -> list[Segment]:
    """Cut a chapter's paragraphs into ordered segments under the budget.

    The last segment has Boundary.CHAPTER; one followed by a decoration paragraph has
    Boundary.SCENE; decoration paragraphs themselves yield nothing. `progress` is called with
    the number of characters just segmented (a long paragraph reports as it goes).
    """
    budget, code = settings.budget_chars, settings.code
    report = progress or _no_progress
    segments: list[Segment] = []
    for index, paragraph in enumerate(paragraphs):
        if is_decoration(paragraph):
            report(len(paragraph))
            if segments:
                segments[-1] = dataclasses.replace(segments[-1], boundary=Boundary.SCENE)
            continue
        spans = paragraph_spans(paragraph, budget, code, report)
        for number, (start, end) in enumerate(spans):
            text = paragraph[start:end]
            boundary = Boundary.PARAGRAPH if number == len(spans) - 1 else Boundary.SENTENCE
            segments.append(
                Segment(text, index, start, end, predict_seconds(text, settings), boundary)
            )
    if segments:
        segments[-1] = dataclasses.replace(segments[-1], boundary=Boundary.CHAPTER)
    return segments


def _no_progress(characters: int) -> None:
    pass


def paragraph_spans(
    paragraph: str, budget: int, code: str = "en", progress: Callable[[int], None] = _no_progress
) -> list[Span]:
    """Spans of one paragraph's segments, each at most `budget` characters unless unsplittable.

    `progress` receives the paragraph's characters as they are done (all of them in the end).
    """
    whole = trim(paragraph, 0, len(paragraph))
    if whole is None or whole[1] - whole[0] <= budget:
        progress(len(paragraph))
        return [] if whole is None else [whole]
    if len(paragraph) > LONG_RUN:
        return _pack(paragraph, _long_run_pieces(paragraph, budget, code, progress), budget, 0)
    spans = _pack(paragraph, sentence_spans(paragraph, code), budget, level=0)
    progress(len(paragraph))
    return spans


_REPORT_EVERY = 100_000  # characters of a long paragraph between two progress reports


def _long_run_pieces(
    paragraph: str, budget: int, code: str, progress: Callable[[int], None]
) -> list[Span]:
    """Sentence pieces of a very long paragraph (a whole book on one line, say).

    It is cut at sure sentence ends first; only a run between two of them that is over the
    budget goes to pysbd, so the work per run stays bounded however long the paragraph is.
    A run that fits the budget needs no finer cut: packing would merge its sentences anyway.
    """
    pieces: list[Span] = []
    reported = 0
    for start, end in sure_runs(paragraph, code):
        if end - start <= budget or not may_hold_sentence_end(paragraph[start:end], code):
            pieces.append((start, end))  # fits, or one long sentence: packing cuts it
        else:
            found = sentence_spans(paragraph[start:end], code)
            pieces.extend((start + a, start + b) for a, b in found)
        if end - reported >= _REPORT_EVERY:
            progress(end - reported)
            reported = end
    progress(len(paragraph) - reported)
    return pieces


def _pack(text: str, pieces: list[Span], budget: int, level: int) -> list[Span]:
    """Merge neighbouring pieces greedily while they fit; split the ones that never fit.

    The parts of a split piece are never merged with what came before it, so a segment that
    is not the end of a piece lies wholly inside that piece.
    """
    groups: list[Span] = []
    for start, end in pieces:
        if end - start > budget:
            groups.extend(_split_long(text, start, end, budget, level))
        elif groups and end - groups[-1][0] <= budget:
            groups[-1] = (groups[-1][0], end)
        else:
            groups.append((start, end))
    return groups


def _split_long(text: str, start: int, end: int, budget: int, level: int) -> list[Span]:
    """A piece over the budget: cut at clauses (level 0), words (1), then inside the token."""
    if level >= len(_CUTTERS):
        return _split_token(text, start, end, budget)
    pieces = _cut(text, start, end, _CUTTERS[level](text, start, end))
    return _pack(text, pieces, budget, level + 1)


def _clause_cuts(text: str, start: int, end: int) -> list[int]:
    cuts = (m.end() for m in _CLAUSE_CUT.finditer(text, start, end))
    return [cut for cut in cuts if cut < end and not inside_word(text, cut)]


def _word_cuts(text: str, start: int, end: int) -> list[int]:
    cuts = [m.end() for m in _SPACES.finditer(text, start, end) if m.end() < end]
    cuts += [m.start() for m in _CJK_GAP.finditer(text, start + 1, end)]  # no spaces in CJK
    return sorted(set(cuts))


_CUTTERS: tuple[Callable[[str, int, int], list[int]], ...] = (_clause_cuts, _word_cuts)


def _split_token(text: str, start: int, end: int, budget: int) -> list[Span]:
    """One token longer than a request can speak (a URL, garbage): cut it anyway."""
    log.warning(
        "a %d-character token is longer than one request (%d characters); cut inside it: %.40s...",
        end - start,
        budget,
        text[start:end],
    )
    spans: list[Span] = []
    while end - start > budget:
        cut = _token_cut(text, start, start + budget)
        spans.append((start, cut))
        start = cut
    spans.append((start, end))
    return spans


def _token_cut(text: str, start: int, limit: int) -> int:
    """Last place in (start, limit] after punctuation (`/`, `.`, `-`), else not before an accent."""
    for at in range(limit, start + max(1, (limit - start) // 2), -1):
        if not text[at - 1].isalnum() and not inside_word(text, at):
            return at
    for at in range(limit, start, -1):
        if not unicodedata.category(text[at]).startswith("M"):
            return at
    return limit


def _cut(text: str, start: int, end: int, cuts: list[int]) -> list[Span]:
    spans: list[Span] = []
    for a, b in zip([start, *cuts], [*cuts, end], strict=True):
        trimmed = trim(text, a, b)
        if trimmed is not None:
            spans.append(trimmed)
    return spans


def split_text(text: str, settings: SegmenterSettings, parts: int = 2) -> list[str]:
    """Split one segment's text into about `parts` equal parts at the best boundaries.

    Used when audio came back cut at the cap. A sentence end near each target is preferred,
    then clause punctuation, then any word boundary. The parts joined with single spaces
    equal `text` modulo whitespace; there are >= 2 parts whenever `text` has >= 2 words.
    """
    stripped = text.strip()
    starts = [a for a, _ in sentence_spans(stripped, settings.code)[1:]]
    levels = [
        starts,
        _clause_cuts(stripped, 0, len(stripped)),
        _word_cuts(stripped, 0, len(stripped)),
    ]
    cuts: list[int] = []
    for k in range(1, max(parts, 1)):
        cut = _nearest(levels, len(stripped) * k / parts, len(stripped), cuts, parts)
        if cut is None:
            break
        cuts.append(cut)
    pieces = [
        stripped[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(stripped)], strict=True)
    ]
    return [p for p in pieces if p] or [stripped]


def _nearest(
    levels: list[list[int]], target: float, length: int, taken: list[int], parts: int
) -> int | None:
    floor = taken[-1] if taken else 0
    tolerance = 0.35 * length / parts
    for level, candidates in enumerate(levels):
        usable = [c for c in candidates if floor < c < length]
        if not usable:
            continue
        best = min(usable, key=lambda c: (abs(c - target), c))
        if level == len(levels) - 1 or abs(best - target) <= tolerance:
            return best
    return None
