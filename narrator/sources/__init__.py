"""Source documents -> chapters of paragraphs: txt, Markdown, HTML, EPUB.

Every reader returns `Chapter`s whose paragraphs are whitespace-folded strings; decoration
lines (`* * *`) stay as paragraphs of their own so the segmenter can make scene breaks of them.
Every problem a user can cause is a one-line SourceError naming the file and the fix.
"""

from __future__ import annotations

from pathlib import Path

from narrator.errors import SourceError
from narrator.sources.model import Chapter, check_readable, prettify

__all__ = ["Chapter", "read_source", "SPLIT_MODES"]

SPLIT_MODES = ("auto", "headings", "none")
_KINDS = {
    ".txt": "txt", ".text": "txt", ".md": "markdown", ".markdown": "markdown",
    ".html": "html", ".htm": "html", ".xhtml": "html", ".epub": "epub",
}  # fmt: skip


def read_source(path: Path, *, split: str = "auto", title: str | None = None) -> list[Chapter]:
    """Read one source file into chapters.

    Args:
        split: "auto" (chapters from headings when there are any), "headings" (the same, and
            say so when none are found), "none" (the whole file is one chapter).
        title: the chapter title when the file is one chapter (default: from the file name).
    """
    path = Path(path)
    kind = _KINDS.get(path.suffix.lower())
    if kind is None:
        raise SourceError(
            f"{path}: unknown kind of source {path.suffix or '(no extension)'!r}; "
            f"use .txt, .md, .html or .epub"
        )
    if split not in SPLIT_MODES:
        raise SourceError(f"{path}: unknown split mode {split!r}; use auto, headings or none")
    check_readable(path)
    chapters = _reader(kind)(path)
    chapters = [c for c in chapters if c.paragraphs]
    if not chapters:
        raise SourceError(f"{path}: has no text to narrate; add text or remove it from sources")
    if split == "none" or (len(chapters) == 1 and title):
        merged = tuple(p for c in chapters for p in c.paragraphs)
        return [Chapter(title or chapters[0].title or prettify(path), merged)]
    if split == "headings" and len(chapters) == 1 and chapters[0].title is None:
        raise SourceError(f"{path}: no chapter headings found; use split: none or add headings")
    return [c if c.title else Chapter(title or prettify(path), c.paragraphs) for c in chapters]


def _reader(kind: str):
    if kind == "txt":
        from narrator.sources.txt import read_txt as reader
    elif kind == "markdown":
        from narrator.sources.markdown import read_markdown as reader
    elif kind == "html":
        from narrator.sources.html import read_html as reader
    else:
        from narrator.sources.epub import read_epub as reader
    return reader
