"""assemble(): validate, plan from file sizes, measure loudness (optional), then stream once.

The one streaming pass feeds every output at the same time: each chapter's own files and the
whole-book file receive the same (gain-scaled) blocks, so the book is read from disk once for
encoding (twice with loudness normalization) and no output is ever copied or joined afterwards.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from narrator.assembly import ownership
from narrator.assembly.chapters import book_marks
from narrator.assembly.epub import EpubChapter, write_epub
from narrator.assembly.loudness import Loudness, Meter, db_to_linear, gain_db
from narrator.assembly.model import SOURCE_RATE, BookInfo, ChapterAudio
from narrator.assembly.naming import NameBook, render_name
from narrator.assembly.options import OutputOptions, Pauses, check_output
from narrator.assembly.outputs import (
    EncodeSettings,
    TempFile,
    Track,
    TrackResult,
    TrackSpec,
    discard_hidden,
)
from narrator.assembly.pcmstream import (
    ChapterPlan,
    PauseSamples,
    apply_gain,
    body_blocks,
    scan,
    silence,
)
from narrator.assembly.qc import ChapterQc, PaceBook, QcReport, dbfs
from narrator.assembly.tags import Cover, Tags, load_cover
from narrator.errors import AssemblyError, OutputError

Progress = Callable[[float], None]


@dataclass(frozen=True)
class AssemblyResult:
    """What `assemble` wrote: the final files, the QC report (None with qc off), and notes."""

    files: tuple[Path, ...]
    qc: QcReport | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Job:
    book: BookInfo
    chapters: tuple[ChapterAudio, ...]  # non-empty chapters only
    plans: tuple[ChapterPlan, ...]
    pauses: PauseSamples
    options: OutputOptions
    settings: EncodeSettings
    cover: Cover | None
    stems: tuple[str, ...]  # chapter file stems
    book_stem: str
    notes: tuple[str, ...]


def assemble(
    book: BookInfo,
    chapters: Sequence[ChapterAudio],
    pauses: Pauses,
    options: OutputOptions,
    progress: Progress | None = None,
) -> AssemblyResult:
    """Write the audiobook files for `chapters` (streamed; memory does not grow with the book).

    Args:
        progress: called with the fraction done (0..1); an exception raised from it stops the
            assembly cleanly (processes killed, temp files removed), so it doubles as a cancel hook.
    Returns:
        The files written (final names only) and the QC report (None when options.qc is off).
    Raises:
        OutputError / SourceError for what the user asked for (one line, with a fix);
        AssemblyError when reading segment audio, ffmpeg or tagging fails.
    """
    job = _prepare(book, chapters, pauses, options)
    report = progress or (lambda fraction: None)
    target = job.options.loudness
    measured = target is not None
    gains, found = (
        _measure(job, target, _Scaled(report, 0.0, 0.3))
        if target is not None
        else ([0.0] * len(job.plans), [])
    )
    notes = job.notes + tuple(found)
    files, chapter_qc, paces = _write(job, gains, _Scaled(report, 0.3 if measured else 0.0, 1.0))
    qc = None
    if options.qc:
        qc = QcReport(tuple(chapter_qc), tuple(paces.outliers()), _total_seconds(job), notes)
        qc_path = options.directory / f"{job.book_stem}.qc.json"
        files.append(_write_text(qc_path, qc.to_json(), options.force))
    report(1.0)
    return AssemblyResult(tuple(files), qc, notes)


class _Scaled:
    """Maps a pass's own 0..1 onto its share of the overall progress, reporting every 0.1%."""

    def __init__(self, report: Progress, low: float, high: float) -> None:
        self._report, self._low, self._high, self._last = report, low, high, -1.0

    def __call__(self, fraction: float) -> None:
        value = self._low + (self._high - self._low) * min(max(fraction, 0.0), 1.0)
        if value - self._last >= 0.001:
            self._last = value
            self._report(value)


def _prepare(
    book: BookInfo, chapters: Sequence[ChapterAudio], pauses: Pauses, options: OutputOptions
) -> _Job:
    settings = _check_options(options)
    pause_samples = PauseSamples.of(pauses)
    cover = load_cover(Path(book.cover)) if book.cover else None
    _check_directory(options.directory)
    kept, plans, notes = [], [], []
    for chapter in chapters:
        plan = scan(chapter, pause_samples)
        if plan.pieces:
            kept.append(chapter)
            plans.append(plan)
        else:
            notes.append(f"chapter {chapter.title!r} has no audio; skipped")
    if not plans:
        raise AssemblyError("no chapter has any audio; nothing to assemble")
    stems, book_stem = _names(book, plans, options)
    ownership.check_replaceable(
        options.directory, _targets(options, stems, book_stem), options.force
    )
    return _Job(
        book,
        tuple(kept),
        tuple(plans),
        pause_samples,
        options,
        settings,
        cover,
        stems,
        book_stem,
        tuple(notes),
    )


def _check_options(options: OutputOptions) -> EncodeSettings:
    bitrates = check_output(options)
    return EncodeSettings(options.sample_rate, bitrates.mp3, bitrates.aac, options.force)


def _check_directory(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise OutputError(
            f"output dir {directory}: not writable ({exc.strerror}); choose another output.dir"
        ) from exc


def _names(
    book: BookInfo, plans: Sequence[ChapterPlan], options: OutputOptions
) -> tuple[tuple[str, ...], str]:
    names = NameBook()
    base = {"book": book.title, "author": book.author or ""}
    book_stem = names.claim(
        render_name(
            options.book_template, {**base, "index": 0, "title": book.title}, "book_template"
        )
    )
    stems = tuple(
        names.claim(
            render_name(
                options.name_template,
                {**base, "index": number, "title": plan.title},
                count=len(plans),
            )
        )
        for number, plan in enumerate(plans, 1)
    )
    return stems, book_stem


def _targets(options: OutputOptions, stems: Sequence[str], book_stem: str) -> list[Path]:
    """Every final path this assembly will write (checked for foreign files before encoding)."""
    names = list(stems) if options.per_chapter else []
    names += [book_stem] if options.whole_book else []
    kinds = [*options.formats, *options.subtitles]
    paths = [options.directory / f"{name}.{kind}" for name in names for kind in kinds]
    if options.qc:
        paths.append(options.directory / f"{book_stem}.qc.json")
    return paths


def _measure(job: _Job, target: float, progress: Progress) -> tuple[list[float], list[str]]:
    """Pass one: each chapter's loudness as its own file would sound; gains in dB and notes."""
    total, done = _body_total(job), 0
    gains: list[float] = []
    notes: list[str] = []
    for chapter, plan in zip(job.chapters, job.plans, strict=True):
        meter = Meter(plan.title)
        try:
            # Measured as the chapter file sounds, edges included, so pass two's meter agrees.
            blocks = chain(
                silence(job.pauses.lead_in),
                body_blocks(chapter, job.pauses),
                silence(job.pauses.tail),
            )
            for block in blocks:
                meter.write(block.pcm)
                if block.placed is not None:
                    done += block.pcm.size
                    progress(done / total)
            loudness = meter.finish()
        except BaseException:
            meter.abort()
            raise
        gain = gain_db(loudness, target, job.options.true_peak)
        gains.append(gain)
        if (note := _short_of_target(plan.title, loudness, gain, job.options)) is not None:
            notes.append(note)
    return gains, notes


def _short_of_target(
    title: str, measured: Loudness, gain: float, options: OutputOptions
) -> str | None:
    """A note when the true-peak ceiling kept a chapter more than 1 LU under the target."""
    if measured.integrated is None or options.loudness is None:
        return None
    reached = measured.integrated + gain
    if options.loudness - reached <= 1.0:
        return None
    return (
        f"chapter {title!r} is at {reached:.1f} LUFS, {options.loudness - reached:.1f} LU under "
        f"output.loudness {options.loudness:g}: more gain would push its true peak past "
        f"output.true_peak {options.true_peak:g} dBTP (narrator applies one gain, no limiter); "
        "lower output.loudness or raise output.true_peak to meet both"
    )


def _body_total(job: _Job) -> int:
    return max(1, sum(plan.body for plan in job.plans))


def _write(
    job: _Job, gains: Sequence[float], progress: Progress
) -> tuple[list[Path], list[ChapterQc], PaceBook]:
    """Pass two: stream every chapter into its files and into the book file at once."""
    book_track = Track(_book_spec(job), job.settings) if _book_formats(job.options) else None
    files: list[Path] = []
    qc: list[ChapterQc] = []
    paces, done, total = PaceBook(), 0, _body_total(job)
    results: list[TrackResult] = []
    try:
        for number, gain in enumerate(gains):
            if book_track is not None:
                book_track.pad(job.pauses.chapter if number else job.pauses.lead_in)
                book_track.chapter(number + 1, job.plans[number].title)
            report = lambda written, base=done: progress((base + written) / total)  # noqa: E731
            result = _write_chapter(job, number, db_to_linear(gain), book_track, paces, report)
            results.append(result)
            files.extend(result.files)
            qc.append(_chapter_qc(number, job.plans[number], gain, result))
            done += job.plans[number].body
        if book_track is not None:
            book_track.pad(job.pauses.tail)
            files.extend(book_track.finish().files)
        if "epub" in job.options.formats:
            files.append(_write_epub(job, results))
    except BaseException:
        if book_track is not None:
            book_track.abort()
        raise
    finally:
        discard_hidden(results)
    return files, qc, paces


def _book_formats(options: OutputOptions) -> tuple[str, ...]:
    return options.audio_formats if options.whole_book else ()


def _write_epub(job: _Job, results: Sequence[TrackResult]) -> Path:
    """The read-along EPUB, from each chapter's timings and its (already encoded) audio."""
    chapters = [
        EpubChapter(
            chapter.title,
            chapter.text,
            chapter.heading,
            result.timings,
            result.samples,
            result.epub_audio,
        )
        for chapter, result in zip(job.chapters, results, strict=True)
        if result.epub_audio is not None
    ]
    return write_epub(
        job.options.directory / f"{job.book_stem}.epub", job.book, chapters, job.cover
    )


def _write_chapter(
    job: _Job,
    number: int,
    gain: float,
    book_track: Track | None,
    paces: PaceBook,
    progress: Callable[[int], None],
) -> TrackResult:
    """One chapter: its own files get lead-in + body + tail; the book track gets the body."""
    plan, written = job.plans[number], 0
    track = Track(_chapter_spec(job, number), job.settings)
    try:
        track.chapter(number + 1, plan.title)
        track.pad(job.pauses.lead_in)
        for block in body_blocks(job.chapters[number], job.pauses):
            pcm = apply_gain(block.pcm, gain)
            track.write(pcm, block.placed, block.first)
            if book_track is not None:
                book_track.write(pcm, block.placed, block.first)
            if block.first and block.placed is not None:
                paces.add(number + 1, block.placed)
            written += pcm.size
            progress(written)
        if written != plan.body:
            raise AssemblyError(f"chapter {plan.title!r} changed while assembling; re-run the job")
        track.pad(job.pauses.tail)
        return track.finish()
    except BaseException:
        track.abort()
        raise


def _tags(job: _Job, title: str, track: tuple[int, int] | None) -> Tags:
    b = job.book
    return Tags(
        title=title,
        album=b.title,
        artist=b.author,
        track=track,
        year=b.year,
        genre=b.genre,
        cover=job.cover,
    )


def _chapter_spec(job: _Job, number: int) -> TrackSpec:
    o = job.options
    formats = o.audio_formats if o.per_chapter else ()
    return TrackSpec(
        o.directory,
        job.stems[number],
        formats,
        o.subtitles,
        _tags(job, job.plans[number].title, (number + 1, len(job.plans))),
        measure=o.qc,
        timings=o.timings,
        epub_audio="epub" in o.formats,
    )


def _book_spec(job: _Job) -> TrackSpec:
    o = job.options
    return TrackSpec(
        o.directory,
        job.book_stem,
        _book_formats(o),
        o.subtitles,
        _tags(job, job.book.title, None),
        marks=tuple(book_marks(job.plans, job.pauses)),
        timings=o.timings,
    )


def _chapter_qc(number: int, plan: ChapterPlan, gain: float, result: TrackResult) -> ChapterQc:
    loud = result.loudness or Loudness(None, None)
    tracker = result.silence
    longest = tracker.longest if tracker else 0
    at = tracker.longest_at if tracker else 0
    return ChapterQc(
        number + 1,
        plan.title,
        round(result.samples / SOURCE_RATE, 3),
        plan.pieces,
        loud.integrated,
        loud.true_peak,
        dbfs(tracker.peak) if tracker else None,
        round(longest / SOURCE_RATE, 3),
        round(at / SOURCE_RATE, 3),
        round(gain, 2),
    )


def _total_seconds(job: _Job) -> float:
    p = job.pauses
    if job.options.whole_book:
        return round(book_marks(job.plans, p)[-1].end / SOURCE_RATE, 3)
    return round(sum(p.lead_in + plan.body + p.tail for plan in job.plans) / SOURCE_RATE, 3)


def _write_text(final: Path, text: str, force: bool = False) -> Path:
    temp = TempFile(final, force)
    try:
        temp.temp.write_text(text, encoding="utf-8")
    except OSError as exc:
        temp.discard()
        raise AssemblyError(f"{final}: cannot write ({exc.strerror}); check output.dir") from exc
    return temp.commit()
