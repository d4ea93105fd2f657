"""EPUB source -> chapters: spine documents in order, cut and titled by the table of contents.

Each spine document with text is read whole by the shared HTML walker (asides, notes and
markers as htmltext.py says). A TOC entry pointing into a document (`ch.xhtml#poem3`) cuts it
at the element with that id, so an anthology in one file gives one chapter per TOC entry; the
TOC's title wins over the document's heading, and a file name is never announced (a title
that only repeats it is a stand-in). Every document, and every part cut out of one, gets a
role (see epubroles.py): the nav page is `toc`, a title page `titlepage`, an endnotes page
`notes`... so the plan can skip them visibly instead of this reader dropping them.

With split "auto" a part is one chapter, titled from the TOC, else from its leading headings;
a body part with neither continues the chapter before it (an e-book tool's split file). With
"headings" a part is also cut at its own headings; with "none" the body is one chapter and
only parts of other roles stand apart. Notes are placed by ReadOptions.notes across the whole
book (an endnote is spoken where it is referred to, once; see notes.py).
"""

from __future__ import annotations

import posixpath
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import ebooklib
from bs4 import BeautifulSoup, Tag
from ebooklib import epub

from narrator.errors import SourceError
from narrator.sources.blocks import (
    ANCHOR,
    Block,
    Chapter,
    Finish,
    ReadOptions,
    check_split,
    cut,
    merge_empty,
    pretty_stem,
    split_level,
    whole,
)
from narrator.sources.decode import fold, read_bytes
from narrator.sources.epubroles import decide, document_hints, element_hints, landmark_hints
from narrator.sources.htmltext import Reading, parse_html, soup_blocks
from narrator.sources.notes import NoteBook

_CIPHER_URI_RE = re.compile(r"""CipherReference[^>]*?URI\s*=\s*["']([^"']+)""")
_TEXT_SUFFIXES = (".xhtml", ".html", ".htm", ".xml")
_ENUMERATOR_RE = re.compile(r"^\s*(?:\d+|[ivxlcdm]+)\s*[.):]\s*", re.IGNORECASE)


@dataclass(frozen=True)
class TocEntry:
    """One linked entry of the table of contents: document path, fragment ("" for none), title."""

    doc: str
    fragment: str
    title: str


@dataclass(frozen=True)
class Part:
    """A run of one document's blocks: the whole document, or from a TOC anchor to the next."""

    doc: str
    blocks: tuple[Block, ...]
    title: str | None
    role: str
    stand_in: bool = False  # the title only repeats the file name


def read_epub(
    path: Path,
    *,
    split: str = "auto",
    title: str | None = None,
    options: ReadOptions = ReadOptions(),
) -> list[Chapter]:
    """Read an EPUB into chapters (see narrator.sources.read_source)."""
    check_split(split, path)
    book = open_book(path)
    parts = list(book_parts(book, options))
    notes = NoteBook.of((b for p in parts for b in p.blocks), options)
    if split == "none":
        return _one_body(parts, title, path, notes.settle)
    chapters: list[Chapter] = []
    for part in parts:
        if split == "headings":
            chapters.extend(_cut_part(part, notes.settle))
        else:
            _add_part(chapters, part_chapter(part, notes.settle))
    return merge_empty(chapters)


def _one_body(parts: list[Part], title: str | None, path: Path, finish: Finish) -> list[Chapter]:
    """The body as one chapter where it starts; parts of other roles stay chapters of their own."""
    body = [b for p in parts if p.role == "body" for b in p.blocks]
    chapters: list[Chapter] = []
    for part in parts:
        if part.role != "body":
            chapters.append(part_chapter(part, finish))
        elif body:
            chapters.append(whole(body, title, path, finish))
            body = []
    return chapters


def _add_part(chapters: list[Chapter], chapter: Chapter) -> None:
    """Append `chapter`, or continue the chapter before it when nothing names it.

    A body document neither the TOC nor a leading heading names is the rest of the previous
    one, most often a file an e-book tool split for size (Calibre's *_split_001.xhtml).
    """
    last = chapters[-1] if chapters else None
    if chapter.title is None and last is not None and last.role == chapter.role:
        chapters[-1] = replace(
            last,
            paragraphs=last.paragraphs + chapter.paragraphs,
            skipped=last.skipped + chapter.skipped,
        )
    else:
        chapters.append(chapter)


def open_book(path: Path) -> epub.EpubBook:
    """Open `path` with ebooklib, turning every failure into a one-line SourceError."""
    read_bytes(path)  # the same missing/directory/permission messages as the text readers
    if _encrypted_documents(path):
        raise SourceError(
            f"{path}: the EPUB's text is encrypted (DRM); narrate a DRM-free "
            "copy or an export of it"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ebooklib warns about its own option defaults
            book = epub.read_epub(str(path), options={"ignore_ncx": True})
    except Exception as exc:  # ebooklib raises anything from BadZipFile to TypeError on junk
        if _lacks_spine(path):  # ebooklib fails with a TypeError when the OPF has no <spine>
            raise SourceError(
                f"{path}: broken EPUB, it has no spine (reading order); re-export it from your "
                "e-book tool"
            ) from exc
        raise SourceError(
            f"{path}: not a readable EPUB ({_reason(exc)}); re-export it from "
            "your e-book tool or convert it to HTML"
        ) from exc
    if not book.spine:
        raise SourceError(
            f"{path}: broken EPUB, its spine lists no documents; re-export it from your e-book tool"
        )
    return book


def _encrypted_documents(path: Path) -> bool:
    """True when META-INF/encryption.xml covers text documents (fonts alone are common)."""
    try:
        with zipfile.ZipFile(path) as archive:
            listing = archive.read("META-INF/encryption.xml").decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError, RuntimeError):
        return False  # no encryption file; a broken archive is reported by ebooklib next
    uris = _CIPHER_URI_RE.findall(listing)
    return any(unquote(uri).lower().endswith(_TEXT_SUFFIXES) for uri in uris)


def _lacks_spine(path: Path) -> bool:
    """True when the archive's package documents (.opf) have no <spine> element."""
    try:
        with zipfile.ZipFile(path) as archive:
            opfs = [archive.read(n) for n in archive.namelist() if n.lower().endswith(".opf")]
    except (zipfile.BadZipFile, OSError, RuntimeError, KeyError):
        return False
    return bool(opfs) and not any(re.search(rb"<(\w+:)?spine\b", opf) for opf in opfs)


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split())[:120]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def book_parts(book: epub.EpubBook, options: ReadOptions) -> Iterator[Part]:
    """The spine's documents with text, each cut at the TOC entries that point inside it."""
    entries = toc_entries(book.toc)
    items = [i for i in (book.get_item_with_id(r) for r, *_ in book.spine) if _is_document(i)]
    soups = {_normal(i.get_name()): parse_html(_raw(i)) for i in items}
    navs = _navs(book, soups)
    hints = landmark_hints(navs)
    for ref in getattr(book, "guide", None) or []:
        doc = _normal(str(ref.get("href") or "").partition("#")[0])
        hints.setdefault(doc, []).append(str(ref.get("type") or "").lower())
    for item in items:
        name = _normal(item.get_name())
        yield from _document_parts(name, soups[name], entries, hints, name in navs, options)


def _document_parts(
    name: str,
    soup: BeautifulSoup,
    entries: list[TocEntry],
    hints: dict[str, list[str]],
    is_nav: bool,
    options: ReadOptions,
) -> Iterator[Part]:
    fragments = {e.fragment for e in entries if e.doc == name and e.fragment}
    reading = Reading(
        web_page=False, alt_text=options.alt_text, anchors=frozenset(fragments), doc=name
    )
    blocks = soup_blocks(soup, reading)
    found = {b.key for b in blocks if b.kind == ANCHOR}
    titles: dict[str, str] = {}
    for entry in entries:
        if entry.doc == name:
            titles.setdefault(entry.fragment if entry.fragment in found else "", entry.title)
    doc_hints = document_hints(soup) + [hints.get(name, [])]
    doc_role = "toc" if is_nav else decide(doc_hints, name)
    headings = {fold(h.get_text(" ")).lower() for h in soup.find_all(re.compile(r"^h[1-6]$"))}
    run: list[Block] = []
    anchor = ""
    for block in [*blocks, Block("", kind=ANCHOR, key="\0end")]:
        if block.kind != ANCHOR:
            run.append(block)
            continue
        if run or anchor:
            title = titles.get(anchor)
            role = doc_role
            if anchor:
                element = soup.find(id=anchor)
                if isinstance(element, Tag) and not is_nav:
                    role = decide(element_hints(element) + doc_hints, name)
            stand_in = title is not None and _repeats_file_name(title, name, headings)
            yield Part(name, tuple(run), title, role, stand_in)
        run, anchor = [], block.key


def _repeats_file_name(title: str, name: str, headings: set[str]) -> bool:
    """A TOC title that only spells the file name ("Titlepage") and no heading of its own."""
    stem = pretty_stem(Path(name)).lower()
    return title.lower() == stem and title.lower() not in headings


def _raw(item: Any) -> bytes | str:
    """The document as stored: ebooklib's get_content() rebuilds it without <body>'s attributes."""
    content = getattr(item, "content", None)
    return content if isinstance(content, (bytes, str)) and content else item.get_content()


def _is_document(item: Any) -> bool:
    return item is not None and item.get_type() in (
        ebooklib.ITEM_DOCUMENT,
        ebooklib.ITEM_NAVIGATION,
    )


def _is_nav(item: Any) -> bool:
    properties = getattr(item, "properties", None) or []
    return isinstance(item, epub.EpubNav) or "nav" in properties


def _navs(book: epub.EpubBook, soups: dict[str, BeautifulSoup]) -> dict[str, BeautifulSoup]:
    """The nav documents by path, parsed, whether the spine lists them or not (landmarks)."""
    found = {}
    for item in book.get_items():
        name = _normal(item.get_name())
        if _is_nav(item):
            found[name] = soups[name] if name in soups else parse_html(_raw(item))
    return found


def part_chapter(part: Part, finish: Finish) -> Chapter:
    """One part as one chapter; leading headings name it when the TOC does not."""
    blocks = list(part.blocks)
    lead = 0
    while lead < len(blocks) and blocks[lead].is_heading:
        lead += 1
    headings = [b.text for b in blocks[:lead]]
    toc_title = part.title
    if toc_title is None:
        title = ". ".join(headings) if headings else None
        rest = [_refs_only(b) for b in blocks[:lead]] + blocks[lead:]
    else:
        title = toc_title
        # A leading heading that repeats the TOC entry is the title; any other one is text.
        rest = [_refs_only(b) if _same(b.text, toc_title) else b for b in blocks[:lead]]
        rest += blocks[lead:]
    fallback = False
    if title is None and part.role != "body":
        title, fallback = pretty_stem(Path(part.doc)), True  # named in the plan, not announced
    paragraphs, skipped = finish(rest)
    # Front/back matter titled only by its file name ("Titlepage"): named, never announced.
    fallback = fallback or (part.stand_in and title == toc_title and part.role != "body")
    return Chapter(title, paragraphs, fallback, role=part.role, skipped=skipped)


def _refs_only(block: Block) -> Block:
    """A heading used as the title: its text is the title, its note references stay."""
    return Block("", refs=block.refs)


def _cut_part(part: Part, finish: Finish) -> list[Chapter]:
    blocks = list(part.blocks)
    level = split_level(blocks, 6)
    if level is None:
        return [part_chapter(part, finish)]
    toc_title = part.title
    if blocks[0].is_heading and toc_title and _same(blocks[0].text, toc_title):
        blocks = [replace(blocks[0], text=toc_title), *blocks[1:]]
    chapters = cut(blocks, level, toc_title, finish=finish)
    return [replace(c, role=part.role) for c in chapters]


def _same(heading: str, title: str) -> bool:
    """True when `heading` is the TOC title or part of it ("Night" in "Chapter 4: Night").

    Enumerators are not words of a title: "1. Friendship" is the heading of "I. Friendship".
    """
    bare = _ENUMERATOR_RE.sub("", heading)
    return _within(heading, title) or (
        bare != heading and _within(bare, _ENUMERATOR_RE.sub("", title))
    )


def _within(heading: str, title: str) -> bool:
    if not heading:
        return False
    return re.search(rf"(?<!\w){re.escape(heading)}(?!\w)", title, re.IGNORECASE) is not None


def toc_entries(toc: Iterable[Any]) -> list[TocEntry]:
    """The linked entries of the TOC in reading order (sections without a link are left out)."""
    entries: list[TocEntry] = []
    for entry in _flatten(toc):
        href = getattr(entry, "href", None) or getattr(entry, "file_name", None)
        name = fold(str(getattr(entry, "title", None) or ""))
        if href and name:
            path, _, fragment = str(href).partition("#")
            entries.append(TocEntry(_normal(path), unquote(fragment), name))
    return entries


def toc_titles(toc: Iterable[Any]) -> dict[str, str]:
    """Map each document (href without fragment) to its first title in the TOC."""
    found: dict[str, str] = {}
    for entry in toc_entries(toc):
        found.setdefault(entry.doc, entry.title)
    return found


def _flatten(toc: Iterable[Any]) -> Iterator[Any]:
    for entry in toc:
        if isinstance(entry, (tuple, list)):  # (Section, [children])
            yield entry[0]
            yield from _flatten(entry[1] if len(entry) > 1 else ())
        else:
            yield entry


def _normal(href: str) -> str:
    return posixpath.normpath(unquote(href)).lstrip("/") if href else ""
