"""Source documents -> chapters of paragraphs: plain text, Markdown, HTML and EPUB.

    read_source(path, options=ReadOptions()) -> [Chapter(title, paragraphs, role, skipped), ...]

Each reader turns its format into blocks (headings and paragraphs, see blocks.py), which are
cut into chapters by one shared set of rules. Paragraphs are whitespace-folded strings;
decoration lines ("* * *") stay as paragraphs of their own so the segmenter can make scene
breaks of them. Text is never dropped silently: headings that do not start a chapter stay in
the text. Every problem a user can cause is a one-line SourceError naming the file and the fix.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from narrator.errors import SourceError
from narrator.sources.blocks import ROLES, SPLITS, Chapter, ReadOptions, Skipped, check_split
from narrator.sources.roles import apply_title_roles

__all__ = ["KINDS", "ROLES", "SPLITS", "Chapter", "ReadOptions", "Skipped", "read_source"]

KINDS = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".epub": "epub",
}

Reader = Callable[..., list[Chapter]]


def read_source(
    path: Path,
    *,
    split: str = "auto",
    title: str | None = None,
    options: ReadOptions = ReadOptions(),
) -> list[Chapter]:
    """Read one source file into chapters, choosing the reader by the file's extension.

    Args:
        path: a .txt/.text, .md/.markdown, .html/.htm/.xhtml or .epub file.
        split: "auto" (chapters at headings when there are any, else one chapter), "headings"
            (the same, but a source without headings is an error), "none" (one chapter).
        title: the title when the source is one chapter (default: from the file name); with
            headings, the title of any text before the first heading (default "Opening").
        options: how notes, code blocks, alt text and web pages are read (see ReadOptions).

    Returns:
        The chapters in reading order; each has a paragraph, or skipped text to account for.

    Raises:
        SourceError: unknown extension or split mode, missing/unreadable/binary file, broken
            EPUB, or no text to narrate.
    """
    path = Path(path)
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise SourceError(
            f"{path}: unknown kind of source {path.suffix or '(no extension)'!r}; "
            "use a .txt, .md, .html or .epub file"
        )
    check_split(split, path)
    chapters = [
        c
        for c in _reader(kind)(path, split=split, title=title, options=options)
        if c.paragraphs or c.skipped
    ]
    if not any(c.paragraphs for c in chapters):
        raise SourceError(f"{path}: has no text to narrate{_hint(chapters)}")
    return apply_title_roles(chapters)  # what the reader could not tell, titles may


def _hint(chapters: list[Chapter]) -> str:
    """How to get text out of a source whose every part is skipped (code, notes)."""
    kinds = sorted({s.what for c in chapters for s in c.skipped})
    if "code block" in kinds:
        return "; its code blocks are skipped: set code: read, or remove it from sources"
    if "note" in kinds:
        return "; its notes are skipped: set notes: end_of_chapter, or remove it from sources"
    return "; add text or remove it from sources"


def _reader(kind: str) -> Reader:
    # Imported on demand: a text-only job never loads lxml, bs4 or ebooklib.
    if kind == "txt":
        from narrator.sources.txt import read_txt

        return read_txt
    if kind == "markdown":
        from narrator.sources.markdown import read_markdown

        return read_markdown
    if kind == "html":
        from narrator.sources.html import read_html

        return read_html
    from narrator.sources.epub import read_epub

    return read_epub
