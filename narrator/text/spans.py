"""Spoken text with a map back to the text as written, through every rewrite.

The lexicon and normalization rewrite what is spoken ("Dr." -> "Doctor", "IV" -> "Four"),
while subtitles and read-along show the source. A `SpanMap` holds both strings and the edits
between them; everything outside an edit is an exact copy. Maps compose (lexicon, then
normalization), and a spoken span maps back to the smallest source span that produced it:
an edit partially spoken maps to its whole source. Pure values; no I/O.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

Span = tuple[int, int]


@dataclass(frozen=True)
class Edit:
    """`source[src_start:src_end]` became `text[out_start:out_end]`."""

    src_start: int
    src_end: int
    out_start: int
    out_end: int


@dataclass(frozen=True)
class SpanMap:
    """`text` is `source` with `edits` applied.

    Edits are sorted and disjoint in both strings; between them the two strings are equal
    character for character. An edit never maps text to itself (such edits are dropped).
    """

    source: str
    text: str
    edits: tuple[Edit, ...] = ()
    # Per edit: its out_start, out_end and the shift (out - src) after it, for bisect.
    _starts: tuple[int, ...] = field(default=(), init=False, repr=False, compare=False)
    _ends: tuple[int, ...] = field(default=(), init=False, repr=False, compare=False)
    _shifts: tuple[int, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        shifts = tuple(e.out_end - e.src_end for e in self.edits)
        object.__setattr__(self, "_starts", tuple(e.out_start for e in self.edits))
        object.__setattr__(self, "_ends", tuple(e.out_end for e in self.edits))
        object.__setattr__(self, "_shifts", shifts)

    @classmethod
    def identity(cls, text: str) -> SpanMap:
        return cls(text, text)

    @property
    def changed(self) -> bool:
        return bool(self.edits)

    def then(self, later: SpanMap) -> SpanMap:
        """This map followed by `later` (whose source is this map's text): source -> later.text."""
        if later.source != self.text:
            raise ValueError("SpanMap.then: the later map does not start from this map's text")
        if not later.edits:
            return self
        if not self.edits:
            return later  # this map is the identity on later.source
        return SpanMap(self.source, later.text, tuple(_compose(self, later)))

    def source_span(self, start: int, end: int) -> Span:
        """The smallest source span whose rewriting produced `text[start:end]`."""
        return self._source_start(start), max(self._source_start(start), self._source_end(end))

    def source_spans(self, spans: Sequence[Span]) -> list[Span]:
        """Source spans for ordered, disjoint spoken spans (a paragraph's segments).

        Unlike `source_span`, these never overlap: an edit whose output two spans share
        belongs to the first. Source text that produced nothing spoken (a deletion) joins the
        span before it (the first span for leading text), so that when `spans` hold all the
        non-space spoken text, the result holds all the non-space source text, in order.
        """
        result: list[Span] = []
        for start, end in spans:
            low, high = self.source_span(start, end)
            if result:
                low = max(low, result[-1][1])
                high = max(low, high)
                gap_end = _last_non_space(self.source, result[-1][1], low)
                if gap_end is not None:  # deleted text between two spans
                    result[-1] = (result[-1][0], gap_end)
            result.append((low, high))
        if result:
            first = _first_non_space(self.source, 0, result[0][0])
            if first is not None:
                result[0] = (first, result[0][1])
            last = _last_non_space(self.source, result[-1][1], len(self.source))
            if last is not None:
                result[-1] = (result[-1][0], last)
        return result

    def _source_start(self, pos: int) -> int:
        # The edit whose output holds `pos` (out_start <= pos < out_end) maps to its start.
        i = bisect.bisect_right(self._starts, pos) - 1
        if i >= 0 and pos < self._ends[i]:
            return self.edits[i].src_start
        # Copied text: shift by every edit that ended at or before pos (deletions there too).
        j = bisect.bisect_right(self._ends, pos) - 1
        return pos - (self._shifts[j] if j >= 0 else 0)

    def _source_end(self, pos: int) -> int:
        # The edit whose output holds the character before `pos` maps to its end.
        i = bisect.bisect_left(self._starts, pos) - 1
        if i >= 0 and pos <= self._ends[i] and self._starts[i] < self._ends[i]:
            return self.edits[i].src_end
        # Copied text: shift by the edits wholly before pos, deletions at pos excluded.
        j = bisect.bisect_left(self._ends, pos) - 1
        return pos - (self._shifts[j] if j >= 0 else 0)


def rewrite(text: str, replacements: Iterable[tuple[int, int, str]]) -> SpanMap:
    """Apply sorted, disjoint `(start, end, new)` replacements to `text` in one pass."""
    parts: list[str] = []
    edits: list[Edit] = []
    copied = 0  # text[:copied] is done
    out = 0
    for start, end, new in replacements:
        if start < copied or end < start:
            raise ValueError(f"replacements overlap or run backwards at {start}:{end}")
        if text[start:end] == new:
            continue
        parts.append(text[copied:start])
        out += start - copied
        parts.append(new)
        edits.append(Edit(start, end, out, out + len(new)))
        out += len(new)
        copied = end
    if not edits:
        return SpanMap.identity(text)
    parts.append(text[copied:])
    return SpanMap(text, "".join(parts), tuple(edits))


def _compose(first: SpanMap, later: SpanMap) -> Iterable[Edit]:
    """Edits source -> later.text, grouping edits whose spans meet in the middle text."""
    # Items in the middle text's coordinates: (start, end, which map, edit).
    items = sorted(
        [(e.out_start, e.out_end, 0, e) for e in first.edits]
        + [(e.src_start, e.src_end, 1, e) for e in later.edits],
        key=lambda item: (item[0], item[1], item[2]),
    )
    shift1 = shift2 = 0  # out - src of each map, after the edits handled so far
    i = 0
    while i < len(items):
        group = [items[i]]
        low, high = items[i][0], items[i][1]
        empty_at_high = low == high
        i += 1
        # Merge while overlapping; touching merges only where an empty span is involved,
        # so an insertion or a deletion at the meeting point has one unambiguous place.
        while i < len(items) and (
            items[i][0] < high
            or (items[i][0] == high and (empty_at_high or items[i][0] == items[i][1]))
        ):
            group.append(items[i])
            if items[i][1] > high:
                high, empty_at_high = items[i][1], False
            empty_at_high = empty_at_high or items[i][0] == items[i][1] == high
            i += 1
        ones = [g[3] for g in group if g[2] == 0]
        twos = [g[3] for g in group if g[2] == 1]
        a_start = ones[0].src_start if ones and ones[0].out_start == low else low - shift1
        c_start = twos[0].out_start if twos and twos[0].src_start == low else low + shift2
        if ones:
            shift1 = ones[-1].out_end - ones[-1].src_end
        if twos:
            shift2 = twos[-1].out_end - twos[-1].src_end
        a_end = ones[-1].src_end if ones and ones[-1].out_end == high else high - shift1
        c_end = twos[-1].out_end if twos and twos[-1].src_end == high else high + shift2
        if first.source[a_start:a_end] != later.text[c_start:c_end]:
            yield Edit(a_start, a_end, c_start, c_end)


def _first_non_space(text: str, start: int, end: int) -> int | None:
    for pos in range(start, end):
        if not text[pos].isspace():
            return pos
    return None


def _last_non_space(text: str, start: int, end: int) -> int | None:
    """The end of `text[start:end]` with trailing whitespace dropped, None if all space."""
    for pos in range(end, start, -1):
        if not text[pos - 1].isspace():
            return pos
    return None
