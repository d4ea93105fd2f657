"""EPUB source -> chapters: spine documents in order, titles from the table of contents.

Navigation, cover and table-of-contents pages are skipped, and so are documents without text
(image-only title pages). Each document goes through the shared HTML extractor. With split
"auto" a document is one chapter, titled from the TOC, else from its first heading, and a
document with neither continues the chapter before it; with "headings" a document is also cut
at its own headings; with "none" the book is one chapter.
"""

from __future__ import annotations

import posixpath
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import ebooklib
from bs4 import BeautifulSoup
from ebooklib import epub

from narrator.errors import SourceError
from narrator.sources.blocks import (
    Block,
    Chapter,
    ReadOptions,
    check_split,
    cut,
    merge_empty,
    split_level,
    whole,
)
from narrator.sources.decode import fold, read_bytes
from narrator.sources.htmltext import has_epub_type, parse_html, soup_blocks

# File names that are a book's furniture rather than its text.
_FURNITURE_RE = re.compile(r"^(?:cover|nav|toc|contents|table[-_ ]?of[-_ ]?contents)$", re.I)
_FURNITURE_TYPES = ("cover", "toc")
_CIPHER_URI_RE = re.compile(r"""CipherReference[^>]*?URI\s*=\s*["']([^"']+)""")
_TEXT_SUFFIXES = (".xhtml", ".html", ".htm", ".xml")


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
    documents = list(spine_documents(book))
    if split == "none":
        return [whole((b for _, blocks in documents for b in blocks), title, path)]
    titles = toc_titles(book.toc)
    chapters: list[Chapter] = []
    for item, blocks in documents:
        toc_title = titles.get(_normal(item.get_name()))
        if split == "headings":
            chapters.extend(_cut_document(blocks, toc_title))
        else:
            _add_document(chapters, document_chapter(blocks, toc_title))
    return merge_empty(chapters)


def _add_document(chapters: list[Chapter], chapter: Chapter) -> None:
    """Append `chapter`, or continue the chapter before it when nothing names it.

    A document neither the TOC nor a leading heading names is the rest of the previous one,
    most often a file an e-book tool split for size (Calibre's *_split_001.xhtml).
    """
    if chapter.title is None and chapters:
        last = chapters[-1]
        chapters[-1] = replace(last, paragraphs=last.paragraphs + chapter.paragraphs)
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


def spine_documents(book: epub.EpubBook) -> Iterator[tuple[Any, list[Block]]]:
    """(item, blocks) for each spine document with text, skipping nav/cover/toc pages."""
    furniture = _guide_furniture(book)
    for idref, *_ in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or item.get_type() != ebooklib.ITEM_DOCUMENT:
            continue
        if _is_nav(item) or _normal(item.get_name()) in furniture:
            continue
        soup = parse_html(item.get_content())
        if _is_furniture_page(item.get_name(), soup):
            continue
        blocks = soup_blocks(soup, web_page=False)
        if blocks:
            yield item, blocks


def _is_nav(item: Any) -> bool:
    properties = getattr(item, "properties", None) or []
    return isinstance(item, (epub.EpubNav, epub.EpubCoverHtml)) or "nav" in properties


def _guide_furniture(book: epub.EpubBook) -> set[str]:
    return {
        _normal(str(ref.get("href") or ""))
        for ref in getattr(book, "guide", None) or []
        if str(ref.get("type") or "").lower() in _FURNITURE_TYPES
    }


def _is_furniture_page(name: str, soup: BeautifulSoup) -> bool:
    if _FURNITURE_RE.match(posixpath.splitext(posixpath.basename(name))[0]):
        return True
    return any(has_epub_type(soup, kind) for kind in _FURNITURE_TYPES)


def document_chapter(blocks: list[Block], toc_title: str | None) -> Chapter:
    """One spine document as one chapter; leading headings name it when the TOC does not."""
    lead = 0
    while lead < len(blocks) and blocks[lead].is_heading:
        lead += 1
    headings = [b.text for b in blocks[:lead]]
    if toc_title is None:
        title = ". ".join(headings) if headings else None
        rest = blocks[lead:]
    else:
        title = toc_title
        # A leading heading that repeats the TOC entry is the title; any other one is text.
        rest = [b for b in blocks[:lead] if not _same(b.text, toc_title)] + blocks[lead:]
    return Chapter(title, tuple(b.text for b in rest))


def _cut_document(blocks: list[Block], toc_title: str | None) -> list[Chapter]:
    level = split_level(blocks, 6)
    if level is None:
        return [document_chapter(blocks, toc_title)]
    if blocks[0].is_heading and toc_title and _same(blocks[0].text, toc_title):
        blocks = [Block(toc_title, blocks[0].level), *blocks[1:]]
    return cut(blocks, level, toc_title)


def _same(heading: str, title: str) -> bool:
    """True when `heading` is the TOC title or part of it ("Night" in "Chapter 4: Night")."""
    return re.search(rf"(?<!\w){re.escape(heading)}(?!\w)", title, re.IGNORECASE) is not None


def toc_titles(toc: Iterable[Any]) -> dict[str, str]:
    """Map each document (href without fragment) to its first title in the TOC."""
    found: dict[str, str] = {}
    for entry in _flatten(toc):
        href = getattr(entry, "href", None) or getattr(entry, "file_name", None)
        name = fold(str(getattr(entry, "title", None) or ""))
        if href and name:
            found.setdefault(_normal(href.split("#", 1)[0]), name)
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
