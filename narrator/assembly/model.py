"""The assembler's values: what goes in (pieces, chapters, pauses, book info, options), what comes out."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from narrator.wire.protocol import SAMPLE_RATE
from narrator.text.boundary import Boundary

if TYPE_CHECKING:
    from narrator.assembly.qc import QcReport

SOURCE_RATE = SAMPLE_RATE  # stored segment PCM: 24 kHz mono s16le (the protocol's)
SAMPLE_BYTES = 2
AUDIO_FORMATS = ("wav", "mp3", "m4b")
FORMATS = (*AUDIO_FORMATS, "epub")  # epub: the read-along book (see narrator.assembly.epub)
SUBTITLE_FORMATS = ("srt", "vtt")


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
    """A chapter: its title and a callable that streams its pieces in order (may be called twice)."""

    title: str
    pieces: Callable[[], Iterable[Piece]]
    # The chapter's text as written, in spoken order (SourceRef.paragraph indexes it); empty:
    # read-along shows the spoken text. `heading`: text[0] is the announced title.
    text: tuple[str, ...] = ()
    heading: bool = False


@dataclass(frozen=True)
class Pauses:
    """Silence, in seconds, inserted by the assembler (see the rule in narrator.assembly)."""

    sentence: float = 0.35
    paragraph: float = 0.8
    scene: float = 1.6
    chapter: float = 2.0
    lead_in: float = 0.5
    tail: float = 1.0


@dataclass(frozen=True)
class BookInfo:
    title: str
    author: str | None = None
    cover: Path | None = None  # JPEG or PNG
    year: str | None = None
    genre: str | None = None
    language: str = "en"  # BCP 47, for the EPUB
    narrator: str | None = None


@dataclass(frozen=True)
class OutputOptions:
    directory: Path
    formats: tuple[str, ...] = ("mp3",)  # any of wav, mp3, m4b
    per_chapter: bool = True  # one file per chapter
    whole_book: bool = False  # one file for the book, with chapter marks
    name_template: str = "{index:02d} - {title}"  # fields: index, title, book, author
    mp3_bitrate: str = "64k"
    aac_bitrate: str = "64k"
    sample_rate: int = SOURCE_RATE
    loudness: float | None = None  # target LUFS (integrated), None = leave levels alone
    true_peak: float = -3.0  # dBTP ceiling when normalizing
    subtitles: tuple[str, ...] = ("srt",)  # any of srt, vtt
    qc: bool = True
    book_template: str = "{book}"  # the whole-book file's name; same fields
    force: bool = False  # replace files in `directory` that narrator did not write
    timings: bool = False  # a NAME.timings.json sidecar beside each output file

    @property
    def audio_formats(self) -> tuple[str, ...]:
        return tuple(f for f in self.formats if f in AUDIO_FORMATS)


@dataclass(frozen=True)
class AssemblyResult:
    files: tuple[Path, ...]
    qc: QcReport | None = None
    notes: tuple[str, ...] = field(default=())
