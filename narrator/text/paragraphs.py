"""Plain text -> paragraphs: blank lines separate, single newlines inside are spaces.

Hard-wrapped text (Project Gutenberg and the like) comes out as whole paragraphs. A line that
is only decoration (`* * *`, `***`, `---`, `#`, a row of `=`) always stands as a paragraph of
its own, even without blank lines around it, so the segmenter can turn it into a scene break.
"""

from __future__ import annotations

import re

# Decoration: nothing but asterisks, dashes, underscores, equals, tildes, hashes, dots, bullets
# and spaces, with at least one mark. Kept here so that every reader agrees on it.
DECORATION_RE = re.compile(r"^[\s*\-—–_=~#.•·⁂]*[*\-—–_=~#•·⁂][\s*\-—–_=~#.•·⁂]*$")
_BLANK_RE = re.compile(r"\n[^\S\n]*\n")  # a line of only whitespace (NBSP too) is blank
# Whitespace to fold into one space: a run of two or more, or one that is not a plain space.
# (Single spaces are left alone: a book on one line has millions of them.)
_SPACE_RE = re.compile(r"\s{2,}|[^\S ]")
# Every other line break becomes "\n"; the Unicode paragraph separator ends a paragraph.
# (str.replace per character, not str.translate: translate looks up every character in Python,
# seconds on a book-sized string.)
_BREAKS = (("\r", "\n"), ("\v", "\n"), ("\x85", "\n"), ("\u2028", "\n"), ("\u2029", "\n\n"))


def is_decoration(line: str) -> bool:
    """True for a line that carries no words, only a visual break."""
    return bool(DECORATION_RE.match(line))


def split_paragraphs(text: str) -> list[str]:
    """Split `text` into paragraphs with inner whitespace folded to single spaces.

    Empty paragraphs are dropped; decoration lines become their own paragraph.
    """
    text = text.replace("\r\n", "\n")
    for old, new in _BREAKS:
        text = text.replace(old, new)
    paragraphs: list[str] = []
    for block in _BLANK_RE.split(text):
        lines: list[str] = []
        for line in block.split("\n"):
            if is_decoration(line):
                _flush(lines, paragraphs)
                paragraphs.append(_SPACE_RE.sub(" ", line).strip())
            else:
                lines.append(line)
        _flush(lines, paragraphs)
    return paragraphs


def _flush(lines: list[str], out: list[str]) -> None:
    joined = _SPACE_RE.sub(" ", " ".join(lines)).strip()
    if joined:
        out.append(joined)
    lines.clear()
