"""narrator.plan: which chapter titles are spoken, read from real job files."""

from __future__ import annotations

from pathlib import Path

from narrator.jobfile import load_job
from narrator.plan import build_plan


def spoken(tmp_path: Path, name: str, text: str) -> list[str]:
    """The plan's segment texts for a job narrating one source file `name`."""
    (tmp_path / name).write_text(text, encoding="utf-8")
    job = tmp_path / "book.yaml"
    job.write_text(f"sources:\n  - {name}\n", encoding="utf-8")
    return [segment.text for segment in build_plan(load_job(job)).segments]


def test_a_heading_equal_to_the_file_name_is_announced(tmp_path: Path) -> None:
    texts = spoken(tmp_path, "Chapter 1.txt", "Chapter 1\n\nText here.\n")
    assert texts[0].startswith("Chapter one.") and "Text here." in " ".join(texts)


def test_a_heading_reading_opening_is_announced(tmp_path: Path) -> None:
    assert spoken(tmp_path, "intro.md", "# Opening\n\nText here.\n")[0].startswith("Opening.")


def test_stand_in_titles_are_not_announced(tmp_path: Path) -> None:
    assert spoken(tmp_path, "my_notes.txt", "Just text.\n") == ["Just text."]
    texts = spoken(tmp_path, "story.txt", "Before any heading.\n\nCHAPTER I\n\nAfter it.\n")
    assert texts[0] == "Before any heading." and texts[1].startswith("CHAPTER One.")


# --- source spans through the lexicon and normalization ---------------------------------------

import re  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from narrator.jobfile import LexiconRule  # noqa: E402
from narrator.plan import source_spans, spoken_forms  # noqa: E402
from narrator.text.normalize import normalization_rules  # noqa: E402
from narrator.text.paragraphs import is_decoration  # noqa: E402
from narrator.text.segmenter import SegmenterSettings, segment_chapter  # noqa: E402

ENGLISH = normalization_rules("English")[0]
LEXICON = (LexiconRule("Watson", "Wat-son"), LexiconRule(r"\s*--\s*", ", ", regex=True))
TOKENS = st.sampled_from(
    ["Chapter", "IV.", "I", "Henry", "VIII", "St.", "Louis", "Dr.", "Watson", "$1,234.88", "1946",
     "3:45", "p.m.", "5%", "1/2", "kg", "21st", "1914-1918", "e.g.", "etc.", "No.", "5", "--",
     "https://www.example.com/a-b", "x@y.org", "MIX", "word", "words", "long", "said.", "Yes!",
     "\n", "“Quoted”", "1,000,000,000,000", "2½"]
)  # fmt: skip
PARAGRAPH = st.one_of(
    st.lists(TOKENS, min_size=1, max_size=40).map(" ".join), st.sampled_from(["* * *", "", "IX."])
)
SHORT = SegmenterSettings(max_seconds=2.0)  # 30 characters: many cuts inside rewrites


def assert_spans_cover(paragraphs: list[str], settings_: SegmenterSettings) -> None:
    forms = spoken_forms(paragraphs, LEXICON, ENGLISH)
    segments = segment_chapter([f.text for f in forms], settings_)
    spans = source_spans("book.txt", 0, segments, forms)
    assert len(spans) == len(segments)
    last = (-1, 0)
    for seg, span in zip(segments, spans):
        assert span.paragraph == seg.paragraph and (span.paragraph, span.start) >= last
        last = (span.paragraph, span.end)
        assert forms[seg.paragraph].text[seg.start : seg.end] == seg.text
    for index, paragraph in enumerate(paragraphs):
        own = [s for s in spans if s.paragraph == index]
        covered = {i for s in own for i in range(s.start, s.end)}
        if own or not is_decoration(forms[index].text):
            missing = [i for i, c in enumerate(paragraph) if not c.isspace() and i not in covered]
            assert not missing, (paragraph, forms[index].text, own)


@settings(max_examples=120, deadline=None)
@given(st.lists(PARAGRAPH, max_size=5), st.sampled_from([SHORT, SegmenterSettings()]))
def test_no_source_text_is_lost_through_lexicon_and_normalization(paragraphs, settings_):
    assert_spans_cover(paragraphs, settings_)


def test_spans_of_a_real_book_cover_it_and_point_at_what_was_spoken(tmp_path: Path) -> None:
    book = Path(__file__).parent / "data" / "books" / "pg5200_metamorphosis.txt"
    job = tmp_path / "book.yaml"
    job.write_text(f"sources: [{book}]\nlexicon: {{Gregor: Gregory}}\n", encoding="utf-8")
    plan = build_plan(load_job(job))
    rewritten = 0
    for index, segment in enumerate(plan.segments):
        source = plan.source_text(index)
        rewritten += source != segment.text
        if "Gregor" in source:
            assert "Gregory" in segment.text
        span = plan.spans[index]
        paragraph = plan.chapters[span.chapter].paragraphs[span.paragraph]
        # A word the paragraph holds as written is in this segment's span, not elsewhere.
        for word in re.findall(r"\b[a-z]{4,}\b", segment.text):
            assert word in source or not re.search(rf"\b{word}\b", paragraph)
    assert rewritten > 100
    for number, chapter in enumerate(plan.chapters):
        spans = [s for s in plan.spans if s.chapter == number]
        for index, paragraph in enumerate(chapter.paragraphs):
            covered = {i for s in spans if s.paragraph == index for i in range(s.start, s.end)}
            if any(s.paragraph == index for s in spans):
                assert all(i in covered for i, c in enumerate(paragraph) if not c.isspace())


def test_a_language_without_rules_is_spoken_as_written_and_noted(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Kapitel IV kostet $5.\n", encoding="utf-8")
    job = tmp_path / "book.yaml"
    job.write_text("sources: [a.txt]\nvoice: {language: German}\n", encoding="utf-8")
    plan = build_plan(load_job(job))
    assert [s.text for s in plan.segments] == ["Kapitel IV kostet $5."]
    assert any("no normalization rules for language 'German'" in note for note in plan.notes)
    assert plan.source_text(0) == "Kapitel IV kostet $5."
