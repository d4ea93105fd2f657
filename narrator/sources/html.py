"""HTML source -> chapters: a web page's article, or the whole document cut at its headings.

`ReadOptions.html` says which reading a page gets:

- "document": every block of the page (its <main> or <article>s when they hold nearly all
  of its text), chapters starting at headings h1-h3 (see narrator.sources.blocks). A page
  without headings is one chapter named by the job's title, else the page's <title>, else the
  file name.
- "article": the page's article, found by main-content extractors (narrator.sources.article),
  read as one chapter titled by the job's title, else the article's title (`split: headings`
  cuts it at its headings). What the document reading would add is listed as skipped "web
  page furniture", so the plan shows how much was left out. A page where no article is found
  falls back to the document reading.
- "auto" (default): "article" for a web page (scripts, navigation, forms, many links...),
  "document" for a book chapter or plain document (see article.looks_like_web_page).

In both readings hidden elements (`hidden`, display: none) are skipped, and citation marks
("[6]") and "[edit]" links are not spoken. The page is decoded by the charset it declares
near its top, if any.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from bs4 import BeautifulSoup

from narrator.errors import SourceError
from narrator.sources.article import drop_hidden, looks_like_web_page, read_article, scrub_markers
from narrator.sources.blocks import (
    HTML_MODES,
    TEXT,
    Block,
    Chapter,
    ReadOptions,
    Skipped,
    chapters_from_blocks,
)
from narrator.sources.decode import decode_bytes, fold, read_bytes
from narrator.sources.htmltext import Reading, parse_html, soup_blocks
from narrator.sources.notes import NoteBook

FURNITURE = "web page furniture"  # what the article reading leaves out (Skipped.what)
MAX_CHAPTER_LEVEL = 3  # h4-h6 stay in the text as paragraphs
# Browsers look for the declaration near the top only; so do we, past long <head>s.
_PRESCAN_BYTES = 4096
_CHARSET_RE = re.compile(
    rb"<(?:meta\b[^>]*?\bcharset|\?xml\b[^>]*?\bencoding)\s*=\s*[\"']?\s*([\w.:-]+)",
    re.IGNORECASE,
)


def read_html(
    path: Path,
    *,
    split: str = "auto",
    title: str | None = None,
    options: ReadOptions = ReadOptions(),
) -> list[Chapter]:
    """Read an HTML/XHTML source into chapters (see narrator.sources.read_source)."""
    if options.html not in HTML_MODES:
        raise SourceError(
            f"{path}: unknown html mode {options.html!r}; use one of {', '.join(HTML_MODES)}"
        )
    data = read_bytes(path)
    markup = decode_bytes(data, path, declared=declared_charset(data))
    soup = _parsed(markup)
    page_title = fold(soup.title.get_text()) if soup.title is not None else ""
    if options.html == "article" or (options.html == "auto" and looks_like_web_page(soup)):
        article = read_article(soup, markup)
        if article.blocks:
            blocks = _scrubbed(article.blocks)
            chapters = chapters_from_blocks(
                blocks,
                split="none" if split == "auto" else split,
                title=title or article.title or page_title or None,
                path=path,
                max_level=MAX_CHAPTER_LEVEL,
                finish=NoteBook.of(blocks, options).settle,
            )
            return _with_furniture(chapters, article.left_out)
        soup = _parsed(markup)  # read_article edited the soup; the fallback reads it whole
    blocks = _scrubbed(soup_blocks(soup, Reading(alt_text=options.alt_text)))
    return chapters_from_blocks(
        blocks,
        split=split,
        title=title or page_title or None,
        path=path,
        max_level=MAX_CHAPTER_LEVEL,
        finish=NoteBook.of(blocks, options).settle,
    )


def _parsed(markup: str) -> BeautifulSoup:
    soup = parse_html(markup)
    drop_hidden(soup)  # what a browser does not show is not part of the page's text
    return soup


def _with_furniture(chapters: list[Chapter], left_out: tuple[str, ...]) -> list[Chapter]:
    """Account for the page text the article leaves out on its last chapter, for the plan."""
    if not left_out or not chapters:
        return chapters
    last = chapters[-1]
    furniture = Skipped(FURNITURE, " ".join(left_out))
    return [*chapters[:-1], replace(last, skipped=(*last.skipped, furniture))]


def _scrubbed(blocks: list[Block] | tuple[Block, ...]) -> list[Block]:
    """The blocks without citation marks and edit links; a block of nothing else goes."""
    out = [replace(b, text=scrub_markers(b.text)) for b in blocks]
    return [b for b in out if b.text or b.kind != TEXT]  # notes and anchors keep their place


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares (<meta charset>, http-equiv Content-Type or <?xml encoding>)."""
    found = _CHARSET_RE.search(data, 0, _PRESCAN_BYTES)
    return found.group(1).decode("ascii") if found else None
