"""A chapter's audio as a stream of small blocks: pieces read from disk with pauses between them.

Nothing here holds more than one block (a few seconds) of audio. Blocks are int16 numpy arrays at
24 kHz; silence blocks are views of one shared zero buffer, so consumers must never modify a block
in place (gain makes a new array).

Every piece gets a 5 ms raised-cosine fade at each end so a join never clicks; the fade touches only
the first and last 5 ms of the piece (less for pieces shorter than 10 ms).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narrator.assembly.model import SOURCE_RATE, ChapterAudio, Piece
from narrator.assembly.options import Pauses, check_pauses
from narrator.errors import AssemblyError
from narrator.text.boundary import Boundary
from narrator.wire.protocol import SAMPLE_WIDTH

CHUNK = 5 * SOURCE_RATE  # samples per block read from a piece file
FADE = SOURCE_RATE * 5 // 1000  # 120 samples
_ZEROS = np.zeros(CHUNK, dtype="<i2")


def seconds_to_samples(seconds: float) -> int:
    """Whole samples at 24 kHz, rounded to nearest."""
    return round(seconds * SOURCE_RATE)


@dataclass(frozen=True)
class PauseSamples:
    """`Pauses` in samples at 24 kHz."""

    sentence: int
    paragraph: int
    scene: int
    chapter: int
    lead_in: int
    tail: int

    @classmethod
    def of(cls, pauses: Pauses) -> PauseSamples:
        """Convert each pause; OutputError (`check_pauses`) for one out of range."""
        check_pauses(pauses)
        return cls(
            **{name: seconds_to_samples(s) for name, s in dataclasses.asdict(pauses).items()}
        )

    def after(self, boundary: Boundary) -> int:
        """Silence after a piece that is followed by another piece of the same chapter."""
        if boundary is Boundary.SENTENCE:
            return self.sentence
        if boundary is Boundary.SCENE:
            return self.scene
        # PARAGRAPH; a CHAPTER boundary is only expected on a chapter's last piece, where no
        # pause is inserted: anywhere else it separates paragraphs.
        return self.paragraph


@dataclass(frozen=True)
class ChapterPlan:
    """A chapter's length, known before any audio is read (from file sizes)."""

    title: str
    body: int  # samples from the first piece's first sample to the last piece's last
    pieces: int


@dataclass(frozen=True)
class Placed:
    """A piece and where its audio sits in the chapter body."""

    piece: Piece
    index: int  # 0-based position in the chapter
    offset: int  # first sample, relative to the body start
    samples: int


@dataclass(frozen=True)
class Block:
    pcm: np.ndarray  # int16; read-only by convention
    placed: Placed | None  # None for silence
    first: bool = False  # the first block of `placed`


def piece_samples(path: Path) -> int:
    """The number of samples in a stored PCM file."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AssemblyError(
            f"segment audio {path}: cannot read ({exc.strerror}); re-run the job"
        ) from exc
    if size % SAMPLE_WIDTH:
        raise AssemblyError(
            f"segment audio {path}: odd size {size}, not 16-bit PCM; re-run the job"
        )
    return size // SAMPLE_WIDTH


def scan(chapter: ChapterAudio, pauses: PauseSamples) -> ChapterPlan:
    """Measure a chapter's body by file sizes alone (no audio is read)."""
    body, count, pending = 0, 0, 0
    for piece in chapter.pieces():
        body += pending + piece_samples(piece.path)
        pending = pauses.after(piece.boundary)
        count += 1
    return ChapterPlan(chapter.title, body, count)


def silence(samples: int) -> Iterator[Block]:
    """`samples` of digital silence, in blocks of at most CHUNK."""
    while samples > 0:
        size = min(samples, CHUNK)
        yield Block(_ZEROS[:size], None)
        samples -= size


def body_blocks(chapter: ChapterAudio, pauses: PauseSamples) -> Iterator[Block]:
    """The chapter body: each piece, then its boundary's pause unless it is the last piece."""
    offset, pending = 0, 0
    for index, piece in enumerate(chapter.pieces()):
        yield from silence(pending)
        offset += pending
        placed = Placed(piece, index, offset, piece_samples(piece.path))
        yield from piece_blocks(placed)
        offset += placed.samples
        pending = pauses.after(piece.boundary)


def piece_blocks(placed: Placed) -> Iterator[Block]:
    """One piece's audio, faded at both ends, in blocks of at most CHUNK samples."""
    total, done = placed.samples, 0
    try:
        with open(placed.piece.path, "rb") as handle:
            while done < total:
                pcm = np.fromfile(handle, dtype="<i2", count=min(CHUNK, total - done))
                if not len(pcm):
                    break
                _fade(pcm, done, total)
                yield Block(pcm, placed, first=done == 0)
                done += len(pcm)
    except OSError as exc:
        raise AssemblyError(
            f"segment audio {placed.piece.path}: {exc.strerror}; re-run the job"
        ) from exc
    if done != total:
        raise AssemblyError(
            f"segment audio {placed.piece.path}: changed while reading; re-run the job"
        )


def _fade(pcm: np.ndarray, start: int, total: int) -> None:
    """Apply the edge fades to a chunk that begins `start` samples into a piece of `total`."""
    fade = min(FADE, total // 2)
    if fade == 0:
        return
    ramp = _ramp(fade)
    end = start + len(pcm)
    if start < fade:
        head = min(fade, end) - start
        pcm[:head] = np.rint(pcm[:head] * ramp[start : start + head])
    if end > total - fade:
        begin = max(start, total - fade)
        into = begin - (total - fade)
        tail = end - begin
        pcm[begin - start :] = np.rint(pcm[begin - start :] * ramp[::-1][into : into + tail])


@functools.lru_cache(maxsize=8)
def _ramp(fade: int) -> np.ndarray:
    """The raised-cosine fade-in over `fade` samples (cached, so made read-only)."""
    ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, math.pi, fade + 2)[1:-1])).astype(np.float32)
    ramp.flags.writeable = False
    return ramp


def apply_gain(pcm: np.ndarray, gain: float) -> np.ndarray:
    """`pcm` times a linear gain, rounded and clipped to int16 (a new array unless gain is 1)."""
    if gain == 1.0:
        return pcm
    return np.clip(np.rint(pcm * gain), -32768, 32767).astype("<i2")
