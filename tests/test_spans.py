"""Span maps: spoken text maps back to the source that produced it, through composed rewrites.

Each property is checked against a character-level model: every spoken character knows the
source characters it came from (a copy: itself; an edit's output: the edit's whole source).
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narrator.text.spans import Edit, SpanMap, rewrite

Prov = tuple[int, int] | None  # source chars a spoken char came from; None: inserted


def replacements(text: str) -> st.SearchStrategy[list[tuple[int, int, str]]]:
    """Sorted, disjoint (start, end, new) triples over `text`, some empty, some unchanged."""
    cuts = st.lists(st.integers(0, len(text)), max_size=8).map(sorted)
    news = st.text(alphabet="xy z", max_size=4)

    def build(args: tuple[list[int], list[str], list[bool]]) -> list[tuple[int, int, str]]:
        points, texts, same = args
        pairs = list(zip(points[::2], points[1::2], strict=False))  # an odd last point: unused
        return [
            (a, b, text[a:b] if keep else new)
            for (a, b), new, keep in zip(
                pairs, texts + [""] * len(pairs), same + [False] * 8, strict=False
            )
        ]

    return st.tuples(cuts, st.lists(news, max_size=4), st.lists(st.booleans(), max_size=4)).map(
        build
    )


texts = st.text(alphabet="ab c.", max_size=16)


@st.composite
def rewritten(draw: st.DrawFn, text: str | None = None) -> tuple[SpanMap, list[Prov]]:
    """A rewrite of `text` (drawn when None) and the provenance of each spoken character."""
    text = draw(texts) if text is None else text
    reps = draw(replacements(text))
    mapped = rewrite(text, reps)
    prov: list[Prov] = []
    done = 0
    for start, end, new in reps:
        prov += [(i, i + 1) for i in range(done, start)]
        if text[start:end] == new:
            prov += [(i, i + 1) for i in range(start, end)]
        else:
            prov += [(start, end) if end > start else None] * len(new)
        done = end
    prov += [(i, i + 1) for i in range(done, len(text))]
    return mapped, prov


def expected_text(text: str, reps: list[tuple[int, int, str]]) -> str:
    out, done = [], 0
    for start, end, new in reps:
        out += [text[done:start], new]
        done = end
    return "".join([*out, text[done:]])


def assert_contains(mapped: SpanMap, prov: list[Prov], start: int, end: int) -> None:
    low, high = mapped.source_span(start, end)
    assert 0 <= low <= high <= len(mapped.source)
    known = [p for p in prov[start:end] if p is not None]
    for a, b in known:
        assert low <= a and b <= high
    if known and len(known) == end - start:  # smallest (inserted text has no source to bound)
        assert low == min(a for a, _ in known) and high == max(b for _, b in known)


@given(texts, st.data())
def test_rewrite_applies_replacements_and_keeps_edits_consistent(text, data):
    reps = data.draw(replacements(text))
    mapped = rewrite(text, reps)
    assert mapped.source == text and mapped.text == expected_text(text, reps)
    last_src = last_out = 0
    for e in mapped.edits:
        assert last_src <= e.src_start <= e.src_end and last_out <= e.out_start <= e.out_end
        assert mapped.source[last_src : e.src_start] == mapped.text[last_out : e.out_start]
        assert mapped.source[e.src_start : e.src_end] != mapped.text[e.out_start : e.out_end]
        last_src, last_out = e.src_end, e.out_end
    assert mapped.source[last_src:] == mapped.text[last_out:]


@given(texts, st.data())
def test_identity_maps_every_span_exactly(text, data):
    mapped = rewrite(text, [(0, len(text), text)])
    assert mapped == SpanMap.identity(text) and not mapped.changed
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assert mapped.source_span(start, end) == (start, end)


@settings(max_examples=150, deadline=None)
@given(rewritten(), st.data())
def test_a_spoken_span_maps_to_the_smallest_source_that_produced_it(pair, data):
    mapped, prov = pair
    start = data.draw(st.integers(0, len(mapped.text)))
    end = data.draw(st.integers(start, len(mapped.text)))
    assert_contains(mapped, prov, start, end)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_composition_equals_rewriting_twice(data):
    first, prov1 = data.draw(rewritten())
    later, prov2 = data.draw(rewritten(first.text))
    both = first.then(later)
    assert (both.source, both.text) == (first.source, later.text)
    # Provenance through both: a later edit's output came from all that produced its input.
    prov: list[Prov] = []
    for p in prov2:
        inner = [prov1[i] for i in range(*p) if prov1[i] is not None] if p else []
        prov.append((min(a for a, _ in inner), max(b for _, b in inner)) if inner else None)
    start = data.draw(st.integers(0, len(both.text)))
    end = data.draw(st.integers(start, len(both.text)))
    low, high = both.source_span(start, end)
    for p in prov[start:end]:
        if p is not None:
            assert low <= p[0] and p[1] <= high
    # Rebuilding the spoken text from the composed edits gives the same string.
    assert rewrite(both.source, [_triple(both, e) for e in both.edits]).text == both.text


def _triple(mapped: SpanMap, e: Edit) -> tuple[int, int, str]:
    return e.src_start, e.src_end, mapped.text[e.out_start : e.out_end]


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_segment_spans_never_overlap_and_cover_the_source(data):
    mapped, prov = data.draw(rewritten())
    words = _runs(mapped.text)  # like segments: disjoint, no outer space, all non-space text
    chosen = sorted(data.draw(st.sets(st.integers(0, max(0, len(words) - 1)))))
    cuts = [0, *chosen[1:], len(words)] if words else []
    segments = [(words[a][0], words[b - 1][1]) for a, b in itertools.pairwise(cuts) if b > a]
    spans = mapped.source_spans(segments)
    assert len(spans) == len(segments)
    last = 0
    for low, high in spans:
        assert last <= low <= high
        last = high
    covered = {i for low, high in spans for i in range(low, high)}
    for i, char in enumerate(mapped.source):
        if not char.isspace():
            assert i in covered or not segments


def _runs(text: str) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, char in enumerate(text + " "):
        if char.isspace() and start is not None:
            runs.append((start, i))
            start = None
        elif not char.isspace() and start is None:
            start = i
    return runs


def test_literal_examples():
    mapped = rewrite("Dr. Who at 3:45 now", [(0, 3, "Doctor"), (11, 15, "three forty-five")])
    assert mapped.text == "Doctor Who at three forty-five now"
    assert mapped.source_span(0, 6) == (0, 3)
    assert mapped.source_span(7, 10) == (4, 7)
    assert mapped.source_span(14, 19) == (11, 15)  # "three" alone: the whole "3:45"
    later = rewrite(mapped.text, [(0, 6, "Doc")])
    assert mapped.then(later).source_span(0, 3) == (0, 3)
    assert mapped.source_spans([(0, 10), (11, 29), (31, 34)]) == [(0, 7), (8, 15), (16, 19)]
    with pytest.raises(ValueError):
        mapped.then(rewrite("other", []))
