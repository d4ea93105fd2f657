"""narrator.sources.markdown: markup removed, code skipped, lists and breaks, heading levels."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrator.sources import Chapter, ReadOptions, Skipped, read_source
from narrator.sources.markdown import markdown_blocks


def write(tmp_path: Path, text: str, name: str = "doc.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def paragraphs(text: str) -> list[str]:
    return [b.text for b in markdown_blocks(text) if b.kind == "text" and not b.is_heading]


def test_inline_markup_is_removed_and_link_text_kept() -> None:
    text = "Some *soft* and **loud** words, a [link to here](https://x.invalid) and `ls -l`.\n"
    assert paragraphs(text) == ["Some soft and loud words, a link to here and ls -l."]


def test_images_are_dropped() -> None:
    assert paragraphs("Before ![a map of the town](map.png) after.\n") == ["Before after."]


CODE_DOC = (
    "Intro.\n\n```python\nprint('not spoken')\n```\n\n    indented = 'not spoken'\n\nOutro.\n"
)


def test_fenced_and_indented_code_is_skipped_and_listed(tmp_path: Path) -> None:
    assert paragraphs(CODE_DOC) == ["Intro.", "Outro."]
    (chapter,) = read_source(write(tmp_path, CODE_DOC))
    assert chapter.paragraphs == ("Intro.", "Outro.")
    assert chapter.skipped == (
        Skipped("code block", "print('not spoken')"),
        Skipped("code block", "indented = 'not spoken'"),
    )


def test_code_is_read_line_by_line_when_asked(tmp_path: Path) -> None:
    (chapter,) = read_source(write(tmp_path, CODE_DOC), options=ReadOptions(code="read"))
    assert chapter.paragraphs == (
        "Intro.",
        "print('not spoken')",
        "indented = 'not spoken'",
        "Outro.",
    )
    assert chapter.skipped == ()


FOOTNOTES = (
    "A claim.[^1] Another.[^why]\n\nNext paragraph.\n\n[^1]: The source.\n[^why]: Because.\n"
)


@pytest.mark.parametrize(
    ("mode", "paragraphs_", "skipped"),
    [
        (
            "end_of_chapter",
            ("A claim. Another.", "Next paragraph.", "Note 1: The source.", "Note why: Because."),
            (),
        ),
        (
            "end_of_paragraph",
            ("A claim. Another.", "Note 1: The source.", "Note why: Because.", "Next paragraph."),
            (),
        ),
        (
            "skip",
            ("A claim. Another.", "Next paragraph."),
            (Skipped("note", "The source."), Skipped("note", "Because.")),
        ),
    ],
)
def test_footnotes_are_placed_as_the_job_says(
    tmp_path: Path, mode: str, paragraphs_: tuple[str, ...], skipped: tuple[Skipped, ...]
) -> None:
    (chapter,) = read_source(write(tmp_path, FOOTNOTES), options=ReadOptions(notes=mode))
    assert chapter.paragraphs == paragraphs_
    assert chapter.skipped == skipped


def test_image_alt_text_only_when_asked(tmp_path: Path) -> None:
    path = write(tmp_path, "Before ![a map of the town](map.png) after.\n")
    assert read_source(path)[0].paragraphs == ("Before after.",)
    with_alt = read_source(path, options=ReadOptions(alt_text=True))
    assert with_alt[0].paragraphs == ("Before a map of the town after.",)


def test_list_items_become_paragraphs() -> None:
    text = "Shopping:\n\n- bread\n- string\n  and twine\n1. first\n2. second\n"
    assert paragraphs(text) == ["Shopping:", "bread", "string and twine", "first", "second"]


def test_thematic_breaks_become_scene_breaks() -> None:
    assert paragraphs("One.\n\n---\n\nTwo.\n\n***\n\nThree.\n") == [
        "One.",
        "* * *",
        "Two.",
        "* * *",
        "Three.",
    ]


def test_hard_wrapped_paragraph_is_joined() -> None:
    assert paragraphs("A line\nwrapped\nthree times.\n") == ["A line wrapped three times."]


def test_blockquote_table_and_raw_html_keep_their_text() -> None:
    text = (
        "> A quoted line.\n\n| Name | Age |\n|---|---|\n| Ines | 30 |\n\n"
        '<div class="note">Raw <b>html</b> note.</div>\n'
    )
    assert paragraphs(text) == ["A quoted line.", "Name; Age", "Ines; 30", "Raw html note."]


def test_front_matter_is_metadata_not_text() -> None:
    text = "---\ntitle: The Market\nauthor: someone\n---\n\nThe text.\n"
    assert [b.text for b in markdown_blocks(text)] == ["The text."]


def test_a_leading_rule_is_not_front_matter() -> None:
    text = "---\n\nFirst para.\n\n---\n\nSecond.\n"
    assert paragraphs(text) == ["* * *", "First para.", "* * *", "Second."]


def test_inline_line_breaks_separate_words() -> None:
    text = "Roses are red<br>Violets are blue<br/>Sugar is sweet<BR />And so are you.\n"
    assert paragraphs(text) == ["Roses are red Violets are blue Sugar is sweet And so are you."]


def test_chapters_at_the_top_level_present(tmp_path: Path) -> None:
    text = "## One\n\nA.\n\n### Detail\n\nB.\n\n## Two\n\nC.\n"
    chapters = read_source(write(tmp_path, text))
    assert chapters == [Chapter("One", ("A.", "Detail", "B.")), Chapter("Two", ("C.",))]


def test_single_title_heading_then_sections(tmp_path: Path) -> None:
    text = "# The Book\n\n## First\n\nA.\n\n## Second\n\nB.\n"
    chapters = read_source(write(tmp_path, text))
    assert chapters == [Chapter("First", ("The Book", "A.")), Chapter("Second", ("B.",))]


def test_setext_headings_count(tmp_path: Path) -> None:
    text = "Arrival\n=======\n\nA.\n\nDeparture\n=========\n\nB.\n"
    chapters = read_source(write(tmp_path, text, "trip.markdown"))
    assert [c.title for c in chapters] == ["Arrival", "Departure"]


def test_no_headings_is_one_chapter(tmp_path: Path) -> None:
    chapters = read_source(write(tmp_path, "Just text.\n", "loose_notes.md"))
    assert chapters == [Chapter("Loose Notes", ("Just text.",), fallback_title=True)]
