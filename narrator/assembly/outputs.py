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
from collections.abc import Callable, Sequence
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
from narrator.assembly.subtitles import write_cues
from narrator.assembly.tags import Tags, tag_m4b, tag_mp3
from narrator.assembly.timings import Timing, timings_json
from narrator.assembly.wav import WavWriter
from narrator.errors import AssemblyError


class TempFile:
    """A temp name beside `final`, unique to this run: `commit()` renames, `discard()` deletes.

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
    timings: bool = False  # write NAME.timings.json (when the track writes any audio file)
    epub_audio: bool = False  # the EPUB needs this track's audio as MP3 or AAC


@dataclass(frozen=True)
class EpubAudio:
    """The compressed audio of a track for the EPUB: a file this track wrote, or a hidden MP3
    (`hidden`: not one of the job's outputs; the driver deletes it once the EPUB is written)."""

    path: Path
    media_type: str  # audio/mpeg or audio/mp4
    hidden: bool


@dataclass(frozen=True)
class TrackResult:
    files: tuple[Path, ...]
    samples: int
    loudness: Loudness | None
    silence: SilenceTracker | None
    timings: tuple[Timing, ...] = ()
    epub_audio: EpubAudio | None = None


class Track:
    """Feeds one file in every format, its subtitles and its meters; all-or-nothing on disk."""

    def __init__(self, spec: TrackSpec, settings: EncodeSettings) -> None:
        self.spec, self.position, self._rate = spec, 0, settings.sample_rate
        self._force = settings.force
        self._temps: list[TempFile] = []
        self._sinks: list[tuple[str, Sink, TempFile]] = []
        self._cues: list[tuple[str, TempFile]] = []
        self._timings_file: TempFile | None = None
        self._hidden: TempFile | None = None  # the EPUB's MP3 when the job writes none
        self.timings: list[Timing] = []
        self._chapter = (0, spec.tags.title)
        self._meta: Path | None = None
        self.meter = Meter(spec.stem) if spec.measure else None
        self.silence_tracker = SilenceTracker() if spec.measure else None
        try:
            for kind in spec.formats:
                temp = self._temp(f"{spec.stem}.{kind}")
                self._sinks.append((kind, self._open_sink(kind, temp, settings), temp))
            for kind in spec.subtitles if spec.formats else ():
                self._cues.append((kind, self._temp(f"{spec.stem}.{kind}")))
            if spec.timings and spec.formats:
                self._timings_file = self._temp(f"{spec.stem}.timings.json")
            if spec.epub_audio and not {"mp3", "m4b"} & set(spec.formats):
                self._open_hidden_mp3(settings)
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

    def _open_hidden_mp3(self, settings: EncodeSettings) -> None:
        self._hidden = TempFile(self.spec.directory / f"{self.spec.stem}.epub.mp3")
        args = encode.mp3_args(settings.mp3_kbps, settings.sample_rate)
        sink = EncoderSink(f"{self.spec.stem} (EPUB audio)", [], [*args, str(self._hidden.temp)])
        self._sinks.append(("epub-mp3", sink, self._hidden))

    def chapter(self, number: int, title: str) -> None:
        """Label the timings of the pieces that follow (the book track spans many chapters)."""
        self._chapter = (number, title)

    def _ffmetadata(self) -> Path | None:
        if not self.spec.marks:
            return None
        handle, name = tempfile.mkstemp(prefix="narrator-", suffix=".ffmeta")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(ffmetadata(self.spec.marks))
        self._meta = Path(name)
        return self._meta

    def write(self, pcm: np.ndarray, placed: Placed | None = None, first: bool = False) -> None:
        """Append a block; the first block of a piece records its timing."""
        if placed is not None and first:
            number, title = self._chapter
            end = self.position + placed.samples
            self.timings.append(Timing(number, title, placed.piece, self.position, end))
        for _, sink, _ in self._sinks:
            sink.write(pcm)
        if self.meter is not None:
            self.meter.write(pcm)
        if self.silence_tracker is not None:
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
            self._write_timed_files()
            loudness = self.meter.finish() if self.meter is not None else None
            if self.silence_tracker is not None:
                self.silence_tracker.finish()
            self._tag()
            files = tuple(temp.commit() for temp in self._temps)
        except BaseException:
            self.abort()
            raise
        self._drop_meta()
        return TrackResult(
            files,
            self.position,
            loudness,
            self.silence_tracker,
            tuple(self.timings),
            self._epub_audio(files),
        )

    def _write_timed_files(self) -> None:
        """Subtitles and the timings sidecar, all from the one list of timings."""
        for kind, temp in self._cues:
            write_cues(temp.temp, kind, self.timings)
        if self._timings_file is not None:
            names = [f"{self.spec.stem}.{kind}" for kind in self.spec.formats]
            text = timings_json(self.timings, self.position, self._rate, names)
            try:
                self._timings_file.temp.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise AssemblyError(
                    f"{self._timings_file.final}: cannot write ({exc.strerror}); check output.dir"
                ) from exc

    def _epub_audio(self, files: tuple[Path, ...]) -> EpubAudio | None:
        if not self.spec.epub_audio:
            return None
        if self._hidden is not None:
            return EpubAudio(self._hidden.temp, "audio/mpeg", hidden=True)
        mp3 = [f for f in files if f.suffix == ".mp3"]
        m4b = [f for f in files if f.suffix == ".m4b"]
        return (
            EpubAudio(mp3[0], "audio/mpeg", False) if mp3 else EpubAudio(m4b[0], "audio/mp4", False)
        )

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
        steps = [sink.abort for _, sink, _ in self._sinks]
        if self.meter is not None:
            steps.append(self.meter.abort)
        steps += [temp.discard for temp in self._temps]
        if self._hidden is not None:
            steps.append(self._hidden.discard)
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


def discard_hidden(results: Sequence[TrackResult]) -> None:
    """Delete the EPUB-only MP3s of finished tracks (once the EPUB holds them, or on failure)."""
    for result in results:
        if result.epub_audio is not None and result.epub_audio.hidden:
            _remove(result.epub_audio.path)
