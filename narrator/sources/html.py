"""HTML source -> chapters: headings h1-h3 start chapters (see narrator.sources.blocks).

A page without headings is one chapter named by the job's title, else the page's <title>,
else the file name.
"""

from __future__ import annotations

from pathlib import Path

from narrator.sources.blocks import Chapter, chapters_from_blocks
from narrator.sources.decode import fold, read_text
from narrator.sources.htmltext import parse_html, soup_blocks

MAX_CHAPTER_LEVEL = 3  # h4-h6 stay in the text as paragraphs


def read_html(path: Path, *, split: str = "auto", title: str | None = None) -> list[Chapter]:
    """Read an HTML/XHTML source into chapters (see narrator.sources.read_source)."""
    soup = parse_html(read_text(path))
    page_title = fold(soup.title.get_text()) if soup.title is not None else ""
    return chapters_from_blocks(
        soup_blocks(soup), split=split, title=title or page_title or None, path=path,
        max_level=MAX_CHAPTER_LEVEL,
    )
