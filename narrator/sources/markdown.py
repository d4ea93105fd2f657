"""Markdown source -> chapters, parsed with markdown-it-py (CommonMark plus tables).

Markup is removed: emphasis and links keep their text, images are dropped (their alt text is
spoken only with `alt_text`), inline code keeps its text. Fenced and indented code blocks are
code blocks, skipped and listed or read as the job's `code` says. Footnotes (`[^1]` and
`[^1]: text`) are notes, placed as the job's `notes` says (see narrator/sources/notes.py). List
items and table rows become paragraphs, thematic breaks become "* * *", raw HTML blocks go
through the HTML extractor as book text. Chapters start at the top heading level present among
# and ## (see narrator.sources.blocks); YAML front matter at the very top is metadata and is
skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from narrator.sources.blocks import (
    CODE,
    NOTE,
    Block,
    Chapter,
    NoteRef,
    ReadOptions,
    chapters_from_blocks,
)
from narrator.sources.decode import fold, read_text
from narrator.sources.htmltext import SCENE_BREAK, Reading, parse_html, soup_blocks
from narrator.sources.notes import NoteBook

MAX_CHAPTER_LEVEL = 2  # ### and deeper stay in the text as paragraphs
CELL_JOIN = "; "
# Front matter opens with a "key:" line; a bare "---" is a thematic break above text.
_FRONT_MATTER_RE = re.compile(
    r"\A---[ \t]*\n(?=[A-Za-z_][\w-]*[ \t]*:(?:[ \t]|\n)).*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)",
    re.DOTALL,
)
_SKIPPED_INLINE = frozenset({"image", "html_inline", "footnote_anchor"})
_BREAK_TAG_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(footnote_plugin)


def inline_text(token: Token, refs: list[NoteRef] | None = None, *, alt_text: bool = False) -> str:
    """The readable text of an inline token: no markup, no images, no raw tags.

    Footnote markers are left out of the text and added to `refs`; image alt text is kept
    only with `alt_text`.
    """
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif _is_line_break(child):
            parts.append(" ")
        elif child.type == "footnote_ref":
            if refs is not None:
                refs.append(NoteRef(_note_key(child), str(child.meta.get("label", ""))))
        elif child.type == "image" and alt_text:
            parts.append(f" {inline_text(child)} ")
        elif child.type not in _SKIPPED_INLINE and child.children:
            parts.append(inline_text(child, refs, alt_text=alt_text))
    return fold("".join(parts))


def _note_key(token: Token) -> str:
    return f"#fn{token.meta.get('id', '')}"


def _is_line_break(token: Token) -> bool:
    # A raw <br> ends a line like a Markdown break does; without a space it would glue words.
    if token.type == "html_inline":
        return _BREAK_TAG_RE.fullmatch(token.content.strip()) is not None
    return token.type in ("softbreak", "hardbreak")


def markdown_blocks(text: str, *, alt_text: bool = False) -> list[Block]:
    """Parse Markdown into heading, paragraph, code and note blocks."""
    blocks: list[Block] = []
    heading = 0
    cells: list[str] | None = None
    note: list[Block] | None = None  # the blocks of the footnote being read
    out = blocks
    for token in _parser().parse(_FRONT_MATTER_RE.sub("", text, count=1)):
        kind = token.type
        if kind == "heading_open":
            heading = int(token.tag[1:])
        elif kind == "heading_close":
            heading = 0
        elif kind == "footnote_open":
            note, out = [], []
            key = f"#fn{token.meta.get('id', '')}"
        elif kind == "footnote_close" and note is not None:
            body = "\n".join(b.text for b in out if b.text)
            blocks.append(Block(body, kind=NOTE, key=key))
            note, out = None, blocks
        elif kind == "tr_open":
            cells = []
        elif kind == "tr_close" and cells is not None:
            _append(out, CELL_JOIN.join(c for c in cells if c))
            cells = None
        elif kind == "inline":
            refs: list[NoteRef] = []
            text_ = inline_text(token, refs, alt_text=alt_text)
            if cells is not None:
                cells.append(text_)
            else:
                _append(out, text_, heading, tuple(refs))
        elif kind == "hr":
            out.append(Block(SCENE_BREAK))
        elif kind == "html_block":
            out.extend(soup_blocks(parse_html(token.content), Reading(web_page=False)))
        elif kind in ("fence", "code_block"):
            out.append(Block(token.content, kind=CODE))
    return blocks


def _append(blocks: list[Block], text: str, level: int = 0, refs: tuple[NoteRef, ...] = ()) -> None:
    if text or refs:
        blocks.append(Block(text, level if text else 0, refs=refs))


def read_markdown(
    path: Path,
    *,
    split: str = "auto",
    title: str | None = None,
    options: ReadOptions = ReadOptions(),
) -> list[Chapter]:
    """Read a Markdown source into chapters (see narrator.sources.read_source)."""
    blocks = markdown_blocks(read_text(path), alt_text=options.alt_text)
    return chapters_from_blocks(
        blocks,
        split=split,
        title=title,
        path=path,
        max_level=MAX_CHAPTER_LEVEL,
        finish=NoteBook.of(blocks, options).settle,
    )
