"""EPUB: one chapter per spine document, titles from the table of contents."""

from __future__ import annotations

import posixpath
import warnings
import zipfile
from pathlib import Path

import ebooklib
from ebooklib import epub
from lxml import etree

from narrator.errors import SourceError
from narrator.sources.extract import parse_html
from narrator.sources.model import Chapter


def read_epub(path: Path) -> list[Chapter]:
    book = _open(path)
    titles = _toc_titles(book.toc)
    chapters: list[Chapter] = []
    for idref, *_ in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or not _is_text_document(item):
            continue
        blocks = parse_html(item.get_content())
        if not any(b.level == 0 for b in blocks):
            continue  # cover and title pages: nothing to read
        title = titles.get(_normal(item.get_name()))
        if title is None:
            title = next((b.text for b in blocks if b.level), None)
        body = [b.text for b in blocks]
        if body and title is not None and blocks[0].level and blocks[0].text == title:
            body = body[1:]
        chapters.append(Chapter(title or f"Chapter {len(chapters) + 1}", tuple(body)))
    return chapters


def _open(path: Path) -> epub.EpubBook:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ebooklib warns about its own option defaults
            return epub.read_epub(str(path), options={"ignore_ncx": False})
    except (zipfile.BadZipFile, KeyError, etree.LxmlError, epub.EpubException, AttributeError,
            IndexError, ValueError) as exc:  # fmt: skip
        raise SourceError(
            f"{path}: broken EPUB ({type(exc).__name__}: {exc}); re-export it from your e-book tool"
        ) from exc


def _is_text_document(item: ebooklib.epub.EpubItem) -> bool:
    if item.get_type() != ebooklib.ITEM_DOCUMENT or isinstance(item, epub.EpubNav):
        return False
    return "nav" not in (getattr(item, "properties", None) or [])


def _toc_titles(toc, found: dict[str, str] | None = None) -> dict[str, str]:
    found = {} if found is None else found
    for entry in toc:
        if isinstance(entry, tuple):  # (Section, [children])
            section, children = entry[0], entry[1]
            _add(found, section)
            _toc_titles(children, found)
        else:
            _add(found, entry)
    return found


def _add(found: dict[str, str], entry) -> None:
    href = getattr(entry, "href", None) or getattr(entry, "file_name", None)
    title = getattr(entry, "title", None)
    if href and title:
        found.setdefault(_normal(href.split("#")[0]), " ".join(str(title).split()))


def _normal(href: str) -> str:
    return posixpath.normpath(href).lstrip("./")
