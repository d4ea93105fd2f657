"""narrator.sources.read_source: choosing the reader, the shared errors, and the sample texts."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narrator.errors import SourceError, UserError
from narrator.sources import Chapter, read_source

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_texts"
KINDS = ["txt", "md", "html", "epub"]


def assert_one_line_naming(exc: SourceError, path: Path) -> None:
    message = str(exc)
    assert str(path) in message
    assert "\n" not in message
    assert isinstance(exc, UserError)  # exit code 2, no traceback from the CLI


@pytest.mark.parametrize("suffix", ["pdf", "docx", ""])
def test_unknown_extension(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / (f"book.{suffix}" if suffix else "README")
    path.write_text("words")
    with pytest.raises(SourceError, match="unknown kind of source") as info:
        read_source(path)
    assert_one_line_naming(info.value, path)
    assert ".txt, .md, .html or .epub" in str(info.value)


@pytest.mark.parametrize("kind", KINDS)
def test_missing_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"absent.{kind}"
    with pytest.raises(SourceError, match="no such file") as info:
        read_source(path)
    assert_one_line_naming(info.value, path)


@pytest.mark.parametrize("kind", KINDS)
def test_directory(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"chapters.{kind}"
    path.mkdir()
    with pytest.raises(SourceError, match="is a directory") as info:
        read_source(path)
    assert_one_line_naming(info.value, path)


@pytest.mark.parametrize("kind", ["txt", "md", "html"])
@pytest.mark.parametrize(
    "content", ["", "   \n\n\t  \n", "\ufeff\n"], ids=["empty", "blank", "bom"]
)
def test_empty_or_whitespace_source(tmp_path: Path, kind: str, content: str) -> None:
    path = tmp_path / f"empty.{kind}"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceError, match="has no text to narrate") as info:
        read_source(path)
    assert_one_line_naming(info.value, path)


def test_markdown_with_only_code_has_no_text(tmp_path: Path) -> None:
    path = tmp_path / "code.md"
    path.write_text("```\nprint('hi')\n```\n")
    with pytest.raises(SourceError, match="has no text to narrate"):
        read_source(path)


@pytest.mark.parametrize("kind", ["txt", "md", "html"])
def test_binary_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"photo.{kind}"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(SourceError, match="binary") as info:
        read_source(path)
    assert_one_line_naming(info.value, path)


def test_unknown_split_mode(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Text.")
    with pytest.raises(SourceError, match="unknown split mode") as info:
        read_source(path, split="pages")
    assert_one_line_naming(info.value, path)


def test_split_headings_without_headings(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("No headings here.\n")
    with pytest.raises(SourceError, match="no chapter headings") as info:
        read_source(path, split="headings")
    assert_one_line_naming(info.value, path)


def test_extension_is_case_insensitive_and_str_paths_work(tmp_path: Path) -> None:
    path = tmp_path / "LOUD.TXT"
    path.write_text("Quiet words.\n")
    chapters = read_source(str(path))  # type: ignore[arg-type]
    assert chapters == [Chapter("LOUD", ("Quiet words.",), fallback_title=True)]


def test_title_names_a_single_chapter_source(tmp_path: Path) -> None:
    path = tmp_path / "x.html"
    path.write_text("<p>Hello.</p>")
    assert read_source(path, title="Greeting") == [Chapter("Greeting", ("Hello.",))]


def test_every_chapter_has_text(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("CHAPTER I\n\nA.\n\nCHAPTER II\n\nB.\n\nCHAPTER III\n")
    chapters = read_source(path)
    assert all(c.paragraphs for c in chapters)
    assert chapters[-1].paragraphs == ("B.", "CHAPTER III")


def test_quickstart_sample_is_one_short_chapter() -> None:
    chapters = read_source(SAMPLES / "quickstart.txt")
    assert len(chapters) == 1
    assert 350 <= sum(len(p) for p in chapters[0].paragraphs) <= 500


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("01-arrival.txt", "CHAPTER I. ARRIVAL"),
        ("02-market.md", "The Market"),
        ("03-river.html", "The River"),
        ("04-night.epub", "Night"),
    ],
)
def test_lantern_sample_chapters(name: str, title: str) -> None:
    chapters = read_source(SAMPLES / "lantern" / name)
    assert [c.title for c in chapters] == [title]
    spoken = " ".join(chapters[0].paragraphs)
    assert 600 <= len(spoken) <= 1500
    assert "http" not in spoken and "*" not in spoken.replace("* * *", "")


def test_lantern_samples_show_each_feature() -> None:
    arrival = read_source(SAMPLES / "lantern" / "01-arrival.txt")[0]
    assert "* * *" in arrival.paragraphs  # a scene break
    assert all("\n" not in p for p in arrival.paragraphs)  # hard wraps joined
    market = " ".join(read_source(SAMPLES / "lantern" / "02-market.md")[0].paragraphs)
    assert "lamps = 41" not in market and "theory" in market  # code skipped, link text kept
    river = read_source(SAMPLES / "lantern" / "03-river.html")[0].paragraphs
    assert not any("Previous" in p or "Sample text" in p for p in river)  # nav, footer skipped


SENTINEL = "@title@"  # our own title for text outside any heading; '@' is not in the texts
_WORD = st.sampled_from(
    [
        "the",
        "lamp",
        "Ines",
        "river",
        "CHAPTER",
        "Part",
        "I",
        "One",
        "*",
        "* * *",
        "—",
        "naïve",
        "3",
        "Chapter 2",
        "BOOK II",
        "Prologue",
        "-",
        # Markers and front/back matter: roles decide what is spoken, never what is read.
        "II",
        "SIXTH DAY",
        "CONTENTS",
        "THE END",
        "[Illustration]",
        "*** START OF THE PROJECT GUTENBERG EBOOK LAMP ***",
        "*** END OF THE PROJECT GUTENBERG EBOOK LAMP ***",
    ]
)
_LINE = st.lists(_WORD, min_size=0, max_size=6).map(" ".join)
_TEXT = st.lists(_LINE, min_size=0, max_size=25).map("\n".join)


@settings(max_examples=150, deadline=None)
@given(text=_TEXT)
def test_txt_never_drops_a_word(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:  # hypothesis reruns: no function-scoped tmp_path
        path = Path(tmp) / "gen.txt"
        path.write_text(text, encoding="utf-8")
        try:
            chapters = read_source(path, title=SENTINEL)
        except SourceError as exc:
            assert "has no text to narrate" in str(exc) and not text.split()
            return
    # Our own title is not the source's words. A heading's words may be both a title and
    # text (a lone heading, or one repeated at the end), so every source word must be told
    # somewhere, and the text must hold no word the source does not.
    # Whatever their role; markers the reader took out are listed as skipped, not dropped.
    titles = [c.title for c in chapters if c.title not in (None, SENTINEL) and not c.fallback_title]
    paragraphs = [p for c in chapters for p in c.paragraphs]
    skipped = [s.text for c in chapters for s in c.skipped]
    source = Counter(_words(text))
    assert not source - Counter(_words(*titles, *paragraphs, *skipped))
    # An illustration marker leaves a pause ("* * *") behind.
    assert not Counter(w for w in _words(*paragraphs) if w != "*") - source
    assert all(c.paragraphs for c in chapters)


def _words(*parts: str) -> list[str]:
    # A title line under a bare heading gains a full stop ("CHAPTER I. THE STORM"), and
    # merged titles gain dashes ("PART ONE — CHAPTER I"): compare words without those.
    return [w.rstrip(".") for part in parts for w in part.split() if w != "—"]


@settings(max_examples=120, deadline=None)
@given(data=st.binary(max_size=300), kind=st.sampled_from(["txt", "md", "html", "epub"]))
def test_any_bytes_give_chapters_or_a_source_error(data: bytes, kind: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"fuzz.{kind}"
        path.write_bytes(data)
        try:
            chapters = read_source(path)
        except SourceError as exc:
            assert_one_line_naming(exc, path)
            return
    assert chapters and all(c.paragraphs for c in chapters)
    for chapter in chapters:
        for paragraph in chapter.paragraphs:
            assert paragraph == paragraph.strip() and "  " not in paragraph
            assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in paragraph)
