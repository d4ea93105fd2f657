"""Markdown: headings start chapters; markup removed, code and raw HTML blocks skipped."""

from __future__ import annotations

from pathlib import Path

from markdown_it import MarkdownIt

from narrator.sources.extract import parse_html
from narrator.sources.html import chapters_from_blocks
from narrator.sources.model import Chapter, read_text_file

_SKIPPED = {"fence", "code_block", "html_block"}


def read_markdown(path: Path) -> list[Chapter]:
    md = MarkdownIt("commonmark")
    tokens = [t for t in md.parse(read_text_file(path)) if t.type not in _SKIPPED]
    html = md.renderer.render(tokens, md.options, {})
    return chapters_from_blocks(parse_html(f"<body>{html}</body>"), max_level=6)
