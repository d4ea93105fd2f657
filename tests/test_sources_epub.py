"""narrator.sources.epub: spine order, TOC titles, furniture skipped, broken files refused."""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from ebooklib import epub

from narrator.errors import SourceError
from narrator.sources import Chapter, ReadOptions, Skipped, read_source
from narrator.sources.epub import toc_titles
from narrator.sources.htmltext import parse_html


def page(file_name: str, body: str, title: str = "") -> epub.EpubHtml:
    item = epub.EpubHtml(title=title, file_name=file_name, lang="en")
    item.content = f"<html><body>{body}</body></html>"
    return item


def build(
    path: Path,
    spine: list[epub.EpubHtml],
    toc: list | None = None,
    extra: list[epub.EpubHtml] | None = None,
    *,
    nav_in_spine: bool = False,
) -> Path:
    """Write a real EPUB with ebooklib: `spine` in reading order, the nav page first if asked.

    Most books leave the nav out of the spine; one listed there is a `toc` chapter.
    """
    book = epub.EpubBook()
    book.set_identifier("test-book")
    book.set_title("Test Book")
    book.set_language("en")
    for item in [*spine, *(extra or [])]:
        book.add_item(item)
    book.toc = toc if toc is not None else [epub.Link(i.file_name, i.title, i.id) for i in spine]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *spine] if nav_in_spine else list(spine)
    epub.write_epub(str(path), book)
    return path


def test_chapters_follow_the_spine_not_the_file_names(tmp_path: Path) -> None:
    b = page("b.xhtml", "<p>First in reading order.</p>", "Dawn")
    a = page("a.xhtml", "<p>Second in reading order.</p>", "Dusk")
    chapters = read_source(build(tmp_path / "book.epub", [b, a]))
    assert chapters == [
        Chapter("Dawn", ("First in reading order.",)),
        Chapter("Dusk", ("Second in reading order.",)),
    ]


def test_nav_page_in_the_spine_is_a_toc_chapter(tmp_path: Path) -> None:
    one = page("one.xhtml", "<p>Only text.</p>", "One")
    chapters = read_source(build(tmp_path / "book.epub", [one], nav_in_spine=True))
    assert [(c.role, c.paragraphs) for c in chapters] == [
        ("toc", ("One",)),
        ("body", ("Only text.",)),
    ]


def test_title_from_toc_and_repeated_heading_is_not_text(tmp_path: Path) -> None:
    one = page("one.xhtml", "<h1>Night</h1><p>Dark.</p>", "ignored")
    toc = [epub.Link("one.xhtml#start", "Chapter 4: Night", "c4")]
    chapters = read_source(build(tmp_path / "book.epub", [one], toc=toc))
    assert chapters == [Chapter("Chapter 4: Night", ("Dark.",))]


def test_title_falls_back_to_the_first_heading(tmp_path: Path) -> None:
    one = page("one.xhtml", "<h2>Untitled in TOC</h2><p>Words.</p>")
    chapters = read_source(build(tmp_path / "book.epub", [one], toc=[]))
    assert chapters == [Chapter("Untitled in TOC", ("Words.",))]


def test_nested_toc_sections_give_titles(tmp_path: Path) -> None:
    one = page("text/one.xhtml", "<p>A.</p>")
    two = page("text/two.xhtml", "<p>B.</p>")
    toc = [
        (
            epub.Section("Part One"),
            [
                epub.Link("text/one.xhtml", "Opening Move", "o"),
                epub.Link("text/two.xhtml", "Second Move", "s"),
            ],
        )
    ]
    chapters = read_source(build(tmp_path / "book.epub", [one, two], toc=toc))
    assert [c.title for c in chapters] == ["Opening Move", "Second Move"]


def test_cover_and_contents_pages_get_roles_and_empty_pages_are_skipped(tmp_path: Path) -> None:
    cover = page("cover.xhtml", "<p>The Test Book</p>", "Cover")
    contents = page("contents.xhtml", "<p><a href='one.xhtml'>One</a></p>", "Contents")
    image = page("plate.xhtml", '<div><img src="plate.png" alt="a plate"/></div>', "Plate")
    one = page("one.xhtml", "<p>Story.</p>", "One")
    chapters = read_source(build(tmp_path / "book.epub", [cover, contents, image, one]))
    assert chapters == [
        Chapter("Cover", ("The Test Book",), fallback_title=True, role="titlepage"),
        Chapter("Contents", ("One",), fallback_title=True, role="toc"),
        Chapter("One", ("Story.",)),
    ]


def test_epub_type_toc_page_is_a_toc_chapter(tmp_path: Path) -> None:
    listing = page("list.xhtml", '<section epub:type="toc"><p>One ... 1</p></section>', "List")
    one = page("one.xhtml", "<p>Story.</p>", "One")
    chapters = read_source(build(tmp_path / "book.epub", [listing, one]))
    assert [(c.title, c.role) for c in chapters] == [("List", "toc"), ("One", "body")]


def test_heading_only_divider_page_titles_the_next_chapter(tmp_path: Path) -> None:
    divider = page("part1.xhtml", "<h1>Part One</h1>", "Part One")
    one = page("one.xhtml", "<h2>The Gate</h2><p>Story.</p>", "The Gate")
    chapters = read_source(build(tmp_path / "book.epub", [divider, one]))
    assert chapters == [Chapter("Part One — The Gate", ("Story.",))]


def test_document_with_several_headings_stays_one_chapter_in_auto(tmp_path: Path) -> None:
    body = "<h1>Letters</h1><h2>Monday</h2><p>A.</p><h2>Tuesday</h2><p>B.</p>"
    doc = page("letters.xhtml", body, "Letters")
    path = build(tmp_path / "book.epub", [doc])
    assert read_source(path) == [Chapter("Letters", ("Monday", "A.", "Tuesday", "B."))]
    assert [c.title for c in read_source(path, split="headings")] == ["Letters — Monday", "Tuesday"]


def test_an_article_does_not_hide_the_rest_of_an_epub_document(tmp_path: Path) -> None:
    letter = "A letter that fills nearly all of this page, far more than the lines around it."
    body = f"<p>Before.</p><article><p>{letter}</p></article><p>After.</p>"
    chapters = read_source(build(tmp_path / "book.epub", [page("one.xhtml", body, "One")]))
    assert chapters == [Chapter("One", ("Before.", letter, "After."))]


def test_a_header_in_an_epub_document_is_text(tmp_path: Path) -> None:
    body = "<header><h1>Chapter One</h1><p>An epigraph.</p></header><p>Text.</p>"
    chapters = read_source(build(tmp_path / "book.epub", [page("one.xhtml", body)], toc=[]))
    assert chapters == [Chapter("Chapter One", ("An epigraph.", "Text."))]


def test_untitled_document_continues_the_chapter_before_it(tmp_path: Path) -> None:
    opening = page("intro.xhtml", "<p>Untitled start.</p>")
    one = page("one.xhtml", "<h1>One</h1><p>A.</p>")
    rest = page("one_split_001.xhtml", "<p>B.</p><h2>Later</h2><p>C.</p>")
    toc = [epub.Link("one.xhtml", "One", "one")]
    chapters = read_source(build(tmp_path / "book.epub", [opening, one, rest], toc=toc))
    assert chapters == [
        Chapter(None, ("Untitled start.",)),
        Chapter("One", ("A.", "B.", "Later", "C.")),
    ]


def test_split_none_is_one_chapter_with_every_word(tmp_path: Path) -> None:
    one = page("one.xhtml", "<h1>One</h1><p>A.</p>", "One")
    two = page("two.xhtml", "<h1>Two</h1><p>B.</p>", "Two")
    chapters = read_source(build(tmp_path / "my_book.epub", [one, two]), split="none")
    assert chapters == [Chapter("My Book", ("One", "A.", "Two", "B."), fallback_title=True)]


def test_toc_titles_map_documents_without_fragments() -> None:
    toc = [
        epub.Link("a.xhtml#x", "  First   title ", "a"),
        epub.Link("a.xhtml#y", "Later", "b"),
        (epub.Section("S", href="b%20c.xhtml"), []),
    ]
    assert toc_titles(toc) == {"a.xhtml": "First title", "b c.xhtml": "S"}


def test_not_a_zip_is_a_broken_epub(tmp_path: Path) -> None:
    path = tmp_path / "fake.epub"
    path.write_text("this is not a zip archive")
    with pytest.raises(SourceError, match="not a readable EPUB") as info:
        read_source(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_zip_without_epub_container_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.epub"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
    with pytest.raises(SourceError, match="not a readable EPUB") as info:
        read_source(path)
    assert str(path) in str(info.value)


CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="content.opf" media-type="application/oebps-package+xml"/>
</rootfiles></container>"""
OPF_NO_SPINE = """<?xml version="1.0"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">x</dc:identifier>
<dc:title>T</dc:title><dc:language>en</dc:language></metadata>
<manifest><item id="c" href="c.xhtml" media-type="application/xhtml+xml"/></manifest>
%s
</package>"""


@pytest.mark.parametrize("spine", ["", "<spine></spine>"], ids=["no-spine", "empty-spine"])
def test_epub_without_spine_is_refused(tmp_path: Path, spine: str) -> None:
    path = tmp_path / "nospine.epub"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
        archive.writestr("META-INF/container.xml", CONTAINER)
        archive.writestr("content.opf", OPF_NO_SPINE % spine)
        archive.writestr("c.xhtml", "<html><body><p>Text.</p></body></html>")
    with pytest.raises(SourceError, match="EPUB") as info:
        read_source(path)
    assert str(path) in str(info.value)


def test_epub_with_only_images_has_no_text(tmp_path: Path) -> None:
    plate = page("plate.xhtml", '<img src="p.png" alt="x"/>', "Plate")
    path = build(tmp_path / "pictures.epub", [plate])
    with pytest.raises(SourceError, match="has no text to narrate") as info:
        read_source(path)
    assert str(path) in str(info.value)


ENCRYPTION = """<?xml version="1.0"?>
<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"
  xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>
  <enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
  <enc:CipherData><enc:CipherReference URI="EPUB/%s"/></enc:CipherData>
</enc:EncryptedData></encryption>"""


def add_encryption(path: Path, target: str) -> None:
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("META-INF/encryption.xml", ENCRYPTION % target)


def test_drm_encrypted_text_is_refused(tmp_path: Path) -> None:
    path = build(tmp_path / "locked.epub", [page("one.xhtml", "<p>Story.</p>", "One")])
    add_encryption(path, "one.xhtml")
    with pytest.raises(SourceError, match="encrypted") as info:
        read_source(path)
    assert str(path) in str(info.value)


def test_obfuscated_fonts_alone_are_fine(tmp_path: Path) -> None:
    path = build(tmp_path / "fonts.epub", [page("one.xhtml", "<p>Story.</p>", "One")])
    add_encryption(path, "fonts/serif.otf")
    assert read_source(path) == [Chapter("One", ("Story.",))]


def test_epub2_with_only_an_ncx_table_of_contents(tmp_path: Path) -> None:
    book = epub.EpubBook()
    book.set_identifier("ncx-only")
    book.set_title("Old Style")
    book.set_language("en")
    one = page("text/one.xhtml", "<h1>1</h1><p>First.</p>")
    two = page("text/two.xhtml", "<p>Second.</p>")
    for item in (one, two):
        book.add_item(item)
    book.toc = [
        epub.Link("text/one.xhtml", "The First", "a"),
        epub.Link("text/two.xhtml", "The Second", "b"),
    ]
    book.add_item(epub.EpubNcx())
    book.spine = [one, two]
    path = tmp_path / "old.epub"
    epub.write_epub(str(path), book)
    chapters = read_source(path)
    assert chapters == [Chapter("The First", ("1", "First.")), Chapter("The Second", ("Second.",))]


# --- The real books in tests/data/books ---------------------------------------------------

BOOKS = Path(__file__).parent / "data" / "books"
TIME_MACHINE = BOOKS / "time_machine_se.epub"
ANTHOLOGY = BOOKS / "childrens_literature.epub"
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def test_standard_ebooks_chapters_and_matter_follow_its_nav() -> None:
    chapters = read_source(TIME_MACHINE)
    assert [(c.title, c.role) for c in chapters] == [
        ("Titlepage", "titlepage"),
        ("Imprint", "copyright"),
        *((numeral, "body") for numeral in ROMAN),
        ("Epilogue", "body"),
        ("Colophon", "copyright"),
        ("Uncopyright", "license"),  # epub:type="copyright-page", but a licence by its name
    ]
    # "Titlepage" is only the file's name: it names the part in the plan, never aloud.
    assert [c.title for c in chapters if c.fallback_title] == ["Titlepage"]
    # The book's only endnote is read in chapter VIII, so its page has nothing left to read.
    assert all(c.role != "notes" for c in chapters)


ENDNOTE = "It may be, of course, that the floor did not slope"
REFERRING = "Had it not been for her I do not think I should have noticed that the floor"


@pytest.mark.parametrize("mode", ["end_of_chapter", "end_of_paragraph", "skip"])
def test_standard_ebooks_endnote_is_placed_once_and_its_marker_never_spoken(mode: str) -> None:
    chapters = read_source(TIME_MACHINE, options=ReadOptions(notes=mode))
    spoken = [p for c in chapters for p in c.paragraphs]
    eight = next(c for c in chapters if c.title == "VIII")
    at = next(i for i, p in enumerate(eight.paragraphs) if REFERRING in p)
    assert "sloped at all. The end" in eight.paragraphs[at]  # the "1" is gone, no glue
    notes = [i for i, p in enumerate(eight.paragraphs) if ENDNOTE in p]
    skipped = [s for c in chapters for s in c.skipped if ENDNOTE in s.text]
    if mode == "skip":
        assert notes == [] and [s.what for s in skipped] == ["note"]
    else:
        assert len([p for p in spoken if ENDNOTE in p]) == 1 and skipped == []
        assert eight.paragraphs[notes[0]].startswith(f"Note 1: {ENDNOTE}")
        assert notes[0] == (at + 1 if mode == "end_of_paragraph" else len(eight.paragraphs) - 1)
    assert not any("↩" in p for p in spoken)


ANTHOLOGY_TITLES = [
    "THE CONTENTS",
    "BIBLIOGRAPHY",
    "SECTION IV FAIRY STORIES—MODERN FANTASTIC TALES — INTRODUCTORY",
    "190 A FOUR-LEAVED CLOVER",
    "I. The Rabbi and the Diadem",
    "II. Friendship",
    "III. True Charity",
    "IV. An Eastern Garden",
    "191 THE LORD HELPETH MAN AND BEAST",
    "192 THE REAL PRINCESS",
    "193 THE EMPEROR'S NEW CLOTHES",
    "194 THE NIGHTINGALE",
    "195 THE FIR TREE",
    "196 THE TINDER-BOX",
    "197 THE HARDY TIN SOLDIER",
    "198 THE UGLY DUCKLING",
    "199 THE STORY OF FAIRYFOOT",
    "200 THE HAPPY PRINCE",
    "201 THE KNIGHTS OF THE SILVER SHIELD",
    "202 THE PRINCE'S DREAM",
    "203 OLD PIPES AND THE DRYAD",
    "204 THE KING OF THE GOLDEN RIVER OR THE BLACK BROTHERS",
]


def test_anthology_in_one_file_is_cut_at_its_nav_anchors() -> None:
    chapters = read_source(ANTHOLOGY)
    assert [c.title for c in chapters] == ANTHOLOGY_TITLES
    roles = {c.title: c.role for c in chapters}
    assert roles.pop("THE CONTENTS") == "toc"  # the nav page, listed in this book's spine
    # epub:type="bibliography": back matter; the section title waits for the body after it.
    assert roles.pop("BIBLIOGRAPHY") == "backmatter"
    assert set(roles.values()) == {"body"}
    prince = next(c for c in chapters if c.title == "192 THE REAL PRINCESS")
    assert prince.paragraphs[0].startswith("By almost common consent Hans Christian Andersen")
    assert prince.paragraphs[-1] == "Now this is a true story!"


def test_anthology_page_numbers_dropped_and_transcriber_notes_read() -> None:
    chapters = read_source(ANTHOLOGY)
    spoken = [p for c in chapters for p in c.paragraphs]
    # Page-break markers (<span epub:type="pagebreak">181</span>) are neither lines nor glued.
    assert not any(re.fullmatch(r"\d+", p) for p in spoken)
    assert not any(re.search(r"\d{3}[A-Za-z]|[A-Za-z]\d{3}\b", p) for p in spoken)
    notes = [p for p in spoken if p.startswith("Transcriber's Note")]
    assert len(notes) == 3  # <aside epub:type="annotation">: read where they stand


WORD_RE = re.compile(r"[\w'’]+")
MARKER_TYPES = re.compile(r"\b(?:pagebreak|noteref|backlink)\b")


def words(text: str) -> list[str]:
    # Roman numerals compare as numbers: a TOC's "I." stands for its heading's "1.".
    out = []
    for word in WORD_RE.findall(text.casefold()):
        word = word.strip("'’")
        out.append(str(roman(word)) if roman(word) else word)
    return [w for w in out if w]


def roman(word: str) -> int | None:
    values = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}
    if not word or any(ch not in values for ch in word):
        return None
    total = 0
    for ch, after in zip(word, [*word[1:], ""], strict=False):  # empty: no pairs
        value = values[ch]
        total += -value if after and values[after] > value else value
    return total


def source_words(path: Path) -> tuple[Counter[str], Counter[str]]:
    """Words of every body document's text nodes, and of its markers (page numbers, noterefs)."""
    text: Counter[str] = Counter()
    markers: Counter[str] = Counter()
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not name.endswith(".xhtml"):
                continue
            soup = parse_html(archive.read(name))  # lxml, quiet about XHTML
            if soup.find("nav") is not None:  # the nav document: navigation, not the book
                continue
            body = soup.find("body")
            text.update(words(body.get_text(" ")))
            for marker in body.find_all(attrs={"epub:type": MARKER_TYPES}):
                markers.update(words(marker.get_text(" ")))
    return text, markers


@pytest.mark.parametrize("mode", ["end_of_chapter", "end_of_paragraph", "skip"])
@pytest.mark.parametrize("book", [TIME_MACHINE, ANTHOLOGY], ids=["time_machine", "anthology"])
def test_no_word_of_a_real_epub_is_lost(book: Path, mode: str) -> None:
    chapters = read_source(book, options=ReadOptions(notes=mode))
    heard: Counter[str] = Counter()
    for chapter in chapters:
        if chapter.role == "toc":
            continue
        heard.update(words(chapter.title or ""))
        for paragraph in chapter.paragraphs:
            heard.update(words(re.sub(r"^Note \w+: ", "", paragraph)))
        for part in chapter.skipped:
            heard.update(words(part.text))
    text, markers = source_words(book)
    missing = text - heard - markers
    # The one heading no chapter carries: the endnotes page, its only note read in chapter VIII
    # (or listed skipped there).
    allowed = Counter({"endnotes": 1}) if book == TIME_MACHINE else Counter()
    assert missing == allowed
    assert sum(markers.values()) > 0


# --- Generated books: TOC anchors, roles, notes ----------------------------------------------


def test_toc_fragments_cut_one_file_into_chapters_and_nav_titles_win(tmp_path: Path) -> None:
    body = (
        '<section id="intro"><h1>Poems</h1><p>A foreword.</p></section>'
        '<section id="p1"><h2>I</h2><p>First poem.</p></section>'
        '<section id="p2"><h2>II</h2><p>Second poem.</p></section>'
    )
    doc = page("poems.xhtml", body)
    toc = [
        epub.Link("poems.xhtml", "Poems", "a"),
        epub.Link("poems.xhtml#p1", "I. The Wind", "b"),
        epub.Link("poems.xhtml#p2", "II. The Rain", "c"),
        epub.Link("poems.xhtml#missing", "Nowhere", "d"),
    ]
    chapters = read_source(build(tmp_path / "book.epub", [doc], toc=toc))
    assert chapters == [
        Chapter("Poems", ("A foreword.",)),
        Chapter("I. The Wind", ("First poem.",)),
        Chapter("II. The Rain", ("Second poem.",)),
    ]


@pytest.mark.parametrize(
    ("body", "role"),
    [
        ('<section epub:type="titlepage"><h1>The Book</h1></section>', "titlepage"),
        ('<section epub:type="halftitlepage"><p>The Book</p></section>', "titlepage"),
        ('<section epub:type="imprint"><p>Printed here.</p></section>', "copyright"),
        ('<section epub:type="colophon"><p>Set in Garamond.</p></section>', "copyright"),
        ('<section epub:type="copyright-page"><p>© 1900.</p></section>', "copyright"),
        ('<section epub:type="dedication"><p>For Ada.</p></section>', "dedication"),
        ('<section epub:type="epigraph"><p>Words.</p></section>', "dedication"),
        ('<section epub:type="loi"><p>Plate 1</p></section>', "toc"),
        ('<section epub:type="index"><p>apple, 4</p></section>', "index"),
        ('<section role="doc-index"><p>apple, 4</p></section>', "index"),
        ('<section epub:type="rearnotes"><p>Loose note.</p></section>', "notes"),
        ('<section role="doc-colophon"><p>Set in Garamond.</p></section>', "copyright"),
        ('<section epub:type="chapter"><p>Story.</p></section>', "body"),
    ],
)
def test_roles_from_what_the_document_says(tmp_path: Path, body: str, role: str) -> None:
    path = build(tmp_path / "book.epub", [page("part.xhtml", "<p>x</p>", "Part"), STORY])
    rewrite(path, "EPUB/part.xhtml", xhtml(f"<body epub:type='frontmatter'>{body}</body>"))
    assert [c.role for c in read_source(path)] == [role, "body"]


def test_bare_frontmatter_body_is_frontmatter(tmp_path: Path) -> None:
    path = build(tmp_path / "book.epub", [page("about.xhtml", "<p>x</p>"), STORY])
    rewrite(path, "EPUB/about.xhtml", xhtml("<body epub:type='frontmatter'><p>Hi.</p></body>"))
    chapters = read_source(path)
    # No title but the file's name: it names the part in the plan, never aloud.
    assert [(c.title, c.role, c.fallback_title) for c in chapters] == [
        ("About", "frontmatter", True),
        ("Story", "body", False),
    ]


STORY = page("story.xhtml", "<p>The story.</p>", "Story")


def xhtml(body: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml" '
        f'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>t</title></head>{body}</html>'
    )


def test_epub2_guide_types_give_roles(tmp_path: Path) -> None:
    book = epub.EpubBook()
    book.set_identifier("guide")
    book.set_title("Guide")
    book.set_language("en")
    legal = page("p1.xhtml", "<p>All rights reserved.</p>", "Legal")
    story = page("p2.xhtml", "<p>Story.</p>", "Story")
    for item in (legal, story):
        book.add_item(item)
    book.toc = [epub.Link("p1.xhtml", "Legal", "a"), epub.Link("p2.xhtml", "Story", "b")]
    book.guide = [{"href": "p1.xhtml", "title": "Copyright", "type": "copyright-page"}]
    book.add_item(epub.EpubNcx())
    book.spine = [legal, story]
    path = tmp_path / "guide.epub"
    epub.write_epub(str(path), book)
    assert [(c.title, c.role) for c in read_source(path)] == [
        ("Legal", "copyright"),
        ("Story", "body"),
    ]


def test_landmarks_give_roles(tmp_path: Path) -> None:
    legal = page("p1.xhtml", "<p>All rights reserved.</p>", "Legal")
    story = page("p2.xhtml", "<p>Story.</p>", "Story")
    path = build(tmp_path / "book.epub", [legal, story])
    nav = (
        '<html xmlns:epub="http://www.idpf.org/2007/ops"><body>'
        '<nav epub:type="toc"><ol><li><a href="p1.xhtml">Legal</a></li>'
        '<li><a href="p2.xhtml">Story</a></li></ol></nav>'
        '<nav epub:type="landmarks"><ol><li><a epub:type="copyright-page" href="p1.xhtml">C</a>'
        "</li></ol></nav></body></html>"
    )
    rewrite(path, "EPUB/nav.xhtml", nav)
    assert [(c.title, c.role) for c in read_source(path)] == [
        ("Legal", "copyright"),
        ("Story", "body"),
    ]


def rewrite(path: Path, member: str, text: str) -> None:
    """Replace one file of an EPUB (zip) with `text`."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    assert member in members
    members[member] = text.encode("utf-8")
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


FOOTNOTED = (
    '<p>A unit of currency.<a href="#fn1" epub:type="noteref">1</a> Then more.</p>'
    "<pre><code>print('x')</code></pre>"
    '<aside epub:type="footnote" id="fn1"><p>The shilling.</p></aside>'
    "<aside><p>A sidebar, read where it stands.</p></aside>"
    "<p>Last.</p>"
)


@pytest.mark.parametrize(
    ("options", "paragraphs", "skipped"),
    [
        (
            ReadOptions(),
            (
                "A unit of currency. Then more.",
                "A sidebar, read where it stands.",
                "Last.",
                "Note 1: The shilling.",
            ),
            (Skipped("code block", "print('x')"),),
        ),
        (
            ReadOptions(notes="end_of_paragraph", code="read"),
            (
                "A unit of currency. Then more.",
                "Note 1: The shilling.",
                "print('x')",
                "A sidebar, read where it stands.",
                "Last.",
            ),
            (),
        ),
        (
            ReadOptions(notes="skip"),
            ("A unit of currency. Then more.", "A sidebar, read where it stands.", "Last."),
            (Skipped("note", "The shilling."), Skipped("code block", "print('x')")),
        ),
    ],
    ids=["defaults", "end_of_paragraph-code_read", "skip"],
)
def test_footnote_aside_sidebar_and_code_in_an_epub(
    tmp_path: Path,
    options: ReadOptions,
    paragraphs: tuple[str, ...],
    skipped: tuple[Skipped, ...],
) -> None:
    doc = page("one.xhtml", FOOTNOTED, "One")
    chapters = read_source(build(tmp_path / "book.epub", [doc]), options=options)
    assert chapters == [Chapter("One", paragraphs, skipped=skipped)]


def test_an_endnotes_page_keeps_only_notes_nobody_refers_to(tmp_path: Path) -> None:
    one = page("text/one.xhtml", '<p>Claim.<a href="notes.xhtml#n1" epub:type="noteref">1</a></p>')
    notes = page(
        "text/notes.xhtml",
        '<section epub:type="endnotes"><h2>Notes</h2><ol>'
        '<li id="n1"><p>Referred. <a href="one.xhtml#r1" epub:type="backlink">↩</a></p></li>'
        '<li id="n2"><p>Orphan.</p></li></ol></section>',
    )
    toc = [epub.Link("text/one.xhtml", "One", "a"), epub.Link("text/notes.xhtml", "Notes", "b")]
    chapters = read_source(build(tmp_path / "book.epub", [one, notes], toc=toc))
    assert chapters == [
        Chapter("One", ("Claim.", "Note 1: Referred.")),
        Chapter("Notes", ("Orphan.",), role="notes"),
    ]
