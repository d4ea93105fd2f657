"""narrator.plan: what is spoken (roles, matter, speak/skip, the credit, titles said once), from real job files."""

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
    assert texts[0].startswith("Chapter 1.") and "Text here." in " ".join(texts)


def test_a_heading_reading_opening_is_announced(tmp_path: Path) -> None:
    assert spoken(tmp_path, "intro.md", "# Opening\n\nText here.\n")[0].startswith("Opening.")


def test_stand_in_titles_are_not_announced(tmp_path: Path) -> None:
    assert spoken(tmp_path, "my_notes.txt", "Just text.\n") == ["Just text."]
    texts = spoken(tmp_path, "story.txt", "Before any heading.\n\nCHAPTER I\n\nAfter it.\n")
    assert texts[0] == "Before any heading." and texts[1].startswith("CHAPTER I.")


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
    assert texts[1].startswith("CHAPTER I. JONATHAN HARKER'S JOURNAL.")
    plan = plan_for(tmp_path, short_dracula, extra="credit: false\n")
    assert plan.segments[0].text.startswith("CHAPTER I.")


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
