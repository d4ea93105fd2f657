"""Plain text -> blocks: heading lines ("CHAPTER XII. THE STORM", "Part One") and paragraphs.

A heading is a short line standing alone between blank lines, made of a keyword (Chapter,
Part, Book, Volume, Section, Act) and a number (digits, Roman numerals or words), optionally
followed by a title; or a lone Prologue/Epilogue/... line. A heading line directly followed by
one short title line ("CHAPTER I" / "THE STORM") is one heading. Hard-wrapped lines are joined
by narrator.text.paragraphs.split_paragraphs.
"""

from __future__ import annotations

import re
from pathlib import Path

from narrator.text.paragraphs import split_paragraphs
from narrator.sources.blocks import Block, Chapter, ReadOptions, chapters_from_blocks
from narrator.sources.decode import fold, read_text

MAX_HEADING_CHARS = 80
_BLANK_RE = re.compile(r"\n[ \t]*\n")
_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    "hundred|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
    "last|final"
)
_ROMAN = r"(?=[IVXLCDM])M{0,4}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
# Lower-case numerals stop below d/m so that words like "mix" are not read as numbers.
_ROMAN_LOWER = r"(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
_NUMBER = rf"(?:\d+[A-Za-z]?|{_ROMAN}|{_ROMAN_LOWER}|(?i:(?:{_WORDS})(?:[- ](?:{_WORDS}))*))"
_KEYWORD = r"(?:CHAPTER|Chapter|PART|Part|BOOK|Book|VOLUME|Volume|SECTION|Section|ACT|Act)"
_LONE = (
    r"(?:PROLOGUE|Prologue|EPILOGUE|Epilogue|PREFACE|Preface|FOREWORD|Foreword|"
    r"AFTERWORD|Afterword|INTRODUCTION|Introduction|INTERLUDE|Interlude)"
)
# After the number: nothing, a separator and a title, or a capitalised title.
_REST = r"(?:\.?|\s*[.:—–-]\s*\S.*|\s+[A-Z\"“‘'(].*)"
_HEADING_RE = re.compile(rf"^(?:{_KEYWORD}\s+{_NUMBER}\b{_REST}|{_LONE}(?:\s*[.:—–-]\s*\S.*)?)$")
_BARE_RE = re.compile(rf"^(?:{_KEYWORD}\s+{_NUMBER}|{_LONE})$")
_SENTENCE_END = tuple(".,;:!?")


def is_heading(line: str) -> bool:
    """True for a line that reads as a chapter heading on its own."""
    line = line.strip()
    return len(line) <= MAX_HEADING_CHARS and bool(_HEADING_RE.match(line))


def _subtitle(line: str) -> bool:
    # "THE STORM" under "CHAPTER I": short, starts like a title, does not end like a sentence.
    return (
        len(line) <= MAX_HEADING_CHARS
        and not line[0].islower()
        and not line.endswith(_SENTENCE_END)
    )


def _heading_of(block: str) -> str | None:
    lines = [line.strip() for line in block.split("\n") if line.strip()]
    if len(lines) == 1 and is_heading(lines[0]):
        return fold(lines[0])
    if len(lines) == 2 and is_heading(lines[0]) and _subtitle(lines[1]):
        # "CHAPTER I" / "THE STORM" is number then title; a line that already has a title
        # after its number was wrapped, and the second line simply continues it.
        bare = _BARE_RE.match(lines[0]) and not lines[0].endswith((".", ":", "—", "-"))
        return fold(lines[0] + (". " if bare else " ") + lines[1])
    return None


def text_blocks(text: str) -> list[Block]:
    """Split plain text into heading blocks (level 1) and paragraph blocks."""
    blocks: list[Block] = []
    for raw in _BLANK_RE.split(text.replace("\r\n", "\n")):
        heading = _heading_of(raw)
        if heading:
            blocks.append(Block(heading, 1))
        else:
            blocks.extend(Block(p) for p in split_paragraphs(raw))
    return blocks


def read_txt(
    path: Path,
    *,
    split: str = "auto",
    title: str | None = None,
    options: ReadOptions = ReadOptions(),
) -> list[Chapter]:
    """Read a plain-text source into chapters (see narrator.sources.read_source)."""
    return chapters_from_blocks(text_blocks(read_text(path)), split=split, title=title, path=path)
