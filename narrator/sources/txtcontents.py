"""A printed table of contents in plain text: found, so that it is not read as chapters.

A printed contents is a run of short lines that name the chapters before the chapters begin
(Dracula: "CONTENTS", then "CHAPTER I" / "Jonathan Harker's Journal 1" ... 27 times). Read
naively, each "CHAPTER I" of the list starts a one-line chapter. The run starts at a
"Contents" / "Table of Contents" line, or at a heading that is the first of at least three
headings with nothing but short entries between them, all repeated later as real headings. It
ends at the first real heading: one repeating a heading of the run, or one with prose after
it before the next heading. Without at least three entries it is not a contents list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from narrator.sources.decode import fold

_CONTENTS_RE = re.compile(r"^(?:table\s+of\s+)?contents\.?:?$", re.IGNORECASE)
_KEY_RE = re.compile(r"[^\w]+")
_PROSE_CHARS = 200
_SENTENCE_CHARS = 100
_MAX_ENTRY_LINES = 8
_MAX_ENTRY_LINE = 100
_MIN_ENTRIES = 3
_LOOKAHEAD = 4  # a real heading has prose within this many blocks after it


@dataclass
class Unit:
    """A block of a plain text between blank lines: its non-blank lines, and its heading text
    when it is a heading. Mutable while the reader builds it (subtitles join their heading)."""

    lines: list[str]
    heading: str | None = None

    @property
    def text(self) -> str:
        return fold(" ".join(self.lines))

    @property
    def key(self) -> str:
        """The heading's first line, compared without case or punctuation."""
        return _KEY_RE.sub(" ", fold(self.lines[0]).lower()).strip()


def find_contents(units: Sequence[Unit]) -> tuple[int, int] | None:
    """The [start, end) range of units that is a printed contents list, or None."""
    for start, unit in enumerate(units[: max(1, len(units) // 2)]):
        if len(unit.lines) == 1 and _CONTENTS_RE.match(unit.text) and not unit.heading:
            end = _run_end(units, start + 1)
            if end - start - 1 >= _MIN_ENTRIES:
                return start, end
        elif unit.heading and not _is_real(units, start, set()):
            end = _run_end(units, start)
            if _repeated_headings(units, start, end) >= _MIN_ENTRIES:
                return start, end
    return None


def _run_end(units: Sequence[Unit], first: int) -> int:
    seen: set[str] = set()
    index = first
    while index < len(units):
        unit = units[index]
        if _is_prose(unit) or (unit.heading and _is_real(units, index, seen)):
            break
        if unit.heading:
            seen.add(unit.key)
        index += 1
    return index


def _is_real(units: Sequence[Unit], index: int, seen: set[str]) -> bool:
    """A heading that starts the book: it repeats one of the list, or prose follows it."""
    unit = units[index]
    if unit.key in seen:
        return True
    for after in units[index + 1 : index + 1 + _LOOKAHEAD]:
        if after.heading:  # an entry of the list: the next heading comes before any prose
            return False
        if _is_prose(after):
            return True
    return False


def _is_prose(unit: Unit) -> bool:
    if unit.heading:
        return False
    text = unit.text
    if len(unit.lines) > _MAX_ENTRY_LINES or len(text) > _PROSE_CHARS:
        return True
    if any(len(fold(line)) > _MAX_ENTRY_LINE for line in unit.lines):
        return True
    return len(text) > _SENTENCE_CHARS and text.rstrip("”\"')]_").endswith((".", "!", "?"))


def _repeated_headings(units: Sequence[Unit], start: int, end: int) -> int:
    listed = [u.key for u in units[start:end] if u.heading]
    later = {u.key for u in units[end:] if u.heading}
    return sum(key in later for key in listed) if len(listed) >= _MIN_ENTRIES else 0
