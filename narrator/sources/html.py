"""HTML: the main text; h1-h3 headings start chapters."""

from __future__ import annotations

from pathlib import Path

from narrator.sources.extract import Block, parse_html
from narrator.sources.model import Chapter, read_text_file


def read_html(path: Path) -> list[Chapter]:
    return chapters_from_blocks(parse_html(read_text_file(path)))


def chapters_from_blocks(blocks: list[Block], max_level: int = 3) -> list[Chapter]:
    """Split at the top heading level present (down to h`max_level`); lower headings are text."""
    levels = [b.level for b in blocks if 0 < b.level <= max_level]
    top = min(levels) if levels else 0
    chapters: list[Chapter] = []
    title: str | None = None
    body: list[str] = []
    for block in blocks:
        if top and block.level == top:
            if body or title is not None:
                chapters.append(Chapter(title, tuple(body)))
            title, body = block.text, []
        else:
            body.append(block.text)
    if body or title is not None:
        chapters.append(Chapter(title, tuple(body)))
    return chapters
