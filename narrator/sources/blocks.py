"""The readers' common currency: a flat list of blocks (headings and paragraphs) -> chapters.

Every reader turns its format into `Block`s; this module alone decides where chapters start,
so the rules are the same for txt, md, html and epub:

- Chapters start at headings of the *split level*: the top heading level present, except that
  a top level used exactly once, before any other heading, is a document title, and the next
  level down is used instead (`# Book` then `## One`, `## Two` gives chapters One and Two).
  A document title with text under it titles that text, like any heading; one without stays
  as the first paragraph of the chapter after it.
- Headings below the split level are not dropped: they stay in the text as paragraphs.
- A heading with no text before the next one ("PART ONE" then "CHAPTER I") gives its title to
  the next chapter ("PART ONE — CHAPTER I"). Three or more in a row are a table of contents:
  they stay as paragraphs of the chapter before them.
- Text before the first heading is its own chapter, titled `title` or "Opening".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from narrator.errors import SourceError

SPLITS = ("auto", "headings", "none")
OPENING = "Opening"
TITLE_JOIN = " — "
_CONTENTS_RUN = 3  # this many empty headings in a row read as a table of contents
_STEM_PREFIX_RE = re.compile(r"^\d+[\s._-]+(?=\D)")


# What part of a book a chapter is. "body" is the book itself; the others are front and back
# matter, which the job's `matter` key speaks or skips (see narrator/plan.py).
ROLES = (
    "body",
    "license",  # Project Gutenberg header/footer and license, other licence boilerplate
    "toc",  # a printed table of contents, an EPUB nav page
    "copyright",  # copyright page, imprint, colophon
    "titlepage",  # title page, half title
    "dedication",  # dedication, epigraph page
    "notes",  # a page of endnotes/footnotes
    "index",
    "frontmatter",  # other front matter (foreword by the publisher, about this edition...)
    "backmatter",  # other back matter (advertisements, about the author...)
)
NOTES_MODES = ("end_of_chapter", "end_of_paragraph", "skip")
CODE_MODES = ("skip", "read")
HTML_MODES = ("auto", "article", "document")


@dataclass(frozen=True)
class ReadOptions:
    """How a reader treats the parts of a document that are not plain body text.

    Every reader takes these; a reader whose format has no such part ignores the option.
    """

    notes: str = "end_of_chapter"  # where note text is spoken: NOTES_MODES
    code: str = "skip"  # code blocks: CODE_MODES
    alt_text: bool = False  # speak image alt text
    chapter_pattern: str | None = None  # plain text: a regex a heading line matches in full
    html: str = "auto"  # an HTML source: a web page's article, or the whole document


@dataclass(frozen=True)
class Skipped:
    """Author text a reader read but that is not spoken, so the plan can list it.

    `what` names the kind ("code block", "note", "alt text", ...); `text` is the text itself,
    so its words can be counted and shown.
    """

    what: str
    text: str

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class Chapter:
    """One chapter: an optional title and its whitespace-folded paragraphs, in order.

    Decoration lines such as "* * *" stay as paragraphs of their own; the segmenter turns
    them into scene breaks (see narrator/text/paragraphs.py). `fallback_title` marks a title that
    is our stand-in (from the file name, or "Opening") rather than the document's or the
    job's: it names the chapter but is not worth announcing, whatever its words.
    `role` is one of ROLES; `skipped` is what the reader left out of `paragraphs` (code blocks
    under `code: skip`, notes under `notes: skip`, ...), never dropped without a trace.
    """

    title: str | None
    paragraphs: tuple[str, ...]
    fallback_title: bool = False
    role: str = "body"
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True)
class NoteRef:
    """A paragraph's reference to a note: the note's key and the marker's label ("1", "a")."""

    key: str
    label: str = ""


# Block kinds besides plain text; see narrator/sources/notes.py for how they are settled.
TEXT, NOTE, CODE, ANCHOR = "text", "note", "code", "anchor"


@dataclass(frozen=True)
class Block:
    """A heading (level 1-6) or a paragraph (level 0) of already-folded text.

    Readers that know more mark it with a `kind`: a NOTE (footnote/endnote text, `key` names
    it, paragraphs joined by newlines), a CODE block (raw text, spoken or skipped by the job),
    or an ANCHOR (no text; `key` is an element id a table of contents points at). `refs` are
    the notes a text block refers to, whose markers were taken out of its text.
    """

    text: str
    level: int = 0
    kind: str = TEXT
    key: str = ""
    refs: tuple[NoteRef, ...] = field(default=())

    @property
    def is_heading(self) -> bool:
        return self.level > 0 and self.kind == TEXT


# Turns one chapter's blocks into its spoken paragraphs and what it skipped.
Finish = Callable[[Sequence[Block]], tuple[tuple[str, ...], tuple[Skipped, ...]]]


def plain(blocks: Sequence[Block]) -> tuple[tuple[str, ...], tuple[Skipped, ...]]:
    """The default Finish, for a reader that places no notes: notes are read where they stand,
    code blocks are listed as skipped (narrator/sources/notes.py does what the job says).
    """
    paragraphs: list[str] = []
    skipped: list[Skipped] = []
    for block in blocks:
        if block.kind == CODE:
            lines = code_lines(block.text)
            if lines:
                skipped.append(Skipped("code block", "\n".join(lines)))
        elif block.kind == NOTE:
            paragraphs.extend(p for p in block.text.split("\n") if p)
        elif block.kind != ANCHOR and block.text:
            paragraphs.append(block.text)
    return tuple(paragraphs), tuple(skipped)


def code_lines(text: str) -> list[str]:
    """A code block's non-blank lines, each whitespace-folded (as spoken or listed)."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def check_split(split: str, path: Path) -> None:
    """Raise a SourceError for an unknown split mode."""
    if split not in SPLITS:
        raise SourceError(f"{path}: unknown split mode {split!r}; use one of {', '.join(SPLITS)}")


def pretty_stem(path: Path) -> str:
    """A readable title from a file name: '01-the_river.txt' -> 'The River'."""
    stem = _STEM_PREFIX_RE.sub("", path.stem)
    words = re.sub(r"[_\-.]+", " ", stem).split()
    if not words:
        return path.stem
    text = " ".join(words)
    return text[0].upper() + text[1:] if not text.islower() else text.title()


def whole(
    blocks: Iterable[Block], title: str | None, path: Path, finish: Finish = plain
) -> Chapter:
    """Everything as one chapter titled `title`, else after the file name; headings are text."""
    paragraphs, skipped = finish(list(blocks))
    return Chapter(
        title or pretty_stem(path), paragraphs, fallback_title=title is None, skipped=skipped
    )


def split_level(blocks: Sequence[Block], max_level: int) -> int | None:
    """The heading level chapters start at, or None when there are no headings up to max_level."""
    levels = [b.level for b in blocks if b.is_heading and b.level <= max_level]
    if not levels:
        return None
    present = sorted(set(levels))
    chosen = 0
    # A lone top heading that comes first is the document's title, not a chapter of it.
    while (
        chosen + 1 < len(present)
        and levels.count(present[chosen]) == 1
        and levels[0] == present[chosen]
    ):
        levels = levels[1:]
        chosen += 1
    return present[chosen]


def cut(
    blocks: Iterable[Block],
    level: int,
    opening: str | None,
    *,
    fallback: bool = False,
    finish: Finish = plain,
) -> list[Chapter]:
    """Start a chapter at each heading of `level` or above; deeper headings become paragraphs.

    Text before the first such heading is a chapter titled `opening`; `fallback` says that
    title is our stand-in (see Chapter). `finish` settles each chapter's notes and code.
    """
    chapters: list[Chapter] = []
    title: str | None = opening
    held: list[Block] = []
    started = False

    def close() -> None:
        paragraphs, skipped = finish(held)
        chapters.append(Chapter(title, paragraphs, fallback and not started, skipped=skipped))

    for block in blocks:
        if block.is_heading and block.level <= level:
            if started or held:
                close()
            # The title's own notes belong to its chapter; its text is spoken as the title.
            title, held, started = block.text, [Block("", refs=block.refs)], True
        elif block.text or block.kind == NOTE or block.refs:
            held.append(block)
    if started or held:
        close()
    return chapters


def merge_empty(chapters: Iterable[Chapter]) -> list[Chapter]:
    """Fold chapters that have a title but no text into their neighbours (see module doc)."""
    out: list[Chapter] = []
    pending: list[str] = []
    for chapter in chapters:
        if not chapter.paragraphs and not chapter.skipped:
            # A matter page left empty (its notes read where they are referred to) lends no
            # title: "Endnotes — Colophon" would name neither.
            if chapter.title and chapter.role == "body":
                pending.append(chapter.title)
            continue
        if pending and chapter.role != "body":
            out.append(chapter)  # a bibliography between "Part IV" and its text: titles wait
            continue
        if len(pending) >= _CONTENTS_RUN:
            _keep_as_text(out, pending)
        elif pending:
            titles = [*pending, chapter.title] if chapter.title else pending
            chapter = replace(chapter, title=TITLE_JOIN.join(titles), fallback_title=False)
        pending = []
        out.append(chapter)
    if pending:
        _keep_as_text(out, pending)
    return out


def _keep_as_text(out: list[Chapter], titles: list[str]) -> None:
    if out:
        out[-1] = replace(out[-1], paragraphs=out[-1].paragraphs + tuple(titles))
    else:
        out.append(Chapter(titles[0] if len(titles) == 1 else None, tuple(titles)))
    titles.clear()


def chapters_from_blocks(
    blocks: Sequence[Block],
    *,
    split: str,
    title: str | None,
    path: Path,
    max_level: int = 6,
    finish: Finish = plain,
) -> list[Chapter]:
    """Turn a reader's blocks into chapters following `split` (see read_source)."""
    check_split(split, path)
    if split == "none":
        return [whole(blocks, title, path, finish)]
    level = split_level(blocks, max_level)
    if level is None:
        if split == "headings":
            raise SourceError(
                f"{path}: no chapter headings found; use split: auto or split: none for this source"
            )
        return [whole(blocks, title, path, finish)]
    blocks = _document_title_as_text(blocks, level)
    return merge_empty(cut(blocks, level, title or OPENING, fallback=title is None, finish=finish))


def _document_title_as_text(blocks: Sequence[Block], level: int) -> list[Block]:
    """Move a document title with nothing under it into the next chapter as its first text.

    Headings above the split level are the document's title (see split_level). Left as
    headings, an empty one would lend its words to the first chapter's title ("Book — One").
    """
    out: list[Block] = []
    held: list[Block] = []
    for block, after in zip(blocks, [*blocks[1:], None], strict=False):  # empty: no pairs
        if (
            block.is_heading
            and block.level < level
            and after is not None
            and after.is_heading
            and after.level <= level
        ):
            held.append(replace(block, level=0))
            continue
        out.append(block)
        if block.is_heading and block.level <= level:
            out.extend(held)
            held.clear()
    return out
