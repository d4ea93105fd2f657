"""narrator.sources.roles: conservative role rules, and a real Markdown document's chapters."""

from __future__ import annotations

from pathlib import Path

from narrator.sources import Chapter, read_source
from narrator.sources.roles import apply_title_roles, front_role, split_after_the_end

DATA = Path(__file__).parent / "data"


def test_art_of_command_line_chapters_and_roles() -> None:
    chapters = read_source(DATA / "books" / "art_of_command_line.md")
    assert [(c.title, c.role) for c in chapters] == [
        ("Opening", "body"),
        ("The Art of Command Line", "body"),
        ("Meta", "body"),
        ("Basics", "body"),
        ("Everyday use", "body"),
        ("Processing files and data", "body"),
        ("System debugging", "body"),
        ("One-liners", "body"),
        ("Obscure but useful", "body"),
        ("macOS only", "body"),
        ("Windows only", "body"),
        ("More resources", "body"),
        ("Disclaimer", "body"),
        ("License", "license"),
    ]


def _chapter(title: str, *paragraphs: str, role: str = "body") -> Chapter:
    return Chapter(title, paragraphs, role=role)


def test_titles_give_roles_only_to_body_chapters_and_only_where_they_fit() -> None:
    chapters = [
        _chapter("Table of Contents", "One", "Two"),
        _chapter("Contents", "This chapter is about contents and is a long sentence. " * 3),
        _chapter("Copyright", "© 2020 A. N. Author"),
        _chapter("Index", "Words 1, 2"),  # not at the end: kept
        _chapter("Dedication", "To my mother.", role="dedication"),
        _chapter("The Story", "Once."),
        _chapter("License", "CC BY."),
        _chapter("Index", "apples, 3, 7; bananas, 12; cherries, 14, 15; dates, 2, 90; figs, 4"),
    ]
    assert [c.role for c in apply_title_roles(chapters)] == [
        "toc",
        "body",
        "copyright",
        "body",
        "dedication",
        "body",
        "license",
        "index",
    ]


def test_front_text_roles() -> None:
    assert front_role(["DRACULA", "by", "Bram Stoker", "Copyright, 1897"]) == "copyright"
    assert front_role(["The Lamps", "by nobody in particular"]) == "titlepage"
    assert front_role(["It was a wet night."]) == "body"
    assert front_role(["Words " * 50]) == "body"


def test_after_the_end_is_back_matter_but_the_end_is_spoken() -> None:
    last = _chapter("CHAPTER IX", "So it ended.", "THE END", "More books by us!")
    story, after = split_after_the_end(last)
    assert story.paragraphs == ("So it ended.", "THE END") and story.role == "body"
    assert after.paragraphs == ("More books by us!",) and after.role == "backmatter"
    assert split_after_the_end(_chapter("X", "It ended.", "THE END")) == [
        _chapter("X", "It ended.", "THE END")
    ]


def test_epub_front_and_back_matter_titles() -> None:
    chapters = read_source(DATA / "books" / "time_machine_se.epub")
    roles = {c.title: c.role for c in chapters}
    assert [roles[t] for t in ("Titlepage", "Imprint", "Colophon", "Uncopyright")] == [
        "titlepage",
        "copyright",
        "copyright",
        "license",
    ]
    assert [c.title for c in chapters if c.role == "body"][:2] == ["I", "II"]
    assert roles["Epilogue"] == "body"
