"""HTML source -> chapters: headings h1-h3 start chapters (see narrator.sources.blocks).

A page without headings is one chapter named by the job's title, else the page's <title>,
else the file name. The page is decoded by the charset it declares near its top, if any.
"""

from __future__ import annotations

import re
from pathlib import Path

from narrator.sources.blocks import Chapter, ReadOptions, chapters_from_blocks
from narrator.sources.decode import decode_bytes, fold, read_bytes
from narrator.sources.htmltext import Reading, parse_html, soup_blocks
from narrator.sources.notes import NoteBook

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
    data = read_bytes(path)
    soup = parse_html(decode_bytes(data, path, declared=declared_charset(data)))
    page_title = fold(soup.title.get_text()) if soup.title is not None else ""
    blocks = soup_blocks(soup, Reading(alt_text=options.alt_text))
    return chapters_from_blocks(
        blocks,
        split=split,
        title=title or page_title or None,
        path=path,
        max_level=MAX_CHAPTER_LEVEL,
        finish=NoteBook.of(blocks, options).settle,
    )


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares (<meta charset>, http-equiv Content-Type or <?xml encoding>)."""
    found = _CHARSET_RE.search(data, 0, _PRESCAN_BYTES)
    return found.group(1).decode("ascii") if found else None
