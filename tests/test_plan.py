"""narrator.plan: what is spoken, from real job files.

Roles, matter, speak/skip, the credit, titles said once.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narrator.cli.jobs import plan_lines
from narrator.jobfile import load_job
from narrator.plan import build_plan
from narrator.sources import read_source


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


# --- what is spoken: roles, matter, speak/skip, the credit, titles said once ---------------


DATA = Path(__file__).parent / "data"


def _words(*texts: str) -> Counter[str]:
    return Counter(w for t in texts for w in re.findall(r"\w+", t.casefold()))


@pytest.fixture(scope="module")
def short_dracula(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Dracula cut to its PG header, front matter, contents, chapter I and PG license."""
    lines = (DATA / "books" / "pg345_dracula.txt").read_text(encoding="utf-8").splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith("End of the Project"))
    chapter_two = [i for i, line in enumerate(lines) if line == "CHAPTER II"][1]
    path = tmp_path_factory.mktemp("dracula") / "dracula.txt"
    path.write_text("\n".join(lines[:chapter_two] + lines[end:]) + "\n", encoding="utf-8")
    return path


def plan_for(tmp_path: Path, source: Path, extra: str = "", source_keys: str = ""):
    job = tmp_path / "book.yaml"
    job.write_text(
        f"title: Dracula\nauthor: Bram Stoker\n{extra}sources:\n  - path: {source}\n"
        + "".join(f"    {line}\n" for line in source_keys.splitlines()),
        encoding="utf-8",
    )
    return build_plan(load_job(job))


@pytest.fixture(scope="module")
def default_plan(tmp_path_factory: pytest.TempPathFactory, short_dracula: Path):
    return plan_for(tmp_path_factory.mktemp("job"), short_dracula)


def test_no_gutenberg_word_is_spoken_by_default(default_plan, short_dracula: Path) -> None:
    plan = default_plan
    spoken = " ".join(s.text for s in plan.segments)
    assert "Gutenberg" not in spoken and "Produced by" not in spoken and "Page" not in spoken
    assert [c.title for c in plan.chapters] == ["CHAPTER I. JONATHAN HARKER'S JOURNAL"]
    assert [(p.title, p.role, p.what) for p in plan.skipped] == [
        ("Project Gutenberg header", "license", "chapter"),
        ("Dracula", "copyright", "chapter"),
        ("Dracula", "copyright", "illustration marker"),
        ("CONTENTS", "toc", "chapter"),
        ("Project Gutenberg license", "license", "chapter"),
    ]
    # Each skipped chapter is all of what the reader found for it.
    read = {c.title: c for c in read_source(short_dracula)}
    license = read["Project Gutenberg license"]
    assert plan.skipped[-1].words == sum(len(p.split()) for p in license.paragraphs) > 2900


def test_matter_all_speaks_every_word(tmp_path: Path, short_dracula: Path) -> None:
    plan = plan_for(tmp_path, short_dracula, extra="matter: all\n")
    assert [c.role for c in plan.chapters] == ["license", "copyright", "toc", "body", "license"]
    written = [p for c in plan.chapters for p in c.paragraphs]
    markers = [p.text for p in plan.skipped]
    assert [p.what for p in plan.skipped] == ["illustration marker"]
    source = _words(short_dracula.read_text(encoding="utf-8"))
    assert not source - _words(*written, *markers)


def test_every_word_is_spoken_or_listed_per_role(default_plan, short_dracula: Path) -> None:
    plan = default_plan
    source = _words(short_dracula.read_text(encoding="utf-8"))
    spoken = _words(*(p for c in plan.chapters for p in c.paragraphs))
    listed: dict[str, Counter[str]] = {}
    for part in plan.skipped:
        listed[part.role] = listed.get(part.role, Counter()) + _words(part.text)
    assert not source - spoken - sum(listed.values(), Counter())
    assert set(listed) == {"license", "copyright", "toc"}
    assert "gutenberg" in listed["license"] and "gutenberg" not in spoken


def test_sources_speak_and_skip_by_title(tmp_path: Path, short_dracula: Path) -> None:
    plan = plan_for(tmp_path, short_dracula, source_keys='speak: [contents]\nskip: ["Chapter I"]')
    assert [c.title for c in plan.chapters] == ["CONTENTS"]
    chapter_one = next(p for p in plan.skipped if p.title.startswith("CHAPTER I."))
    assert chapter_one.reason == "skip" and chapter_one.words > 5000
    plan = plan_for(tmp_path, short_dracula, source_keys="skip: [Chapter 1]")
    assert any("skip 'Chapter 1' names no chapter" in n for n in plan.notes)


def test_opening_credit_comes_first_once(tmp_path: Path, short_dracula: Path) -> None:
    plan = plan_for(tmp_path, short_dracula, extra="narrator: Ann Reader\n")
    assert plan.segments[0].text == "Dracula, by Bram Stoker. Read by Ann Reader."
    texts = [s.text for s in plan.segments]
    assert sum("Read by" in t for t in texts) == 1
    assert texts[1].startswith("CHAPTER One. JONATHAN HARKER'S JOURNAL.")
    plan = plan_for(tmp_path, short_dracula, extra="credit: false\n")
    assert plan.segments[0].text.startswith("CHAPTER One.")


def test_no_credit_without_a_title_or_author_in_the_job(tmp_path: Path) -> None:
    assert spoken(tmp_path, "story.txt", "It rained.\n") == ["It rained."]


def test_a_job_title_the_text_starts_with_is_spoken_once(tmp_path: Path) -> None:
    (tmp_path / "alice.txt").write_text(
        "Down the Rabbit-Hole\n\nAlice was beginning to get very tired.\n", encoding="utf-8"
    )
    (tmp_path / "run.txt").write_text(
        "Down the Rabbit-Hole\nAlice was beginning to get very tired.\n", encoding="utf-8"
    )
    for name in ("alice.txt", "run.txt"):
        job = tmp_path / "book.yaml"
        job.write_text(
            f"sources:\n  - path: {name}\n    title: 'Down the Rabbit-Hole'\n", encoding="utf-8"
        )
        text = " ".join(s.text for s in build_plan(load_job(job)).segments)
        assert text.count("Rabbit-Hole") == 1, name


def test_plan_lists_every_chapter_with_its_role(default_plan) -> None:
    lines = plan_lines(default_plan)
    assert len(lines) == 6
    assert lines[0].startswith("  -  Project Gutenberg header")
    assert "skipped chapter (license, not in matter): 101 words" in lines[0]
    assert "skipped chapter (toc, not in matter)" in lines[3]
    assert lines[4].startswith("  1  CHAPTER I. JONATHAN HARKER'S JOURNAL")
    assert lines[4].endswith("body")


_LINE = st.sampled_from(
    [
        "The lamp was lit.",
        "CHAPTER I",
        "CHAPTER II",
        "CONTENTS",
        "II",
        "THE END",
        "[Illustration]",
        "Copyright 1900",
        "*** START OF THE PROJECT GUTENBERG EBOOK LAMP ***",
        "*** END OF THE PROJECT GUTENBERG EBOOK LAMP ***",
        "Produced by Ann",
        "",
    ]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(_LINE, min_size=1, max_size=30))
def test_every_word_is_spoken_or_listed(tmp_path: Path, lines: list[str]) -> None:
    text = "\n".join(lines)
    if not re.search(r"\w", text.replace("Illustration", "")):
        return  # no words to narrate: a source error, tested in test_sources
    (tmp_path / "gen.txt").write_text(text, encoding="utf-8")
    job = tmp_path / "book.yaml"
    job.write_text("sources: [gen.txt]\n", encoding="utf-8")
    plan = build_plan(load_job(job))
    spoken = _words(*(p for c in plan.chapters for p in c.paragraphs))
    listed = _words(*(p.text for p in plan.skipped))
    assert not _words(text) - spoken - listed
    assert all(p.role != "body" or p.what != "chapter" for p in plan.skipped)


def test_predicted_length_counts_the_pauses_of_the_job(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(
        "CHAPTER I\n\nOne. Two.\n\nThree.\n\n* * *\n\nFour.\n\nCHAPTER II\n\nFive.\n",
        encoding="utf-8",
    )
    job_file = tmp_path / "book.yaml"
    job_file.write_text("sources: [a.txt]\npauses: {paragraph: 10, scene: 20}\n", encoding="utf-8")
    job = load_job(job_file)
    plan = build_plan(job)
    p = job.pauses
    # chapter I: title | "One. Two." | "Three." (scene) | "Four."; chapter II: title | "Five."
    inside = [p.paragraph * 2 + p.scene, p.paragraph]
    assert plan.chapter_seconds_with(p) == [
        c.seconds + extra for c, extra in zip(plan.chapters, inside, strict=True)
    ]
    edges = p.lead_in + p.chapter + p.tail
    assert abs(plan.seconds_with(p) - (plan.seconds + sum(inside) + edges)) < 1e-9


# --- source spans through the lexicon and normalization ---------------------------------------


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
    [
        "Chapter",
        "IV.",
        "I",
        "Henry",
        "VIII",
        "St.",
        "Louis",
        "Dr.",
        "Watson",
        "$1,234.88",
        "1946",
        "3:45",
        "p.m.",
        "5%",
        "1/2",
        "kg",
        "21st",
        "1914-1918",
        "e.g.",
        "etc.",
        "No.",
        "5",
        "--",
        "https://www.example.com/a-b",
        "x@y.org",
        "MIX",
        "word",
        "words",
        "long",
        "said.",
        "Yes!",
        "\n",
        "“Quoted”",
        "1,000,000,000,000",
        "2½",
    ]
)
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
    for seg, span in zip(segments, spans, strict=True):
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


def test_progress_counts_only_the_chapters_spoken(short_dracula: Path) -> None:
    """The licence, front matter and contents are not segmented, so the meter's total leaves
    them out and reaches its end exactly."""
    job = short_dracula.parent / "book.yaml"
    job.write_text(f"sources:\n  - {short_dracula.name}\n", encoding="utf-8")
    seen: list[tuple[int, int]] = []
    plan = build_plan(load_job(job), lambda done, total: seen.append((done, total)))
    chapters = read_source(short_dracula)
    every = sum(len(p) for c in chapters for p in c.paragraphs)
    spoken_chars = sum(len(p) for c in chapters if c.role == "body" for p in c.paragraphs)
    assert plan.skipped and seen[-1][0] == seen[-1][1]
    assert seen[-1][1] == spoken_chars < every
