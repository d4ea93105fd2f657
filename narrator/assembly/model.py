"""The assembler's inputs: stored pieces, chapters and book info (options.py: pauses and
output options; driver.py: what comes out)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from narrator.text.boundary import Boundary
from narrator.wire.protocol import SAMPLE_RATE

# Stored segment PCM is the protocol's audio, unchanged: 24 kHz mono s16le.
SOURCE_RATE = SAMPLE_RATE


@dataclass(frozen=True)
class SourceRef:
    """Where a piece's words stand in its chapter's text as written (for timings and read-along).

    `ChapterAudio.text[paragraph][start:end] == text`. A segment split at synthesis time gives
    each part its own sub-span where the part's words can be found in the source, else each part
    carries the whole segment's span (read-along then highlights the segment as one).
    """

    file: str
    paragraph: int
    start: int
    end: int
    text: str
    segment: int  # the planned segment's order in its chapter
    part: int = 0
    parts: int = 1


@dataclass(frozen=True)
class Piece:
    """One stored segment: its PCM file, its text, and what follows it."""

    path: Path
    text: str
    boundary: Boundary
    voice: str = ""  # QC compares a segment's pace with the median of its voice
    source: SourceRef | None = None  # None: the spoken text stands for the source


@dataclass(frozen=True)
class ChapterAudio:
    """A chapter: its title and a callable streaming its pieces in order (may be called twice)."""

    title: str
    pieces: Callable[[], Iterable[Piece]]
    # The chapter's text as written, in spoken order (SourceRef.paragraph indexes it); empty:
    # read-along shows the spoken text. `heading`: the index in `text` of the announced title
    # (0, or 1 after the opening credit); None: the title is not in the text.
    text: tuple[str, ...] = ()
    heading: int | None = None


@dataclass(frozen=True)
class BookInfo:
    title: str
    author: str | None = None
    cover: Path | None = None  # JPEG or PNG
    year: str | None = None
    genre: str | None = None
    language: str = "en"  # BCP 47, for the EPUB
    narrator: str | None = None
