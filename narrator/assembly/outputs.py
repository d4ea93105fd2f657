"""Output files that appear only when complete: temp names, sinks per format, and the Track
that feeds one listener-facing file (a chapter or the whole book) in every requested format.

Every file is written as `.<final name>.<pid>@<host>.<random>.part` in the output directory and
renamed with `os.replace` only after ffmpeg has exited cleanly and the tags are in. A killed run
therefore leaves at most hidden `.part` files, which the next run removes once they are provably
stale (`ownership`); a file narrator did not write is never replaced without `--force`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import soxr

from narrator.assembly import encode, ownership
from narrator.assembly.chapters import ChapterMark, ffmetadata
from narrator.assembly.loudness import Loudness, Meter
from narrator.assembly.model import SOURCE_RATE
from narrator.assembly.pcmstream import Placed, silence
from narrator.assembly.qc import SilenceTracker
from narrator.assembly.subtitles import CueWriter
from narrator.assembly.tags import Tags, tag_m4b, tag_mp3
from narrator.assembly.wav import WavWriter


class TempFile:
    """A temp name beside `final`, unique to this run; `commit()` renames it, `discard()` deletes it.

    Stale temps of the same name (see `ownership`) are removed first; a live run's never are.
    """

    def __init__(self, final: Path, force: bool = False) -> None:
        self.final = final
        self.force = force  # replace a file narrator did not write
        ownership.remove_stale_temps(final.parent, final.name)
        self.temp = ownership.temp_name(final)

    def commit(self) -> Path:
        return ownership.put_in_place(self.temp, self.final, self.force)

    def discard(self) -> None:
        """Delete the temp file if it can be; cleanup must not hide the error that called for it."""
        _remove(self.temp)
        ownership.forget(self.temp)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


class Sink(Protocol):
    def write(self, pcm: np.ndarray) -> None: ...
    def finish(self) -> None: ...
    def abort(self) -> None: ...


class WavSink:
    """WAV at the source rate, or resampled on the fly (soxr keeps only its filter state)."""

    def __init__(self, path: Path, rate: int) -> None:
        self._writer = WavWriter(path, rate)
        self._resampler = (
            None
            if rate == SOURCE_RATE
            else soxr.ResampleStream(SOURCE_RATE, rate, 1, dtype="int16")
        )

    def write(self, pcm: np.ndarray) -> None:
        if self._resampler is not None:
            pcm = self._resampler.resample_chunk(pcm)
        self._writer.write(pcm)

    def finish(self) -> None:
        if self._resampler is not None:
            self._writer.write(self._resampler.resample_chunk(np.zeros(0, dtype="<i2"), last=True))
        self._writer.close()

    def abort(self) -> None:
        self._writer.abort()


class EncoderSink:
    """MP3 or M4B through an ffmpeg pipe."""

    def __init__(self, label: str, extra_inputs: list[str], output: list[str]) -> None:
        self._pipe = encode.FfmpegPipe(label, extra_inputs, output)

    def write(self, pcm: np.ndarray) -> None:
        self._pipe.write(pcm)

    def finish(self) -> None:
        self._pipe.finish()

    def abort(self) -> None:
        self._pipe.abort()


@dataclass(frozen=True)
class TrackSpec:
    """One listener-facing file: its name (no extension), formats, tags, and chapter marks."""

    directory: Path
    stem: str
    formats: tuple[str, ...]
    subtitles: tuple[str, ...]
    tags: Tags
    marks: tuple[ChapterMark, ...] = ()
    measure: bool = False  # run a loudness meter and a silence tracker (QC)


@dataclass(frozen=True)
class TrackResult:
    files: tuple[Path, ...]
    samples: int
    loudness: Loudness | None
    silence: SilenceTracker | None


class Track:
    """Feeds one file in every format, its subtitles and its meters; all-or-nothing on disk."""

    def __init__(self, spec: TrackSpec, settings: EncodeSettings) -> None:
        self.spec, self.position = spec, 0
        self._force = settings.force
        self._temps: list[TempFile] = []
        self._sinks: list[tuple[str, Sink, TempFile]] = []
        self._cues: list[CueWriter] = []
        self._meta: Path | None = None
        self.meter = Meter(spec.stem) if spec.measure else None
        self.silence_tracker = SilenceTracker() if spec.measure else None
        try:
            for kind in spec.formats:
                temp = self._temp(f"{spec.stem}.{kind}")
                self._sinks.append((kind, self._open_sink(kind, temp, settings), temp))
            for kind in spec.subtitles if spec.formats else ():
                self._cues.append(CueWriter(self._temp(f"{spec.stem}.{kind}").temp, kind))
        except BaseException:
            self.abort()
            raise

    def _temp(self, name: str) -> TempFile:
        temp = TempFile(self.spec.directory / name, self._force)
        self._temps.append(temp)
        return temp

    def _open_sink(self, kind: str, temp: TempFile, settings: EncodeSettings) -> Sink:
        if kind == "wav":
            return WavSink(temp.temp, settings.sample_rate)
        if kind == "mp3":
            return EncoderSink(
                temp.final.name,
                [],
                [*encode.mp3_args(settings.mp3_kbps, settings.sample_rate), str(temp.temp)],
            )
        inputs, output = encode.m4b_args(
            settings.aac_kbps, settings.sample_rate, self._ffmetadata()
        )
        return EncoderSink(temp.final.name, inputs, [*output, str(temp.temp)])

    def _ffmetadata(self) -> Path | None:
        if not self.spec.marks:
            return None
        handle, name = tempfile.mkstemp(prefix="narrator-", suffix=".ffmeta")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(ffmetadata(self.spec.marks))
        self._meta = Path(name)
        return self._meta

    def write(self, pcm: np.ndarray, placed: Placed | None = None, first: bool = False) -> None:
        """Append a block; the first block of a piece opens its subtitle cue."""
        if placed is not None and first:
            for cues in self._cues:
                cues.cue(self.position, self.position + placed.samples, placed.piece.text)
        for _, sink, _ in self._sinks:
            sink.write(pcm)
        if self.meter is not None:
            self.meter.write(pcm)
            self.silence_tracker.write(pcm)
        self.position += pcm.size

    def pad(self, samples: int) -> None:
        """Append silence."""
        for block in silence(samples):
            self.write(block.pcm)

    def finish(self) -> TrackResult:
        """Complete every file, tag it, and give it its final name."""
        try:
            for _, sink, _ in self._sinks:
                sink.finish()
            for cues in self._cues:
                cues.close()
            loudness = self.meter.finish() if self.meter is not None else None
            if self.silence_tracker is not None:
                self.silence_tracker.finish()
            self._tag()
            files = tuple(temp.commit() for temp in self._temps)
        except BaseException:
            self.abort()
            raise
        self._drop_meta()
        return TrackResult(files, self.position, loudness, self.silence_tracker)

    def _tag(self) -> None:
        for kind, _, temp in self._sinks:
            if kind == "mp3":
                tag_mp3(temp.temp, self.spec.tags, self.spec.marks)
            elif kind == "m4b":
                tag_m4b(temp.temp, self.spec.tags)

    def abort(self) -> None:
        """Stop every process and delete every temp file (safe to call more than once).

        Every step runs even if one fails, so no ffmpeg is left blocked on its stdin and no temp
        file stays behind; the first failure is raised once all steps have run.
        """
        steps = [sink.abort for _, sink, _ in self._sinks] + [cues.abort for cues in self._cues]
        if self.meter is not None:
            steps.append(self.meter.abort)
        steps += [temp.discard for temp in self._temps]
        steps.append(self._drop_meta)
        _run_all(steps)

    def _drop_meta(self) -> None:
        if self._meta is not None:
            _remove(self._meta)
            self._meta = None


def _run_all(steps: list[Callable[[], None]]) -> None:
    """Call every step in order, even after one raises; then raise the first error."""
    first: BaseException | None = None
    for step in steps:
        try:
            step()
        except (
            BaseException
        ) as exc:  # even Ctrl-C: the remaining steps still run, then it is raised
            if first is None:
                first = exc
    if first is not None:
        raise first


@dataclass(frozen=True)
class EncodeSettings:
    sample_rate: int
    mp3_kbps: int
    aac_kbps: int
    force: bool = False  # replace files in the output folder that narrator did not write
