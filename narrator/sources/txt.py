"""Plain text: chapters from heading lines, hard-wrapped lines joined into paragraphs."""

from __future__ import annotations

import re
from pathlib import Path

from narrator.paragraphs import split_paragraphs
from narrator.sources.model import Chapter, read_text_file

# "CHAPTER I", "Chapter 3", "CHAPTER XII. THE STORM", "Part One", "BOOK II", "Prologue".
_HEADING = re.compile(
    r"^(?:(?:chapter|part|book)\s+(?:[ivxlcdm]+|\d+|[a-z]+)\b[.:]?(?:\s+.*)?|prologue|epilogue)$",
    re.IGNORECASE,
)
_MAX_HEADING = 80


def is_heading(line: str) -> bool:
    line = line.strip()
    return 0 < len(line) <= _MAX_HEADING and bool(_HEADING.match(line))


def read_txt(path: Path) -> list[Chapter]:
    """Chapters from heading lines that stand alone between blank lines; else one chapter."""
    text = read_text_file(path).replace("\r\n", "\n").replace("\r", "\n")
    blocks = re.split(r"\n[ \t]*\n", text)
    chapters: list[Chapter] = []
    title: str | None = None
    body: list[str] = []
    for block in blocks:
        lines = [line for line in block.split("\n") if line.strip()]
        if _heading_block(lines):
            _close(chapters, title, body)
            title, body = _title(" ".join(lines)), []
        else:
            body.append(block)
    _close(chapters, title, body)
    return chapters


def _heading_block(lines: list[str]) -> bool:
    # "CHAPTER IV" alone, or with its name on the next line ("CHAPTER IV" / "THE STORM").
    return (
        0 < len(lines) <= 2
        and is_heading(lines[0])
        and all(len(line.strip()) <= _MAX_HEADING for line in lines)
        and (len(lines) == 1 or not lines[1].rstrip().endswith((".", ",", ";")) or lines[1].isupper())
    )


def _close(chapters: list[Chapter], title: str | None, body: list[str]) -> None:
    paragraphs = tuple(split_paragraphs("\n\n".join(body)))
    if paragraphs or title is not None:
        chapters.append(Chapter(title, paragraphs))


def _title(line: str) -> str:
    return " ".join(line.split())
