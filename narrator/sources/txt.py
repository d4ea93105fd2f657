"""Plain text -> chapters, each with its role: the book, and what stands around it.

    text -> PG header / book / PG license (gutenberg.py)
         -> blocks between blank lines, letter-spaced lines read as words (text/markers.py)
         -> headings (txtheadings.py, or the job's chapter_pattern)
         -> a printed contents list set apart (txtcontents.py)
         -> chapters (blocks.py), roles by conservative rules (roles.py)
         -> illustration markers resolved (text/markers.py)

Hard-wrapped lines are joined by narrator.text.paragraphs.split_paragraphs. Every word of the
file ends up in a chapter: roles decide what is spoken, not what is read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from narrator.sources.blocks import (
    Block,
    Chapter,
    ReadOptions,
    Skipped,
    chapters_from_blocks,
    whole,
)
from narrator.sources.decode import fold, read_text
from narrator.sources.gutenberg import split_gutenberg
from narrator.sources.roles import apply_title_roles, front_role, split_after_the_end, split_index
from narrator.sources.txtcontents import Unit, find_contents
from narrator.sources.txtheadings import (
    MAX_HEADING_CHARS,
    capital_subtitle,
    centred_heading,
    compile_pattern,
    heading_of,
    is_bare,
    is_heading,
)
from narrator.text.markers import resolve_illustrations, unspace
from narrator.text.paragraphs import split_paragraphs

__all__ = ["MAX_HEADING_CHARS", "is_heading", "read_txt", "text_blocks"]

PG_HEADER = "Project Gutenberg header"
PG_LICENSE = "Project Gutenberg license"
_BLANK_RE = re.compile(r"\n[ \t]*\n")
_MIN_CENTRED = 2
_MAX_FRONT_WORDS = 1000  # before a printed contents, longer untitled text is still the book


def read_txt(
    path: Path,
    *,
    split: str = "auto",
    title: str | None = None,
    options: ReadOptions = ReadOptions(),
) -> list[Chapter]:
    """Read a plain-text source into chapters (see narrator.sources.read_source)."""
    pattern = compile_pattern(options.chapter_pattern, path)
    parts = split_gutenberg(read_text(path))
    chapters = [
        *_pg_chapter(PG_HEADER, parts.header),
        *_book(parts.body, split=split, title=title, path=path, pattern=pattern),
        *_pg_chapter(PG_LICENSE, parts.footer),
    ]
    return [_resolve_markers(c) for c in chapters]


def text_blocks(text: str, pattern: re.Pattern[str] | None = None) -> list[Block]:
    """Split plain text into heading blocks (level 1) and paragraph blocks."""
    return _blocks(units_of(text, pattern))


def units_of(text: str, pattern: re.Pattern[str] | None = None) -> list[Unit]:
    """The text's blocks between blank lines, headings marked (see txtheadings)."""
    raw = [
        [unspace(line).rstrip() for line in block.split("\n") if line.strip()]
        for block in _BLANK_RE.split(text.replace("\r\n", "\n"))
    ]
    raw = [lines for lines in raw if lines]
    if pattern is not None:
        return _pattern_units(raw, pattern)
    units: list[Unit] = []
    for lines in raw:
        stripped = [line.strip() for line in lines]
        previous = units[-1] if units else None
        if (
            previous is not None
            and previous.heading
            and len(previous.lines) == 1
            and is_bare(previous.lines[0])
            and len(stripped) == 1
            and capital_subtitle(stripped[0])
            and not is_heading(stripped[0])
        ):
            previous.lines.append(lines[0])
            previous.heading = fold(f"{previous.heading}. {stripped[0]}")
            continue
        units.append(Unit(lines, heading_of(stripped)))
    if not any(u.heading for u in units):
        _mark_centred(units)
    return units


def _pattern_units(raw: list[list[str]], pattern: re.Pattern[str]) -> list[Unit]:
    # The job's pattern alone decides: a line it matches in full is a heading, wherever it is.
    units: list[Unit] = []
    for lines in raw:
        pending: list[str] = []
        for line in lines:
            if pattern.fullmatch(line.strip()):
                if pending:
                    units.append(Unit(pending))
                    pending = []
                units.append(Unit([line], fold(line)))
            else:
                pending.append(line)
        if pending:
            units.append(Unit(pending))
    return units


def _mark_centred(units: list[Unit]) -> None:
    lengths = sorted(len(line) for u in units for line in u.lines)
    if not lengths:
        return
    width = lengths[int(len(lengths) * 0.95) - 1 if len(lengths) > 1 else 0]
    found = [centred_heading(u.lines, width) for u in units]
    # Each stands alone among prose: a run of centred lines is a title page or a poem.
    alone = [
        (unit, heading)
        for i, (unit, heading) in enumerate(zip(units, found, strict=True))
        if heading and not any(found[max(i - 1, 0) : i]) and not any(found[i + 1 : i + 2])
    ]
    if _MIN_CENTRED <= len(alone) and len(alone) * 2 <= len(units):
        for unit, heading in alone:
            unit.heading = heading


def _blocks(units: Sequence[Unit]) -> list[Block]:
    blocks: list[Block] = []
    for unit in units:
        if unit.heading:
            blocks.append(Block(unit.heading, 1))
        else:
            blocks.extend(Block(p) for p in split_paragraphs("\n".join(unit.lines)))
    return blocks


def _book(
    text: str, *, split: str, title: str | None, path: Path, pattern: re.Pattern[str] | None
) -> list[Chapter]:
    units = units_of(text, pattern)
    if split == "none" or not any(u.heading for u in units):
        # chapters_from_blocks says what "headings" without headings means.
        return chapters_from_blocks(_blocks(units), split=split, title=title, path=path)
    contents = find_contents(units)
    if contents is None:
        return _with_roles(_chapters(units, title, path))
    start, end = contents
    front = [_front_matter(c) for c in _chapters(units[:start], title, path)]
    listed = units[start:end]
    toc_title = None if listed[0].heading else listed[0].text
    toc_units = listed[1:] if toc_title else listed
    listing = tuple(p for u in toc_units for p in split_paragraphs("\n".join(u.lines)))
    toc = Chapter(toc_title or "Contents", listing, toc_title is None, role="toc")
    return [*front, toc, *_with_roles(_chapters(units[end:], None, path))]


def _chapters(units: Sequence[Unit], title: str | None, path: Path) -> list[Chapter]:
    if not units:
        return []
    blocks = _blocks(units)
    if not any(b.is_heading for b in blocks):
        return [whole(blocks, title, path)]
    chapters = chapters_from_blocks(blocks, split="auto", title=title, path=path, max_level=1)
    if units[0].heading is None and len(chapters) > 1:  # untitled text before the first heading
        chapters[0] = replace(chapters[0], role=front_role(chapters[0].paragraphs))
    return chapters


def _front_matter(chapter: Chapter) -> Chapter:
    """Before a printed contents: title page, copyright, dedication, unless it is long."""
    if sum(len(p.split()) for p in chapter.paragraphs) > _MAX_FRONT_WORDS:
        return chapter
    role = front_role(chapter.paragraphs)
    return replace(chapter, role=role if role != "body" else "frontmatter")


def _with_roles(chapters: list[Chapter]) -> list[Chapter]:
    chapters = apply_title_roles(chapters)
    body = [i for i, c in enumerate(chapters) if c.role == "body"]
    if len(body) > 1:  # a lone body chapter is left whole
        last = body[-1]
        tail = split_after_the_end(chapters[last])
        tail[-1:] = split_index(tail[-1]) if tail[-1].role == "body" else tail[-1:]
        chapters[last : last + 1] = tail
    return chapters


def _pg_chapter(title: str, text: str) -> list[Chapter]:
    paragraphs = tuple(split_paragraphs(text))
    if not paragraphs:
        return []
    return [Chapter(title, paragraphs, fallback_title=True, role="license")]


def _resolve_markers(chapter: Chapter) -> Chapter:
    paragraphs: list[str] = []
    skipped: list[Skipped] = []
    for paragraph in chapter.paragraphs:
        marked = resolve_illustrations(paragraph)
        paragraphs.append(marked.text)
        skipped.extend(Skipped("illustration marker", m) for m in marked.markers)
    if not skipped:
        return chapter
    return replace(chapter, paragraphs=tuple(paragraphs), skipped=(*chapter.skipped, *skipped))
