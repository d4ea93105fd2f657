"""narrator.sources.blocks: where chapters start, and how heading-only chapters are folded."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrator.errors import SourceError
from narrator.sources import Skipped
from narrator.sources.blocks import (
    Block,
    Chapter,
    chapters_from_blocks,
    merge_empty,
    pretty_stem,
    split_level,
)

P = Path("book.md")


def h(text: str, level: int = 1) -> Block:
    return Block(text, level)


def t(text: str) -> Block:
    return Block(text)


def test_split_level_is_the_top_level_used_more_than_once() -> None:
    blocks = [h("One", 1), t("a"), h("Sub", 2), t("b"), h("Two", 1), t("c")]
    assert split_level(blocks, 6) == 1


def test_a_lone_first_top_heading_is_a_document_title() -> None:
    blocks = [h("Book", 1), t("intro"), h("One", 2), t("a"), h("Two", 2), t("b")]
    assert split_level(blocks, 6) == 2


def test_split_level_ignores_levels_past_the_maximum() -> None:
    assert split_level([h("Deep", 4), t("a")], 3) is None
    assert split_level([t("a")], 6) is None


def test_deeper_headings_stay_as_paragraphs() -> None:
    blocks = [h("One", 1), t("a"), h("Aside", 3), t("b"), h("Two", 1), t("c")]
    chapters = chapters_from_blocks(blocks, split="auto", title=None, path=P)
    assert chapters == [Chapter("One", ("a", "Aside", "b")), Chapter("Two", ("c",))]


def test_document_title_with_intro_titles_the_intro() -> None:
    blocks = [h("Book", 1), t("intro"), h("One", 2), t("a"), h("Two", 2), t("b")]
    chapters = chapters_from_blocks(blocks, split="auto", title=None, path=P)
    assert [c.title for c in chapters] == ["Book", "One", "Two"]
    assert chapters[0].paragraphs == ("intro",)


def test_document_title_alone_is_text_of_the_first_chapter_not_a_chapter() -> None:
    blocks = [h("Book", 1), h("Part", 2), h("One", 3), t("a"), h("Two", 3), t("b")]
    chapters = chapters_from_blocks(blocks, split="auto", title=None, path=P)
    assert chapters == [Chapter("One", ("Book", "Part", "a")), Chapter("Two", ("b",))]


def test_text_before_the_first_heading_is_kept_as_opening() -> None:
    blocks = [t("preface text"), h("One"), t("a")]
    chapters = chapters_from_blocks(blocks, split="auto", title=None, path=P)
    assert chapters == [
        Chapter("Opening", ("preface text",), fallback_title=True),
        Chapter("One", ("a",)),
    ]
    titled = chapters_from_blocks(blocks, split="auto", title="Foreword", path=P)
    assert titled[0].title == "Foreword"


def test_heading_without_text_gives_its_title_to_the_next_chapter() -> None:
    chapters = merge_empty(
        [Chapter("PART ONE", ()), Chapter("CHAPTER I", ("a",)), Chapter("CHAPTER II", ("b",))]
    )
    assert chapters == [Chapter("PART ONE — CHAPTER I", ("a",)), Chapter("CHAPTER II", ("b",))]


def test_a_run_of_empty_headings_is_a_contents_list_kept_as_text() -> None:
    chapters = merge_empty(
        [
            Chapter("Opening", ("Contents",)),
            Chapter("I", ()),
            Chapter("II", ()),
            Chapter("III", ()),
            Chapter("I", ("a",)),
        ]
    )
    assert chapters == [Chapter("Opening", ("Contents", "I", "II", "III")), Chapter("I", ("a",))]


def test_trailing_empty_heading_is_kept_as_text() -> None:
    chapters = merge_empty([Chapter("One", ("a",)), Chapter("The End", ())])
    assert chapters == [Chapter("One", ("a", "The End"))]


def test_only_headings_still_gives_their_text() -> None:
    assert merge_empty([Chapter("Alone", ())]) == [Chapter("Alone", ("Alone",))]


def test_split_none_keeps_every_heading_as_text() -> None:
    blocks = [h("One"), t("a"), h("Two"), t("b")]
    chapters = chapters_from_blocks(blocks, split="none", title=None, path=Path("01-my_book.md"))
    assert chapters == [Chapter("My Book", ("One", "a", "Two", "b"), fallback_title=True)]


def test_auto_without_headings_is_one_chapter_named_after_the_file() -> None:
    chapters = chapters_from_blocks([t("a"), t("b")], split="auto", title=None, path=P)
    assert chapters == [Chapter("Book", ("a", "b"), fallback_title=True)]
    named = chapters_from_blocks([t("a")], split="auto", title="Given", path=P)
    assert named == [Chapter("Given", ("a",))]


def test_split_headings_without_headings_is_an_error_naming_the_file() -> None:
    with pytest.raises(SourceError, match="no chapter headings") as info:
        chapters_from_blocks([t("a")], split="headings", title=None, path=P)
    assert str(P) in str(info.value)


def test_unknown_split_mode_is_an_error() -> None:
    with pytest.raises(SourceError, match="unknown split mode 'chapters'"):
        chapters_from_blocks([t("a")], split="chapters", title=None, path=P)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("01-arrival.txt", "Arrival"),
        ("my_book.md", "My Book"),
        ("The River.html", "The River"),
        ("2024.txt", "2024"),
        ("notes-on-Rome.md", "Notes on Rome"),
    ],
)
def test_pretty_stem(name: str, expected: str) -> None:
    assert pretty_stem(Path(name)) == expected


def test_a_part_title_waits_past_front_or_back_matter_for_its_body() -> None:
    chapters = [
        Chapter("Part IV", ()),
        Chapter("Bibliography", ("A book.",), role="backmatter"),
        Chapter("Introductory", ("Text.",)),
        Chapter("Endnotes", (), role="notes"),  # emptied: its notes were read elsewhere
        Chapter("Colophon", ("Set in type.",), role="copyright"),
    ]
    assert merge_empty(chapters) == [
        Chapter("Bibliography", ("A book.",), role="backmatter"),
        Chapter("Part IV — Introductory", ("Text.",)),
        Chapter("Colophon", ("Set in type.",), role="copyright"),
    ]


def test_without_a_notebook_notes_stay_in_place_and_code_is_listed() -> None:
    blocks = [
        h("One"),
        t("Text."),
        Block("x = 1\n  y = 2", kind="code"),
        Block("A note.\nSecond part.", kind="note", key="#n"),
    ]
    (chapter,) = chapters_from_blocks(blocks, split="auto", title=None, path=P)
    assert chapter == Chapter(
        "One",
        ("Text.", "A note.", "Second part."),
        skipped=(Skipped("code block", "x = 1\ny = 2"),),
    )
