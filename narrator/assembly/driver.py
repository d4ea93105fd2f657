"""assemble(): validate, plan from file sizes, measure loudness (optional), then stream once.

The one streaming pass feeds every output at the same time: each chapter's own files and the
whole-book file receive the same (gain-scaled) blocks, so the book is read from disk once for
encoding (twice with loudness normalization) and no output is ever copied or joined afterwards.
"""

from __future__ import annotations

import tempfile
from itertools import chain
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from narrator.assembly import encode
from narrator.assembly.chapters import book_marks
from narrator.assembly.loudness import Loudness, Meter, db_to_linear, gain_db
from narrator.assembly.model import (
    FORMATS,
    SOURCE_RATE,
    SUBTITLE_FORMATS,
    AssemblyResult,
    BookInfo,
    ChapterAudio,
    OutputOptions,
    Pauses,
)
from narrator.assembly.naming import NameBook, check_template, render_name
from narrator.assembly.outputs import EncodeSettings, TempFile, Track, TrackResult, TrackSpec
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
        OutputError / JobFileError / SourceError for what the user asked for (one line, with a fix);
        AssemblyError when reading segment audio, ffmpeg or tagging fails.
    """
    job = _prepare(book, chapters, pauses, options)
    report = progress or (lambda fraction: None)
    measured = job.options.loudness is not None
    gains, notes = (
        _measure(job, _Scaled(report, 0.0, 0.3)) if measured else ([0.0] * len(job.plans), [])
    )
    notes = job.notes + tuple(notes)
    files, chapter_qc, paces = _write(job, gains, _Scaled(report, 0.3 if measured else 0.0, 1.0))
    qc = None
    if options.qc:
        qc = QcReport(tuple(chapter_qc), tuple(paces.outliers()), _total_seconds(job), notes)
        files.append(_write_text(options.directory / f"{job.book_stem}.qc.json", qc.to_json()))
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
    _check_choice("formats", options.formats, FORMATS)
    _check_choice("subtitles", options.subtitles, SUBTITLE_FORMATS)
    if not options.formats:
        raise OutputError("output.formats is empty; list at least one of wav, mp3, m4b")
    if not (options.per_chapter or options.whole_book):
        raise OutputError("output: per_chapter and whole_book are both off; turn one on")
    check_template(options.name_template)
    check_template(options.book_template, "book_template")
    rate = options.sample_rate
    mp3 = encode.check_mp3(options.mp3_bitrate, rate) if "mp3" in options.formats else 0
    aac = encode.check_aac(options.aac_bitrate, rate) if "m4b" in options.formats else 0
    if "wav" in options.formats and not 8000 <= rate <= 192_000:
        raise OutputError(f"output.sample_rate {rate}: use 8000..192000")
    if options.loudness is not None and not -40 <= options.loudness <= -5:
        raise OutputError(
            f"output.loudness {options.loudness}: use -40..-5 LUFS (e.g. -20) or null"
        )
    if not -20 <= options.true_peak <= 0:
        raise OutputError(f"output.true_peak {options.true_peak}: use -20..0 dBTP (e.g. -3)")
    return EncodeSettings(rate, mp3, aac)


def _check_choice(name: str, chosen: Sequence[str], allowed: Sequence[str]) -> None:
    for item in chosen:
        if item not in allowed:
            raise OutputError(f"output.{name}: unknown {item!r}; use any of {', '.join(allowed)}")


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


def _measure(job: _Job, progress: Progress) -> tuple[list[float], list[str]]:
    """Pass one: each chapter's loudness as its own file would sound; gains in dB and notes."""
    total, done, gains, notes = _body_total(job), 0, [], []
    for chapter, plan in zip(job.chapters, job.plans):
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
        gain = gain_db(loudness, job.options.loudness, job.options.true_peak)
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
    book_track = Track(_book_spec(job), job.settings) if job.options.whole_book else None
    files, qc, paces, done, total = [], [], PaceBook(), 0, _body_total(job)
    try:
        for number, gain in enumerate(gains):
            if book_track is not None:
                book_track.pad(job.pauses.chapter if number else job.pauses.lead_in)
            report = lambda written, base=done: progress((base + written) / total)  # noqa: E731
            result = _write_chapter(job, number, db_to_linear(gain), book_track, paces, report)
            files.extend(result.files)
            qc.append(_chapter_qc(number, job.plans[number], gain, result))
            done += job.plans[number].body
        if book_track is not None:
            book_track.pad(job.pauses.tail)
            files.extend(book_track.finish().files)
    except BaseException:
        if book_track is not None:
            book_track.abort()
        raise
    return files, qc, paces


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
        track.pad(job.pauses.lead_in)
        for block in body_blocks(job.chapters[number], job.pauses):
            pcm = apply_gain(block.pcm, gain)
            track.write(pcm, block.placed, block.first)
            if book_track is not None:
                book_track.write(pcm, block.placed, block.first)
            if block.first:
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
    formats = o.formats if o.per_chapter else ()
    return TrackSpec(
        o.directory,
        job.stems[number],
        formats,
        o.subtitles,
        _tags(job, job.plans[number].title, (number + 1, len(job.plans))),
        measure=o.qc,
    )


def _book_spec(job: _Job) -> TrackSpec:
    o = job.options
    return TrackSpec(
        o.directory,
        job.book_stem,
        o.formats,
        o.subtitles,
        _tags(job, job.book.title, None),
        marks=tuple(book_marks(job.plans, job.pauses)),
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


def _write_text(final: Path, text: str) -> Path:
    temp = TempFile(final)
    try:
        temp.temp.write_text(text, encoding="utf-8")
    except OSError as exc:
        temp.discard()
        raise OutputError(f"{final}: cannot write ({exc.strerror}); check output.dir") from exc
    return temp.commit()
