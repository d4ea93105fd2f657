"""HTML source -> chapters: headings h1-h3 start chapters (see narrator.sources.blocks)."""

from __future__ import annotations

from pathlib import Path

from narrator.sources.blocks import Chapter, chapters_from_blocks
from narrator.sources.decode import read_text
from narrator.sources.htmltext import html_blocks

MAX_CHAPTER_LEVEL = 3  # h4-h6 stay in the text as paragraphs


def read_html(path: Path, *, split: str = "auto", title: str | None = None) -> list[Chapter]:
    """Read an HTML/XHTML source into chapters (see narrator.sources.read_source)."""
    blocks = html_blocks(read_text(path))
    return chapters_from_blocks(
        blocks, split=split, title=title, path=path, max_level=MAX_CHAPTER_LEVEL
    )
