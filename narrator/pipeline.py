"""A job from sources to finished audio files (the library behind `narrator run`).

    job file -> plan (sources, lexicon, segments) -> store -> pool (synthesis) -> assembly

The store is the source of truth: a run stores every finished segment as it arrives, so a
killed run resumes where it stopped, and a second run of an unchanged job sends no request.
Nothing here prints: notes go to `RunOptions.note` as they arise and into the summary, and
progress goes to the object `RunOptions.progress` makes.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
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
)
from narrator.text.boundary import Boundary
from narrator.client import DEFAULT_KEY_ENV
from narrator.codes import ErrorCode
from narrator.service import open_service, read_api_key
from narrator.errors import AuthError, JobStopped
from narrator.jobfile import Job, VoiceSpec
from narrator.plan import (
    Plan,
    PlannedSegment,
    SkippedPart,
    build_plan,
    request_params,
    segmenter_settings,
)
from narrator.scheduler import Pool, PoolReport, PoolSettings
from narrator.store import Store


@dataclass
class RunSummary:
    planned: int = 0
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

    @property
    def complete(self) -> bool:
        return self.failed == 0


class SynthesisMeter(Protocol):
    """What the pool reports progress to: a finished segment, and segments added by splits."""

    def advance(self, seconds: float) -> None: ...

    def grow(self, count: int) -> None: ...


class _NoMeter:
    def advance(self, seconds: float) -> None:
        pass

    def grow(self, count: int) -> None:
        pass


def _no_progress(total: int) -> AbstractContextManager[SynthesisMeter]:
    return nullcontext(_NoMeter())


def _ignore(note: str) -> None:
    pass


@dataclass(frozen=True)
class RunOptions:
    fresh: bool = False
    assemble: bool = True
    # Called with each plan note as soon as it is known (the summary keeps them too).
    note: Callable[[str], None] = _ignore
    # Makes the meter for `total` pending segments; the CLI passes a progress bar.
    progress: Callable[[int], AbstractContextManager[SynthesisMeter]] = _no_progress


async def run_job(job: Job, options: RunOptions = RunOptions()) -> RunSummary:
    """Plan, synthesize what the store lacks, then assemble. Raises JobStopped on fatal errors."""
    if job.server is not None:  # a missing key is said before anything is read or created
        read_api_key(job.server.api_key_env, f"{job.path.name}: server.api_key_env")
    plan = await anyio.to_thread.run_sync(build_plan, job)
    for note in plan.notes:
        options.note(note)
    store = await anyio.to_thread.run_sync(lambda: Store.open(job.workspace, fresh=options.fresh))
    try:
        summary = await _synthesize(job, plan, store, options)
        summary.plan_notes.extend(plan.notes)
        summary.skipped.extend(plan.skipped)
        if summary.complete and options.assemble:
            result = await anyio.to_thread.run_sync(assemble_job, job, plan, store)
            summary.files = list(result.files)
            summary.qc_table = result.qc.table() if result.qc is not None else ""
            if result.qc is None:  # otherwise the notes are rows of the QC table already
                summary.notes.extend(result.notes)
        return summary
    finally:
        store.close()


async def _synthesize(job: Job, plan: Plan, store: Store, options: RunOptions) -> RunSummary:
    voice_of = {key: (v.config_id, request_params(v)) for key, v in plan.voices.items()}
    store.set_plan(plan.segments, [c.title for c in plan.chapters], voice_of)
    await anyio.to_thread.run_sync(store.verify_done)
    pending = store.pending()
    summary = RunSummary(planned=plan.unique_requests, reused=store.count_stored(plan.segments))
    if not pending:
        return summary
    server = job.server
    with options.progress(len(pending)) as bar:
        async with open_service(server.url if server else None, _key_env(job)) as service:
            for voice, segments in _by_voice(pending, plan):
                pool = Pool(
                    store,
                    service.endpoint(voice.config_id),
                    request_params(voice),
                    _pool_settings(job, service.lanes),
                    segmenter_settings(job, voice),
                    progress=lambda segment, seconds: bar.advance(seconds),
                    grow=bar.grow,
                )
                try:
                    _add(summary, await pool.run(segments))
                except JobStopped as stopped:
                    raise JobStopped(stopped.cause, _explain(stopped, job, voice)) from None
    return summary


def _explain(stopped: JobStopped, job: Job, voice: VoiceSpec) -> str:
    """Name what the user has to fix for a fatal service error."""
    cause = stopped.cause
    code = getattr(cause, "code", None)
    where = f"{job.path.name}"
    if isinstance(cause, AuthError) or code in (ErrorCode.AUTH_FAILED, ErrorCode.UNAUTHORIZED):
        return (
            f"{where}: the service refused the API key in ${_key_env(job)} ({cause}); "
            f"set {_key_env(job)} to a valid key"
        )
    if code == ErrorCode.MODEL_NOT_FOUND:
        return (
            f"{where}: voice.config_id {voice.config_id!r} is unknown to the service ({cause}); "
            "fix the config_id"
        )
    if code in (ErrorCode.MISSING_CONFIG_ID, ErrorCode.INVALID_HEADERS):
        return f"{where}: the service refused the request ({cause}); check server.url and voice"
    return f"{where}: {stopped}"


def _key_env(job: Job) -> str:
    return job.server.api_key_env if job.server else DEFAULT_KEY_ENV


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


def assemble_job(job: Job, plan: Plan, store: Store) -> AssemblyResult:
    """Write the job's outputs from the stored audio (streamed chapter by chapter)."""
    chapters = [
        ChapterAudio(chapter.title, _pieces_of(store, index, _voice_label(chapter.voice)))
        for index, chapter in enumerate(plan.chapters)
        if chapter.segments
    ]
    o, p = job.output, job.pauses
    options = OutputOptions(
        directory=o.dir,
        formats=tuple(o.formats),
        per_chapter=o.per_chapter,
        whole_book=o.whole_book,
        name_template=o.name_template,
        book_template=o.book_template,
        mp3_bitrate=o.mp3_bitrate,
        aac_bitrate=o.aac_bitrate,
        sample_rate=o.sample_rate,
        loudness=o.loudness,
        true_peak=o.true_peak,
        subtitles=tuple(o.subtitles),
        qc=o.qc,
    )
    pauses = Pauses(**dataclasses.asdict(p))
    book = BookInfo(title=job.title, author=job.author, cover=job.cover)
    return assemble(book, chapters, pauses, options)


def _pieces_of(store: Store, chapter: int, voice: str):
    def pieces():
        for path, text, boundary in store.pieces(chapter):
            yield Piece(path, text, Boundary(boundary), voice)

    return pieces


def _voice_label(voice: VoiceSpec) -> str:
    """Names a voice as QC groups paces: the config id and the params sent with it."""
    return f"{voice.config_id} {json.dumps(request_params(voice), sort_keys=True)}"


__all__ = ["RunOptions", "RunSummary", "SynthesisMeter", "run_job", "assemble_job"]
