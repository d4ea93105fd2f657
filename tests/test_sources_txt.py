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


# --- real Project Gutenberg texts: chapters and roles as their printed contents say ---------

DATA = Path(__file__).parent / "data"
DRACULA_SUBTITLES = {
    "I": "JONATHAN HARKER'S JOURNAL",
    "II": "JONATHAN HARKER'S JOURNAL--_continued_",
    "III": "JONATHAN HARKER'S JOURNAL--_continued_",
    "IV": "JONATHAN HARKER'S JOURNAL--_continued_",
    "V": None,  # a letter's heading in italics follows: text, not a title
    "VI": "MINA MURRAY'S JOURNAL",
    "VII": 'CUTTING FROM "THE DAILYGRAPH," 8 AUGUST',
    "VIII": "MINA MURRAY'S JOURNAL",
    "IX": None,
    "X": None,
    "XI": None,
    "XII": "DR. SEWARD'S DIARY",
    "XIII": "DR. SEWARD'S DIARY--_continued_.",
    "XIV": "MINA HARKER'S JOURNAL",
    "XV": "DR. SEWARD'S DIARY--_continued_.",
    "XVI": "DR. SEWARD'S DIARY--_continued_",
    "XVII": "DR. SEWARD'S DIARY--_continued_",
    "XVIII": "DR. SEWARD'S DIARY",
    "XIX": "JONATHAN HARKER'S JOURNAL",
    "XX": "JONATHAN HARKER'S JOURNAL",
    "XXI": "DR. SEWARD'S DIARY",
    "XXII": "JONATHAN HARKER'S JOURNAL",
    "XXIII": "DR. SEWARD'S DIARY",
    "XXIV": "DR. SEWARD'S PHONOGRAPH DIARY, SPOKEN BY VAN HELSING",
    "XXV": "DR. SEWARD'S DIARY",
    "XXVI": "DR. SEWARD'S DIARY",
    "XXVII": "MINA HARKER'S JOURNAL",
}


@pytest.fixture(scope="module")
def dracula() -> list[Chapter]:
    return read_source(DATA / "books" / "pg345_dracula.txt")


@pytest.fixture(scope="module")
def trial() -> list[Chapter]:
    return read_source(DATA / "nuremberg_trial_vol8.txt")


def test_dracula_is_its_27_chapters_with_contents_and_license_apart(dracula) -> None:
    body = [c.title for c in dracula if c.role == "body"]
    assert body == [
        f"CHAPTER {n}. {sub}" if sub else f"CHAPTER {n}" for n, sub in DRACULA_SUBTITLES.items()
    ]
    assert [(c.title, c.role) for c in dracula if c.role != "body"] == [
        ("Project Gutenberg header", "license"),
        ("Pg345 Dracula", "copyright"),  # title page, copyright line, dedication
        ("CONTENTS", "toc"),
        ("After the end", "backmatter"),  # publisher's advertisements, corrections list
        ("Project Gutenberg license", "license"),
    ]
    roles = [c.role for c in dracula]
    assert roles[:3] == ["license", "copyright", "toc"] and roles[-2:] == ["backmatter", "license"]


def test_dracula_contents_list_and_pg_text_stay_out_of_the_chapters(dracula) -> None:
    toc = next(c for c in dracula if c.role == "toc")
    assert toc.paragraphs[:2] == ("CHAPTER I Page", "Jonathan Harker's Journal 1")
    assert "Mina Harker's Journal 338" in toc.paragraphs
    header, license = dracula[0], dracula[-1]
    assert "*** START OF THIS PROJECT GUTENBERG EBOOK DRACULA ***" in header.paragraphs
    assert header.paragraphs[-1].startswith("Produced by Chuck Greif")
    assert license.paragraphs[0] == "End of the Project Gutenberg EBook of Dracula, by Bram Stoker"
    body = " ".join(p for c in dracula if c.role == "body" for p in c.paragraphs)
    assert "Gutenberg" not in body and "Produced by" not in body
    last = [c for c in dracula if c.role == "body"][-1]
    assert last.paragraphs[-2:] == ("JONATHAN HARKER.", "THE END")


def test_dracula_colophon_illustration_says_its_caption(dracula) -> None:
    front = dracula[1]
    assert "colophon" in front.paragraphs
    assert not any("Illustration" in p for p in front.paragraphs)
    assert [s.what for s in front.skipped] == ["illustration marker"]


def test_metamorphosis_is_three_parts() -> None:
    chapters = read_source(DATA / "books" / "pg5200_metamorphosis.txt")
    assert [(c.title, c.role) for c in chapters] == [
        ("Opening", "body"),  # part I has no heading in this copy
        ("II", "body"),
        ("III", "body"),
    ]
    assert chapters[0].paragraphs[0].startswith("One morning, when Gregor Samsa woke")


TRIAL_DAYS = [
    ("SIXTY-THIRD DAY", "Wednesday, 20 February 1946"),
    ("SIXTY-FOURTH DAY", "Thursday, 21 February 1946"),
    ("SIXTY-FIFTH DAY", "Friday, 22 February 1946"),
    ("SIXTY-SIXTH DAY", "Saturday, 23 February 1946"),
    ("SIXTY-SEVENTH DAY", "Monday, 25 February 1946"),
    ("SIXTY-EIGHTH DAY", "Tuesday, 26 February 1946"),
    ("SIXTY-NINTH DAY", "Wednesday, 27 February 1946"),
    ("SEVENTIETH DAY", "Thursday, 28 February 1946"),
    ("SEVENTY-FIRST DAY", "Friday, 1 March 1946"),
    ("SEVENTY-SECOND DAY", "Saturday, 2 March 1946"),
    ("SEVENTY-THIRD DAY", "Monday, 4 March 1946"),
    ("SEVENTY-FOURTH DAY", "Tuesday, 5 March 1946"),
    ("SEVENTY-FIFTH DAY", "Wednesday, 6 March 1946"),
    ("SEVENTY-SIXTH DAY", "Thursday, 7 March 1946"),
]


def test_trial_sittings_are_the_chapters_with_their_dates(trial) -> None:
    # This volume prints 14 sittings (its CONTENTS lists the same 14 days).
    body = [c.title for c in trial if c.role == "body"]
    assert body == [f"{day}. {date}" for day, date in TRIAL_DAYS]
    assert [(c.title, c.role) for c in trial if c.role != "body"] == [
        ("Project Gutenberg header", "license"),
        ("Opening", "frontmatter"),
        ("VOLUME VIII. OFFICIAL TEXT", "frontmatter"),
        ("CONTENTS", "toc"),
        ("TRANSCRIBER NOTES", "backmatter"),
        ("Project Gutenberg license", "license"),
    ]
    first = next(c for c in trial if c.role == "body")
    assert first.paragraphs[0] == "_Morning Session_"


def test_trial_display_type_is_read_as_words(trial) -> None:
    front = " | ".join(trial[1].paragraphs + trial[2].paragraphs)
    assert "NUREMBERG" in front and "PUBLISHED AT NUREMBERG, GERMANY 1947" in front
    assert "N U R" not in front and "[Illustration]" not in front
    assert [s.text for s in trial[1].skipped] == ["[Cover Illustration]", "[Illustration]"]


# --- heading rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line", ["II", "XIV.", "SIXTY-THIRD DAY", "The Second Night", "FIRST BOOK", "21st Day"]
)
def test_more_heading_lines(line: str) -> None:
    assert is_heading(line)


@pytest.mark.parametrize("line", ["C.", "D", "M", "L", "MIX", "The second day came.", "IIII"])
def test_more_not_heading_lines(line: str) -> None:
    assert not is_heading(line)


def test_capital_line_a_blank_line_under_a_bare_heading_is_its_subtitle(tmp_path: Path) -> None:
    text = "CHAPTER I\n\nTHE STORM\n\nWind.\n\nCHAPTER II\n\nCalm came at last\n\nStill.\n"
    chapters = read_source(write(tmp_path, text))
    assert [c.title for c in chapters] == ["CHAPTER I. THE STORM", "CHAPTER II"]
    assert chapters[1].paragraphs == ("Calm came at last", "Still.")


def test_centred_lines_are_headings_only_without_other_headings(tmp_path: Path) -> None:
    prose = "Words run on here across the page as prose does, line after line, to the margin.\n"
    text = (
        f"{' ' * 30}THE RIVER\n\n{prose * 3}\n{' ' * 30}THE HILL\n\n{prose * 3}\n"
        f"{' ' * 30}THE SEA\n\n{prose * 3}\n{prose * 3}\n{prose * 3}\n{prose * 3}"
    )
    chapters = read_source(write(tmp_path, text))
    assert [c.title for c in chapters] == ["THE RIVER", "THE HILL", "THE SEA"]
    chapters = read_source(write(tmp_path, "CHAPTER I\n\nStart.\n\n" + text))
    assert [c.title for c in chapters] == ["CHAPTER I"]
    assert "THE HILL" in chapters[0].paragraphs


def test_chapter_pattern_replaces_the_heading_rules(tmp_path: Path) -> None:
    from narrator.sources import ReadOptions

    text = "CHAPTER I\n\nIntro.\n\nCanto 1\nArms and the man.\n\nCanto 2\n\nI sing.\n"
    chapters = read_source(write(tmp_path, text), options=ReadOptions(chapter_pattern=r"Canto \d+"))
    assert [c.title for c in chapters] == ["Opening", "Canto 1", "Canto 2"]
    assert chapters[0].paragraphs == ("CHAPTER I", "Intro.")
    assert chapters[1].paragraphs == ("Arms and the man.",)


def test_bad_chapter_pattern_is_a_one_line_source_error(tmp_path: Path) -> None:
    from narrator.errors import SourceError
    from narrator.sources import ReadOptions

    path = write(tmp_path, "Text.\n")
    with pytest.raises(SourceError, match=r"chapter_pattern '\(' is not a valid regular"):
        read_source(path, options=ReadOptions(chapter_pattern="("))


def test_contents_list_without_a_title_is_found_by_its_repeated_headings(tmp_path: Path) -> None:
    listing = "CHAPTER I. The Storm\n\nCHAPTER II. The Calm\n\nCHAPTER III. The Port\n\n"
    prose = "It was a long and windy night, and the ship rolled in the dark water for hours.\n"
    body = "".join(
        f"CHAPTER {n}. {t}\n\n{prose * 3}\n" for n, t in (("I", "The Storm"), ("II", "The Calm"))
    )
    chapters = read_source(write(tmp_path, listing + body + "CHAPTER III. The Port\n\n" + prose))
    assert [(c.title, c.role) for c in chapters] == [
        ("Contents", "toc"),
        ("CHAPTER I. The Storm", "body"),
        ("CHAPTER II. The Calm", "body"),
        ("CHAPTER III. The Port", "body"),
    ]


def test_older_gutenberg_markers(tmp_path: Path) -> None:
    text = (
        "The Project Gutenberg Etext of Old Tales\n\n*END*THE SMALL PRINT! FOR PUBLIC DOMAIN "
        "ETEXTS*Ver.04.29.93*END*\n\nCHAPTER I\n\nOnce.\n\nCHAPTER II\n\nTwice.\n\n"
        "End of Project Gutenberg's Etext of Old Tales\n\nMore license words.\n"
    )
    chapters = read_source(write(tmp_path, text))
    assert [(c.title, c.role) for c in chapters] == [
        ("Project Gutenberg header", "license"),
        ("CHAPTER I", "body"),
        ("CHAPTER II", "body"),
        ("Project Gutenberg license", "license"),
    ]
    assert chapters[-1].paragraphs == (
        "End of Project Gutenberg's Etext of Old Tales",
        "More license words.",
    )
