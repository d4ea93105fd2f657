"""Notes and code blocks: where a chapter's footnotes, endnotes and code go (ReadOptions).

A reader marks note text as NOTE blocks (keyed by the id its markers point at) and the text
that refers to a note with NoteRefs; the markers themselves are already out of the text. Here
each chapter's blocks become its paragraphs and what it skipped:

- A note that something refers to is spoken once, at its first reference: after the chapter's
  text (`end_of_chapter`, the default) or after the paragraph that refers to it
  (`end_of_paragraph`), introduced "Note 1: ..."; with `skip` it is listed as skipped in the
  chapter that refers to it. Where the note itself stands (an aside, an endnotes page) it is
  then left out, so it is never spoken twice.
- A note nothing refers to stays where it stands, spoken (or listed skipped under `skip`).
- Code blocks are skipped and listed (`code: skip`) or read line by line (`code: read`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from narrator.sources.blocks import (
    ANCHOR,
    CODE,
    NOTE,
    Block,
    NoteRef,
    ReadOptions,
    Skipped,
    code_lines,
)

NOTE_INTRO = "Note {label}: "
_LABEL_RE = re.compile(r"^[0-9A-Za-z]{1,6}$")


@dataclass
class NoteBook:
    """The notes of one source, which of them are referred to, and which are spoken already.

    One NoteBook serves a whole source (an EPUB's endnotes page refers across documents);
    chapters must be settled in reading order.
    """

    options: ReadOptions = field(default_factory=ReadOptions)
    texts: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)  # key -> all the keys of its note
    referred: set[str] = field(default_factory=set)
    placed: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, blocks: Iterable[Block], options: ReadOptions) -> NoteBook:
        """Collect the notes of `blocks` and which of them are referred to."""
        book = cls(options)
        blocks = list(blocks)
        for block in blocks:
            if block.kind == NOTE and block.key:
                for key in block.key.split():
                    if key not in book.texts:
                        book.texts[key] = block.text
                        book.groups[key] = block.key
        book.referred = {r.key for b in blocks for r in b.refs if r.key in book.texts}
        return book

    def settle(self, blocks: Sequence[Block]) -> tuple[tuple[str, ...], tuple[Skipped, ...]]:
        """One chapter's paragraphs and skipped parts (a blocks.Finish)."""
        mode = self.options.notes
        paragraphs: list[str] = []
        skipped: list[Skipped] = []
        tail: list[str] = []
        count = 0
        for block in blocks:
            if block.kind == ANCHOR:
                continue
            if block.kind == NOTE:
                if not any(k in self.referred for k in block.key.split()):
                    self._unreferred(block.text, paragraphs, skipped)
                continue
            if block.kind == CODE:
                self._code(block.text, paragraphs, skipped)
                continue
            if block.text:
                paragraphs.append(block.text)
            for ref in block.refs:
                text = self._take(ref)
                if text is None:
                    continue
                count += 1
                if mode == "skip":
                    skipped.append(Skipped("note", " ".join(text.split("\n"))))
                    continue
                spoken = _introduced(text, ref, count)
                (paragraphs if mode == "end_of_paragraph" else tail).extend(spoken)
        return tuple(paragraphs + tail), tuple(skipped)

    def _take(self, ref: NoteRef) -> str | None:
        """The note's text if this is its first reference, else None."""
        if ref.key not in self.texts or ref.key in self.placed:
            return None
        text = self.texts[ref.key]
        # Every id of the same note is spoken with it (a note can carry several ids).
        self.placed.update(self.groups[ref.key].split())
        return text

    def _unreferred(self, text: str, paragraphs: list[str], skipped: list[Skipped]) -> None:
        if self.options.notes == "skip":
            skipped.append(Skipped("note", " ".join(text.split("\n"))))
        else:
            paragraphs.extend(p for p in text.split("\n") if p)

    def _code(self, text: str, paragraphs: list[str], skipped: list[Skipped]) -> None:
        lines = code_lines(text)
        if not lines:
            return
        if self.options.code == "read":
            paragraphs.extend(lines)
        else:
            skipped.append(Skipped("code block", "\n".join(lines)))


def _introduced(text: str, ref: NoteRef, count: int) -> list[str]:
    label = ref.label if _LABEL_RE.match(ref.label) else str(count)
    parts = [p for p in text.split("\n") if p]
    if not parts:
        return []
    return [NOTE_INTRO.format(label=label) + parts[0], *parts[1:]]
