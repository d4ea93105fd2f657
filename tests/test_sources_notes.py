"""narrator.sources.notes: where notes go per ReadOptions.notes, code per ReadOptions.code."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrator.sources import Chapter, ReadOptions, Skipped, read_source
from narrator.sources.blocks import Block, NoteRef
from narrator.sources.notes import NoteBook

REF = NoteRef("#n1", "1")
BLOCKS = [
    Block("First, with a note.", refs=(REF,)),
    Block("Second."),
    Block("The note text.\nIts second paragraph.", kind="note", key="#n1 #alias"),
    Block("An aside nobody refers to.", kind="note", key="#n9"),
]


@pytest.mark.parametrize(
    ("mode", "paragraphs", "skipped"),
    [
        (
            "end_of_chapter",
            (
                "First, with a note.",
                "Second.",
                "An aside nobody refers to.",
                "Note 1: The note text.",
                "Its second paragraph.",
            ),
            (),
        ),
        (
            "end_of_paragraph",
            (
                "First, with a note.",
                "Note 1: The note text.",
                "Its second paragraph.",
                "Second.",
                "An aside nobody refers to.",
            ),
            (),
        ),
        (
            "skip",
            ("First, with a note.", "Second."),
            (
                Skipped("note", "The note text. Its second paragraph."),
                Skipped("note", "An aside nobody refers to."),
            ),
        ),
    ],
)
def test_notes_go_where_the_mode_says(
    mode: str, paragraphs: tuple[str, ...], skipped: tuple[Skipped, ...]
) -> None:
    book = NoteBook.of(BLOCKS, ReadOptions(notes=mode))
    assert book.settle(BLOCKS) == (paragraphs, skipped)


def test_a_note_referred_to_twice_is_spoken_once() -> None:
    blocks = [
        Block("One.", refs=(REF,)),
        Block("Two.", refs=(NoteRef("#alias", "1"),)),
        Block("Text.", kind="note", key="#n1 #alias"),
    ]
    book = NoteBook.of(blocks, ReadOptions(notes="end_of_paragraph"))
    assert book.settle(blocks) == (("One.", "Note 1: Text.", "Two."), ())


def test_a_reference_to_a_missing_note_is_ignored_and_unlabelled_notes_are_numbered() -> None:
    blocks = [
        Block("A.", refs=(NoteRef("#gone", "7"),)),
        Block("B.", refs=(NoteRef("#n1", "*"),)),
        Block("Text.", kind="note", key="#n1"),
    ]
    book = NoteBook.of(blocks, ReadOptions())
    assert book.settle(blocks) == (("A.", "B.", "Note 1: Text."), ())


@pytest.mark.parametrize("mode", ["skip", "read"])
def test_code_blocks_are_listed_or_read_line_by_line(mode: str) -> None:
    blocks = [Block("Intro."), Block("x = 1\n\n  y = 2\n", kind="code")]
    paragraphs, skipped = NoteBook.of(blocks, ReadOptions(code=mode)).settle(blocks)
    if mode == "skip":
        assert (paragraphs, skipped) == (("Intro.",), (Skipped("code block", "x = 1\ny = 2"),))
    else:
        assert (paragraphs, skipped) == (("Intro.", "x = 1", "y = 2"), ())


PAGE = """<html><body>
<h1>One</h1>
<p>A claim.<sup><a href="#fn1" id="r1">1</a></sup> More words.</p>
<pre><code>rm -rf build</code></pre>
<h1>Two</h1>
<p>Plain text.</p>
<aside role="doc-footnote" id="fn1"><p>The source.
<a href="#r1" role="doc-backlink">↩</a></p></aside>
</body></html>"""


def test_an_html_chapter_reads_its_footnote_where_it_is_referred_to(tmp_path: Path) -> None:
    path = tmp_path / "chapter.html"
    path.write_text(PAGE, encoding="utf-8")
    assert read_source(path, options=ReadOptions(html="document")) == [
        Chapter(
            "One",
            ("A claim. More words.", "Note 1: The source."),
            skipped=(Skipped("code block", "rm -rf build"),),
        ),
        Chapter("Two", ("Plain text.",)),
    ]
