"""narrator.sources.txt: heading lines, hard wraps, scene breaks, text before the first heading."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrator.sources import Chapter, read_source
from narrator.sources.txt import is_heading, text_blocks


def write(tmp_path: Path, text: str, name: str = "book.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "line",
    [
        "CHAPTER I",
        "Chapter 3",
        "CHAPTER XII. THE STORM",
        "Part One",
        "BOOK II",
        "Chapter iv",
        "Chapter Twenty-One",
        "Chapter 3: The Storm",
        "CHAPTER 7 — Ashes",
        "Prologue",
        "EPILOGUE",
        "  Chapter 9  ",
        "Act III",
        "Volume 2",
    ],
)
def test_heading_lines(line: str) -> None:
    assert is_heading(line)


@pytest.mark.parametrize(
    "line",
    [
        "Chapter 3 of the manual explains it.",
        "Part of the essence of the plan",
        "Part mix",
        "The chapter ended.",
        "chapter and verse",
        "Book club on Tuesday",
        "Chapter 1: " + "x" * 90,
    ],
)
def test_not_heading_lines(line: str) -> None:
    assert not is_heading(line)


BOOK = """\
The Project of the Lamps
by nobody in particular

CHAPTER I

It was a wet night, and the lamps
along the quay burned low.

She walked on.

* * *

Much later the rain stopped.

CHAPTER II. THE MORNING

Morning came
slowly.
"""


def test_chapters_from_heading_lines(tmp_path: Path) -> None:
    chapters = read_source(write(tmp_path, BOOK))
    assert [c.title for c in chapters] == ["Opening", "CHAPTER I", "CHAPTER II. THE MORNING"]
    assert chapters[0].paragraphs == ("The Project of the Lamps by nobody in particular",)
    assert chapters[1].paragraphs == (
        "It was a wet night, and the lamps along the quay burned low.",
        "She walked on.",
        "* * *",
        "Much later the rain stopped.",
    )
    assert chapters[2].paragraphs == ("Morning came slowly.",)


def test_heading_text_is_not_repeated_in_the_paragraphs(tmp_path: Path) -> None:
    chapters = read_source(write(tmp_path, BOOK))
    assert all("CHAPTER" not in p for c in chapters for p in c.paragraphs)


def test_heading_with_a_title_line_under_it(tmp_path: Path) -> None:
    text = "CHAPTER I\nTHE STORM\n\nWind.\n\nCHAPTER II\nIn Which Nothing Happens\n\nCalm.\n"
    chapters = read_source(write(tmp_path, text))
    assert [c.title for c in chapters] == [
        "CHAPTER I. THE STORM",
        "CHAPTER II. In Which Nothing Happens",
    ]


def test_wrapped_heading_title_continues_on_the_next_line() -> None:
    text = "Section 4. Information about Donations to the\nLiterary Archive\n\nText.\n"
    blocks = text_blocks(text)
    assert blocks[0].text == "Section 4. Information about Donations to the Literary Archive"
    assert blocks[0].level == 1


def test_heading_followed_by_a_sentence_is_not_a_title_pair() -> None:
    blocks = text_blocks("Part One\nof the tale was told before.\n")
    assert [b.level for b in blocks] == [0]
    assert blocks[0].text == "Part One of the tale was told before."


def test_part_and_chapter_headings_merge(tmp_path: Path) -> None:
    text = "PART ONE\n\nCHAPTER 1\n\nA.\n\nCHAPTER 2\n\nB.\n\nPART TWO\n\nCHAPTER 3\n\nC.\n"
    chapters = read_source(write(tmp_path, text))
    assert [c.title for c in chapters] == [
        "PART ONE — CHAPTER 1",
        "CHAPTER 2",
        "PART TWO — CHAPTER 3",
    ]


def test_unicode_paragraph_separators_part_paragraphs_and_chapters(tmp_path: Path) -> None:
    text = "CHAPTER I\u2029First one.\u2029Second one.\u2029CHAPTER II\u2029Third\u2028line."
    chapters = read_source(write(tmp_path, text))
    assert chapters == [
        Chapter("CHAPTER I", ("First one.", "Second one.")),
        Chapter("CHAPTER II", ("Third line.",)),
    ]


def test_no_headings_is_one_chapter_titled_from_the_file(tmp_path: Path) -> None:
    chapters = read_source(write(tmp_path, "Just a note.\n\nTwo lines.\n", "02-a_letter.txt"))
    assert chapters == [Chapter("A Letter", ("Just a note.", "Two lines."), fallback_title=True)]


def test_split_none_keeps_headings_as_text(tmp_path: Path) -> None:
    chapters = read_source(write(tmp_path, BOOK), split="none", title="Whole")
    assert len(chapters) == 1 and chapters[0].title == "Whole"
    assert "CHAPTER I" in chapters[0].paragraphs


def test_every_word_survives(tmp_path: Path) -> None:
    chapters = read_source(write(tmp_path, BOOK))
    titles = [c.title for c in chapters[1:]]  # "Opening" is ours, not the book's
    words = [
        w
        for part in (*titles, *(p for c in chapters for p in c.paragraphs))
        for w in str(part).split()
    ]
    assert sorted(words) == sorted(BOOK.split())


def test_text_file_extension(tmp_path: Path) -> None:
    chapters = read_source(write(tmp_path, "Chapter 1\n\nHello.\n", "notes.text"))
    assert chapters[0].title == "Chapter 1"
