"""Markdown source -> chapters, parsed with markdown-it-py (CommonMark plus tables).

Markup is removed: emphasis and links keep their text, images are dropped, inline code keeps
its text. Fenced and indented code blocks are skipped (code is not for reading aloud). List
items and table rows become paragraphs, thematic breaks become "* * *", raw HTML blocks go
through the HTML extractor. Chapters start at the top heading level present among # and ##
(see narrator.sources.blocks); YAML front matter at the very top is metadata and is skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from narrator.sources.blocks import Block, Chapter, ReadOptions, chapters_from_blocks
from narrator.sources.decode import fold, read_text
from narrator.sources.htmltext import SCENE_BREAK, html_blocks

MAX_CHAPTER_LEVEL = 2  # ### and deeper stay in the text as paragraphs
CELL_JOIN = "; "
# Front matter opens with a "key:" line; a bare "---" is a thematic break above text.
_FRONT_MATTER_RE = re.compile(
    r"\A---[ \t]*\n(?=[A-Za-z_][\w-]*[ \t]*:(?:[ \t]|\n)).*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)",
    re.DOTALL,
)
_SKIPPED_INLINE = frozenset({"image", "html_inline"})
_BREAK_TAG_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def inline_text(token: Token) -> str:
    """The readable text of an inline token: no markup, no images, no raw tags."""
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif _is_line_break(child):
            parts.append(" ")
        elif child.type not in _SKIPPED_INLINE and child.children:
            parts.append(inline_text(child))
    return fold("".join(parts))


def _is_line_break(token: Token) -> bool:
    # A raw <br> ends a line like a Markdown break does; without a space it would glue words.
    if token.type == "html_inline":
        return _BREAK_TAG_RE.fullmatch(token.content.strip()) is not None
    return token.type in ("softbreak", "hardbreak")


def markdown_blocks(text: str) -> list[Block]:
    """Parse Markdown into heading and paragraph blocks."""
    blocks: list[Block] = []
    heading = 0
    cells: list[str] | None = None
    for token in _parser().parse(_FRONT_MATTER_RE.sub("", text, count=1)):
        kind = token.type
        if kind == "heading_open":
            heading = int(token.tag[1:])
        elif kind == "heading_close":
            heading = 0
        elif kind == "tr_open":
            cells = []
        elif kind == "tr_close" and cells is not None:
            _append(blocks, CELL_JOIN.join(c for c in cells if c))
            cells = None
        elif kind == "inline":
            text_ = inline_text(token)
            if cells is not None:
                cells.append(text_)
            else:
                _append(blocks, text_, heading)
        elif kind == "hr":
            blocks.append(Block(SCENE_BREAK))
        elif kind == "html_block":
            blocks.extend(html_blocks(token.content))
        # fence and code_block: skipped on purpose
    return blocks


def _append(blocks: list[Block], text: str, level: int = 0) -> None:
    if text:
        blocks.append(Block(text, level))


def read_markdown(
    path: Path,
    *,
    split: str = "auto",
    title: str | None = None,
    options: ReadOptions = ReadOptions(),
) -> list[Chapter]:
    """Read a Markdown source into chapters (see narrator.sources.read_source)."""
    blocks = markdown_blocks(read_text(path))
    return chapters_from_blocks(
        blocks, split=split, title=title, path=path, max_level=MAX_CHAPTER_LEVEL
    )
