"""The rule engine: finders propose replacements, earlier finders win, one SpanMap out.

A finder scans the text for where its rules may apply: a fast gate (a literal or a character
class that the regex engine skips to in C), then anchored patterns and a few words of context
in Python. It proposes `(start, end, replacements)` regions; a region overlapping one an
earlier finder claimed is dropped, so a URL's digits are never read again as a number. All
replacements are applied in one pass at the end.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence

from narrator.text.spans import SpanMap, rewrite

Replacement = tuple[int, int, str]
Proposal = tuple[int, int, list[Replacement]]  # claimed region and what replaces what in it
Finder = Callable[[str], Iterable[Proposal]]


def apply_finders(finders: Sequence[Finder], text: str) -> SpanMap:
    """`text` rewritten by `finders` (earlier finders win where regions overlap)."""
    starts: list[int] = []  # claimed regions, sorted and disjoint
    ends: list[int] = []
    found: list[Replacement] = []
    for finder in finders:
        for start, end, replacements in finder(text):
            at = bisect.bisect_right(starts, start)
            if (at and ends[at - 1] > start) or (at < len(starts) and starts[at] < end):
                continue
            starts.insert(at, start)
            ends.insert(at, end)
            found.extend(replacements)
    found.sort()
    return rewrite(text, found)
