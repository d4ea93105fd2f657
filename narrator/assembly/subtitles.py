"""SRT and WebVTT subtitles: one cue per piece, written from the track's timings.

A cue spans the piece's audio in the output file (from its first to its last sample, pauses
excluded), as recorded in `narrator.assembly.timings`. It shows the source text as written where
the piece has its own span of it, else the spoken text. Times are rounded to the millisecond.
Text is put on one line: a blank line would end an SRT cue early, and `-->` or markup characters
would confuse a VTT reader, so they are neutralised.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from narrator.assembly.model import SOURCE_RATE
from narrator.assembly.timings import Timing
from narrator.errors import AssemblyError

_SPACES = re.compile(r"\s+")


def timestamp(samples: int, separator: str) -> str:
    """HH:MM:SS,mmm (SRT, separator ',') or HH:MM:SS.mmm (VTT, '.')."""
    millis = round(samples * 1000 / SOURCE_RATE)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def one_line(text: str) -> str:
    """Collapse whitespace (including newlines) so the text is one cue line."""
    return _SPACES.sub(" ", text).strip().replace("-->", "->")


class CueWriter:
    """Writes cues to a file, numbering them; `kind` is 'srt' or 'vtt'."""

    def __init__(self, path: Path, kind: str) -> None:
        self.kind, self.path, self._count = kind, path, 0
        try:
            self._file: TextIO = open(path, "w", encoding="utf-8", newline="\n")
            if kind == "vtt":
                self._file.write("WEBVTT\n\n")
        except OSError as exc:
            raise AssemblyError(f"{path}: cannot write ({exc.strerror}); check output.dir") from exc

    def cue(self, start: int, end: int, text: str) -> None:
        """Add a cue from sample `start` to sample `end` of the output file."""
        self._count += 1
        line = one_line(text)
        if self.kind == "srt":
            head = f"{self._count}\n{timestamp(start, ',')} --> {timestamp(end, ',')}"
        else:
            line = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            head = f"{self._count}\n{timestamp(start, '.')} --> {timestamp(end, '.')}"
        with self._failing("write"):
            self._file.write(f"{head}\n{line}\n\n")

    def close(self) -> None:
        with self._failing("write"):
            self._file.close()

    @contextlib.contextmanager
    def _failing(self, doing: str) -> Iterator[None]:
        """A full disk (or any OSError) while writing cues is one AssemblyError line."""
        try:
            yield
        except OSError as exc:
            raise AssemblyError(f"{self.path}: {doing} failed ({exc.strerror or exc})") from exc

    def abort(self) -> None:
        """Close without caring whether the cues reached the disk (the temp file is deleted)."""
        with contextlib.suppress(OSError):
            self._file.close()


def cue_text(timing: Timing) -> str:
    """What a cue shows: the words as written, unless the piece is one part of a split segment
    whose own words could not be found in the source (then the spoken text)."""
    source = timing.source
    if source is None or (source.parts > 1 and source.text.strip() != timing.spoken.strip()):
        return timing.spoken
    return source.text


def write_cues(path: Path, kind: str, timings: Sequence[Timing]) -> None:
    """Write every timing as a cue of an SRT or VTT file (`kind`)."""
    writer = CueWriter(path, kind)
    try:
        for timing in timings:
            writer.cue(timing.start, timing.end, cue_text(timing))
        writer.close()
    except BaseException:
        writer.abort()
        raise
