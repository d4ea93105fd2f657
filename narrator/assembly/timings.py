"""Timings as data: where each piece's audio sits in an output file, and which words it speaks.

A Track records one `Timing` per piece from its own sample counter as it writes the piece's first
block, so the positions are the samples the file holds (lead-in, pauses and gain included), not
a recomputation. SRT, VTT, the `.timings.json` sidecar and the EPUB's SMIL overlays are all
written from these records, so they cannot disagree.

Positions are kept at the 24 kHz source rate; the sidecar also gives them at the file's rate.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from narrator.assembly.model import SOURCE_RATE, Piece, SourceRef


@dataclass(frozen=True)
class Timing:
    """One piece in one output file: from its first sample to one past its last (24 kHz)."""

    chapter: int  # 1-based chapter number in the book's output
    chapter_title: str
    piece: Piece
    start: int
    end: int

    @property
    def spoken(self) -> str:
        return self.piece.text

    @property
    def source(self) -> SourceRef | None:
        return self.piece.source

    @property
    def source_text(self) -> str:
        return self.piece.source.text if self.piece.source is not None else self.piece.text


def at_rate(samples: int, rate: int) -> int:
    """A 24 kHz sample position at `rate`, rounded to nearest (exact integer arithmetic)."""
    return (2 * samples * rate + SOURCE_RATE) // (2 * SOURCE_RATE)


def seconds(samples: int) -> float:
    """A 24 kHz sample count in seconds, to the microsecond."""
    return round(samples / SOURCE_RATE, 6)


def timings_json(timings: Sequence[Timing], total: int, rate: int, files: Sequence[str]) -> str:
    """The sidecar of one output file: its length and every piece's place, both ways of counting.

    Args:
        total: the file's length in 24 kHz samples.
        rate: the file's sample rate (`*_sample` fields count at it).
        files: the names of the files this timeline belongs to (every format of one track).
    """
    document = {
        "files": list(files),
        "sample_rate": rate,
        "samples": at_rate(total, rate),
        "seconds": seconds(total),
        "segments": [_entry(t, rate) for t in timings],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def _entry(timing: Timing, rate: int) -> dict[str, object]:
    source = timing.source
    where = None
    if source is not None:
        where = {
            "file": source.file,
            "paragraph": source.paragraph,
            "start": source.start,
            "end": source.end,
            "segment": source.segment,
            "part": source.part,
            "parts": source.parts,
        }
    return {
        "chapter": timing.chapter,
        "chapter_title": timing.chapter_title,
        "source": where,
        "source_text": timing.source_text,
        "spoken_text": timing.spoken,
        "start_sample": at_rate(timing.start, rate),
        "end_sample": at_rate(timing.end, rate),
        "start_seconds": seconds(timing.start),
        "end_seconds": seconds(timing.end),
    }


def split_span(text: str, start: int, parts: Sequence[str]) -> list[tuple[int, int]] | None:
    """Sub-spans of a segment's source `text` (beginning at offset `start`) for its split parts.

    A part's words are searched for in order, after the previous part's; None when one is not
    found (the lexicon or normalization changed them), and the caller keeps the whole span.
    """
    found, cursor = [], 0
    for part in parts:
        words = part.strip()
        at = text.find(words, cursor) if words else -1
        if at < 0:
            return None
        found.append((start + at, start + at + len(words)))
        cursor = at + len(words)
    return found


def part_sources(
    file: str, paragraph: str, where: tuple[int, int, int], segment: int, parts: Sequence[str]
) -> list[SourceRef]:
    """The SourceRef of each stored part of one planned segment.

    Args:
        paragraph: the text as written of the segment's paragraph.
        where: (paragraph index, start, end) of the segment's span in it.
        parts: the spoken texts of the parts (one, unless synthesis split the segment).
    """
    index, start, end = where
    text = paragraph[start:end]
    spans = split_span(text, start, parts) if len(parts) > 1 else None
    if spans is None:
        spans = [(start, end)] * len(parts)
    return [
        SourceRef(file, index, a, b, paragraph[a:b], segment, n, len(parts))
        for n, (a, b) in enumerate(spans)
    ]
