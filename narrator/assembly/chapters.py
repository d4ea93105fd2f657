"""Chapter marks of a whole-book file: where they fall, and how they are written.

In the book file, chapter 1 starts at 0; every later chapter starts `min(lead_in, chapter pause)`
before its first sample, so jumping to a chapter sounds like opening its own chapter file (a short
breath of silence, then the voice). A chapter ends where the next one starts; the last one ends at
the end of the file. M4B gets them from an ffmetadata file (timebase 1/24000, so exact); MP3 gets
ID3v2 CHAP frames (milliseconds) under one ordered top-level CTOC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mutagen.id3 import CHAP, CTOC, TIT2, CTOCFlags

from narrator.assembly.model import SOURCE_RATE
from narrator.assembly.pcmstream import ChapterPlan, PauseSamples


@dataclass(frozen=True)
class ChapterMark:
    title: str
    start: int  # samples
    end: int


def book_layout(plans: Sequence[ChapterPlan], pauses: PauseSamples) -> tuple[list[int], int]:
    """(each chapter body's first sample in the book file, the book's total samples)."""
    starts, position = [], pauses.lead_in
    for number, plan in enumerate(plans):
        if number:
            position += pauses.chapter
        starts.append(position)
        position += plan.body
    return starts, position + pauses.tail


def book_marks(plans: Sequence[ChapterPlan], pauses: PauseSamples) -> list[ChapterMark]:
    """The chapter marks of the whole-book file (see the module docstring)."""
    if not plans:
        return []
    starts, total = book_layout(plans, pauses)
    lead = min(pauses.lead_in, pauses.chapter)
    marks = [0] + [start - lead for start in starts[1:]]
    ends = marks[1:] + [total]
    return [
        ChapterMark(plan.title, begin, end)
        for plan, begin, end in zip(plans, marks, ends, strict=True)
    ]


def _escape(text: str) -> str:
    # ffmetadata: '=', ';', '#', '\' and newlines must be escaped with a backslash.
    out = text.replace("\\", "\\\\")
    for char in "=;#":
        out = out.replace(char, "\\" + char)
    return out.replace("\n", "\\\n")


def ffmetadata(marks: Sequence[ChapterMark]) -> str:
    """An ffmetadata document carrying only chapters (tags are written by mutagen)."""
    lines = [";FFMETADATA1"]
    for mark in marks:
        lines += [
            "[CHAPTER]",
            f"TIMEBASE=1/{SOURCE_RATE}",
            f"START={mark.start}",
            f"END={mark.end}",
            f"title={_escape(mark.title)}",
        ]
    return "\n".join(lines) + "\n"


def _ms(samples: int) -> int:
    return round(samples * 1000 / SOURCE_RATE)


def id3_frames(marks: Sequence[ChapterMark]) -> list[CHAP | CTOC]:
    """CHAP frames (ids chp0, chp1, ...) and the CTOC that lists them in order."""
    chaps = [
        CHAP(
            element_id=f"chp{number}",
            start_time=_ms(mark.start),
            end_time=_ms(mark.end),
            start_offset=0xFFFFFFFF,
            end_offset=0xFFFFFFFF,
            sub_frames=[TIT2(encoding=3, text=[mark.title])],
        )
        for number, mark in enumerate(marks)
    ]
    toc = CTOC(
        element_id="toc",
        flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
        child_element_ids=[f"chp{number}" for number in range(len(chaps))],
        sub_frames=[TIT2(encoding=3, text=["Chapters"])],
    )
    return [toc, *chaps]
