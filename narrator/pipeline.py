"""A job from sources to finished audio files (the library behind `narrator run`).

    job file -> plan (sources, lexicon, segments) -> store -> pool (synthesis) -> assembly

The store is the source of truth: a run stores every finished segment as it arrives, so a
killed run resumes where it stopped, and a second run of an unchanged job sends no request.
Nothing here prints: notes go to `RunOptions.note` as they arise and into the summary, and
progress goes to the object `RunOptions.progress` makes.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

import anyio

from narrator.assembly import (
    AssemblyResult,
    BookInfo,
    ChapterAudio,
    OutputOptions,
    Pauses,
    Piece,
    assemble,
    ownership,
)
from narrator.assembly.model import SourceRef
from narrator.assembly.timings import part_sources
from narrator.codes import ErrorCode
from narrator.errors import AuthError, JobStopped, Unreachable
from narrator.jobfile import Job, VoiceSpec
from narrator.plan import (
    Plan,
    PlannedSegment,
    SkippedPart,
    build_plan,
    request_params,
    segmenter_settings,
    title_sentence,
)
from narrator.scheduler import Pool, PoolReport, PoolSettings
from narrator.service import Service, job_service, key_env, key_option, read_api_key
from narrator.store import Store
from narrator.text.boundary import Boundary
from narrator.text.segmenter import split_text
from narrator.text.sentences import resolve_language


@dataclass
class RunSummary:
    planned: int = 0  # requests: distinct texts (identical text is synthesized once)
    segments: int = 0  # positions in the plan
    reused: int = 0
    synthesized: int = 0
    failed: int = 0
    requests: int = 0
    audio_seconds: float = 0.0
    files: list[Path] = field(default_factory=list)
    qc_table: str = ""
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # from assembly
    plan_notes: list[str] = field(default_factory=list)
    skipped: list[SkippedPart] = field(default_factory=list)  # read but not spoken (plan)
    verify_table: str = ""  # proof-listening, when the job's `verify` is not off

    @property
    def complete(self) -> bool:
        return self.failed == 0


class SynthesisMeter(Protocol):
    """What the pool reports progress to: a finished segment, and segments added by splits."""

    def advance(self, seconds: float) -> None: ...

    def grow(self, count: int) -> None: ...


class RunMeter(SynthesisMeter, Protocol):
    """Progress over a whole run: synthesis (as above), then assembly as a fraction done.

    `assembling` is called from the assembly's worker thread.
    """

    def assembling(self, fraction: float) -> None: ...


@dataclass(frozen=True)
class Workload:
    """What a run has ahead of it, for one overall progress bar and ETA."""

    segments: int  # to synthesize (not already stored)
    book_seconds: float  # predicted length of the book, pauses included: what assembly encodes
    assemble: bool


class _NoMeter:
    def advance(self, seconds: float) -> None:
        pass

    def grow(self, count: int) -> None:
        pass

    def assembling(self, fraction: float) -> None:
        pass


def _no_progress(work: Workload) -> AbstractContextManager[RunMeter]:
    return nullcontext(_NoMeter())


def _ignore(note: str) -> None:
    pass


def _ignore_counts(done: int, total: int) -> None:
    pass


@dataclass(frozen=True)
class RunOptions:
    fresh: bool = False
    assemble: bool = True
    force: bool = False  # replace files in output.dir that narrator did not write
    # Called with each plan note as soon as it is known (the summary keeps them too).
    note: Callable[[str], None] = _ignore
    # Told (characters planned, total) while the job is planned; the CLI shows long plans.
    planning: Callable[[int, int], None] = _ignore_counts
    # Makes the meter for the whole run (synthesis, then assembly); the CLI passes a bar.
    progress: Callable[[Workload], AbstractContextManager[RunMeter]] = _no_progress


async def run_job(job: Job, options: RunOptions = RunOptions()) -> RunSummary:
    """Plan, synthesize what the store lacks, then assemble. Raises JobStopped on fatal errors."""
    if job.server is not None:  # a missing key is said before anything is read or created
        read_api_key(job.server.api_key_env, key_option(job))

    # Planning a huge book takes a while: it stops at once when the run is cancelled.
    def planning(done: int, total: int) -> None:
        anyio.from_thread.check_cancelled()
        options.planning(done, total)

    plan = await anyio.to_thread.run_sync(build_plan, job, planning)
    for note in plan.notes:
        options.note(note)
    store = await anyio.to_thread.run_sync(lambda: Store.open(job.workspace, fresh=options.fresh))
    try:
        # Temp files a killed run left in the output folder (never a live run's).
        await anyio.to_thread.run_sync(ownership.remove_stale_temps, job.output.directory)
        pending = await _store_plan(job, plan, store, options)
        summary = RunSummary(
            planned=plan.unique_requests,
            segments=len(plan.segments),
            reused=store.count_stored(plan.segments),
        )
        summary.plan_notes.extend(plan.notes)
        summary.skipped.extend(plan.skipped)
        work = Workload(len(pending), plan.seconds_with(job.pauses), options.assemble)
        with options.progress(work) as meter:
            if job.verify != "off":
                await _synthesize_verified(job, plan, store, pending, meter, summary)
            elif pending:
                await _synthesize(job, plan, store, pending, meter, summary)
            if summary.complete and options.assemble:
                await _assemble(job, plan, store, options, meter, summary)
        return summary
    finally:
        store.close()


async def _store_plan(
    job: Job, plan: Plan, store: Store, options: RunOptions
) -> list[PlannedSegment]:
    voice_of = {key: (v.config_id, request_params(v)) for key, v in plan.voices.items()}
    diff = store.set_plan(plan.segments, [c.title for c in plan.chapters], voice_of)
    if diff.adopted:
        options.note(
            f"workspace {job.workspace} had no manifest: adopted {diff.adopted} stored audio "
            "files that passed their checks (length, logged sha256); they are not synthesized again"
        )
    await anyio.to_thread.run_sync(store.verify_done)
    return store.pending()


async def _assemble(
    job: Job, plan: Plan, store: Store, options: RunOptions, meter: RunMeter, summary: RunSummary
) -> None:
    """Assembly in a worker thread that stops within moments when the run is cancelled.

    The thread polls anyio's cancellation at every progress step; the exception it raises
    there makes the assembler kill its ffmpeg processes and delete its temp files before the
    thread ends, and the run waits for that (the thread is not abandoned).
    """

    def progress(fraction: float) -> None:
        anyio.from_thread.check_cancelled()
        meter.assembling(fraction)

    result = await anyio.to_thread.run_sync(
        partial(_assemble_outputs, job, plan, store, options, summary, progress)
    )
    if job.verify != "off" and result is not None and result.qc is not None:
        await anyio.to_thread.run_sync(_add_verification, job, store, result)


async def _synthesize(
    job: Job,
    plan: Plan,
    store: Store,
    pending: Sequence[PlannedSegment],
    bar: RunMeter,
    summary: RunSummary,
    service: Service | None = None,
    stored: Callable[[PlannedSegment], None] = lambda segment: None,
) -> RunSummary:
    """Synthesize `pending` (through `service`, or one opened here); `stored` is told of each
    segment whose audio is stored."""

    def progress(segment: PlannedSegment, seconds: float) -> None:
        bar.advance(seconds)
        stored(segment)

    opened = nullcontext(service) if service is not None else job_service(job)
    async with opened as service:
        for voice, segments in _by_voice(pending, plan):
            pool = Pool(
                store,
                service.endpoint(voice.config_id),
                request_params(voice),
                _pool_settings(job, service.lanes),
                partial(split_text, settings=segmenter_settings(job, voice), parts=2),
                progress=progress,
                grow=bar.grow,
            )
            try:
                _add(summary, await pool.run(segments))
            except JobStopped as stopped:
                raise JobStopped(stopped.cause, _explain(stopped, job, voice)) from None
    return summary


async def _synthesize_verified(
    job: Job,
    plan: Plan,
    store: Store,
    pending: Sequence[PlannedSegment],
    bar: RunMeter,
    summary: RunSummary,
) -> None:
    """Synthesis with proof-listening alongside (`verify: report|fix`, narrator.verify)."""
    from narrator.verify import job as verifying
    from narrator.verify.recognizer import Recognizer

    verifying.check_recognizer()  # a missing extra is one line before any work
    async with verifying.open_for(job) as service:
        verifier = verifying.make_verifier(
            job, plan, store, Recognizer(), service, _pool_settings(job), job.verify == "fix"
        )
        await verifying.alongside(
            verifier,
            lambda stored: _synthesize(job, plan, store, pending, bar, summary, service, stored),
        )
    summary.verify_table = verifying.report(job, store).table()
    summary.notes.extend(verifier.counts.notes)


def _add_verification(job: Job, store: Store, result: AssemblyResult) -> None:
    """Put the verification report into the QC JSON written by assembly (additive)."""
    from narrator.verify import job as verifying

    if result.qc is None:  # QC off: no JSON to add to
        return
    qc = dataclasses.replace(result.qc, verification=verifying.report(job, store).to_dict())
    for path in result.files:
        if path.name.endswith(".qc.json"):
            # In place as any output is, so the output record keeps it as narrator's own.
            temp = ownership.temp_name(path)
            temp.write_text(qc.to_json(), encoding="utf-8")
            ownership.put_in_place(temp, path, force=True)


def _explain(stopped: JobStopped, job: Job, voice: VoiceSpec) -> str:
    """Name what the user has to fix for a fatal service error."""
    cause = stopped.cause
    code = getattr(cause, "code", None)
    where = f"{job.path.name}"
    if isinstance(cause, AuthError) or code in (ErrorCode.AUTH_FAILED, ErrorCode.UNAUTHORIZED):
        return (
            f"{where}: the service refused the API key in ${key_env(job)} ({cause}); "
            f"set {key_env(job)} to a valid key"
        )
    if code == ErrorCode.MODEL_NOT_FOUND:
        return (
            f"{where}: voice.config_id {voice.config_id!r} is unknown to the service ({cause}); "
            "fix the config_id"
        )
    if isinstance(cause, Unreachable):
        return (
            f"{where}: {cause}; check server.url in the job file, or start the server "
            "(narrator serve), or remove the server key to use the built-in local voices"
        )
    if code in (ErrorCode.MISSING_CONFIG_ID, ErrorCode.INVALID_HEADERS):
        return f"{where}: the service refused the request ({cause}); check server.url and voice"
    return f"{where}: {stopped}"


def _pool_settings(job: Job, lanes: int = 0) -> PoolSettings:
    s = job.synthesis
    return PoolSettings(
        concurrency=max(s.concurrency, lanes),
        max_attempts=s.max_attempts,
        request_timeout=s.request_timeout,
        connect_timeout=s.connect_timeout,
        backoff_max=s.backoff_max,
    )


def _by_voice(
    pending: Sequence[PlannedSegment], plan: Plan
) -> list[tuple[VoiceSpec, list[PlannedSegment]]]:
    groups: dict[VoiceSpec, list[PlannedSegment]] = {}
    for segment in pending:
        # Split parts of a resumed run are not in the plan: their chapter's voice speaks them.
        groups.setdefault(plan.chapters[segment.chapter].voice, []).append(segment)
    return list(groups.items())


def _add(summary: RunSummary, report: PoolReport) -> None:
    summary.synthesized += report.done
    summary.failed += report.failed
    summary.requests += report.requests
    summary.audio_seconds += report.audio_seconds
    summary.errors.extend(report.errors)


def _assemble_outputs(
    job: Job,
    plan: Plan,
    store: Store,
    options: RunOptions,
    summary: RunSummary,
    progress: Callable[[float], None] | None = None,
) -> AssemblyResult | None:
    """Assemble, unless the outputs of exactly these inputs are in place and untouched."""
    book, chapters, pauses, output = _assembly_inputs(job, plan, store, options.force)
    digests = [
        (chapter.title, _voice_label(chapter.voice), store.audio_digests(index))
        for index, chapter in enumerate(plan.chapters)
        if chapter.segments
    ]
    fingerprint = ownership.fingerprint(book, digests, pauses, output)
    kept = ownership.up_to_date(job.output.directory, fingerprint)
    if kept is not None:
        options.note(
            f"the {len(kept)} files in {job.output.directory} are up to date with the stored audio "
            "and the job's settings; nothing re-encoded"
        )
        return None
    result = assemble(book, chapters, pauses, output, progress)
    ownership.mark_complete(job.output.directory, fingerprint, result.files)
    summary.files = list(result.files)
    summary.qc_table = result.qc.table() if result.qc is not None else ""
    if result.qc is None:  # otherwise the notes are rows of the QC table already
        summary.notes.extend(result.notes)
    return result


def assemble_job(
    job: Job,
    plan: Plan,
    store: Store,
    progress: Callable[[float], None] | None = None,
    force: bool = False,
) -> AssemblyResult:
    """Write the job's outputs from the stored audio (streamed chapter by chapter).

    `progress` gets the fraction done; an exception raised from it stops the assembly cleanly.
    """
    return assemble(*_assembly_inputs(job, plan, store, force), progress)


def _assembly_inputs(
    job: Job, plan: Plan, store: Store, force: bool
) -> tuple[BookInfo, list[ChapterAudio], Pauses, OutputOptions]:
    chapters = [
        ChapterAudio(
            chapter.title,
            _pieces_of(store, plan, index, _voice_label(chapter.voice)),
            chapter.paragraphs,
            _title_at(job, chapter.title, chapter.paragraphs),
        )
        for index, chapter in enumerate(plan.chapters)
        if chapter.segments
    ]
    book = BookInfo(
        title=job.title,
        author=job.author,
        cover=job.cover,
        language=_language_tag(job.voice.language),
        narrator=job.narrator,
    )
    return book, chapters, job.pauses, dataclasses.replace(job.output, force=force)


def _pieces_of(store: Store, plan: Plan, chapter: int, voice: str):
    """The chapter's stored pieces, each with the source span of the segment it speaks."""
    spans = {
        seg.order: span
        for seg, span in zip(plan.segments, plan.spans, strict=True)
        if seg.chapter == chapter and span.chapter == chapter
    }
    paragraphs = plan.chapters[chapter].paragraphs

    def pieces() -> Iterator[Piece]:
        for order, group in itertools.groupby(store.segment_pieces(chapter), key=lambda r: r[0]):
            rows = list(group)
            span = spans.get(order)
            refs: Sequence[SourceRef | None] = [None] * len(rows)
            if span is not None and span.paragraph < len(paragraphs):
                where = (span.paragraph, span.start, span.end)
                text = paragraphs[span.paragraph]
                refs = part_sources(span.file, text, where, order, [r[2] for r in rows])
            for (_, path, text, boundary), ref in zip(rows, refs, strict=True):
                yield Piece(path, text, Boundary(boundary), voice, ref)

    return pieces


def _title_at(job: Job, title: str, paragraphs: Sequence[str]) -> int | None:
    """Which paragraph is the chapter's announced title (the EPUB shows it as the heading):
    the first, or the second when the opening credit is spoken before it; None: neither."""
    if not job.speak_titles:
        return None
    first = 1 if job.credit and paragraphs and paragraphs[0] == job.credit else 0
    said = paragraphs[first] if first < len(paragraphs) else None
    return first if said == title_sentence(title) else None


def _language_tag(language: str) -> str:
    """A BCP 47 tag for the EPUB: the job's own if it is one ("en-GB"), else from its name."""
    if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", language.strip()):
        return language.strip()
    return resolve_language(language)[0]


def _voice_label(voice: VoiceSpec) -> str:
    """Names a voice as QC groups paces: the config id and the params sent with it."""
    return f"{voice.config_id} {json.dumps(request_params(voice), sort_keys=True)}"


__all__ = [
    "RunMeter",
    "RunOptions",
    "RunSummary",
    "SynthesisMeter",
    "Workload",
    "run_job",
    "assemble_job",
]
