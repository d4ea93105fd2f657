"""A job's proof-listening: the verifier wired to its plan, voices and service, and its report.

Used by `narrator run` (with `verify: report|fix`, alongside synthesis) and `narrator verify`.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

import anyio

from narrator.assembly.pcmstream import PauseSamples
from narrator.errors import NarratorError
from narrator.jobfile import Job, VoiceSpec
from narrator.plan import Plan, PlannedSegment, request_params, segmenter_settings
from narrator.scheduler import PoolSettings
from narrator.service import Service, job_service
from narrator.store import Store
from narrator.text.boundary import Boundary
from narrator.verify.recognizer import Recognizer, model_path
from narrator.verify.report import VerifyReport, build_report
from narrator.verify.runner import SessionTakes, TakeSource, Verifier, VerifySettings, resplit

Stored = Callable[[PlannedSegment], None]


def check_recognizer() -> None:
    """Raise the one-line UserError (install the extra) before any work, if it is missing."""
    model_path()


def make_verifier(
    job: Job,
    plan: Plan,
    store: Store,
    recognizer: Recognizer,
    service: Service | None,
    pool: PoolSettings,
    fix: bool,
) -> Verifier:
    """A verifier for `job`; fresh takes (fix) go to `service` in each chapter's voice."""
    sources: dict[VoiceSpec, TakeSource] = {}

    def takes_for(chapter: int) -> TakeSource:
        voice = _voice(plan, chapter, job)
        if voice not in sources:
            assert service is not None
            endpoint = service.endpoint(voice.config_id)
            sources[voice] = SessionTakes(endpoint, request_params(voice), pool)
        return sources[voice]

    def split(chapter: int, text: str) -> list[str]:
        return resplit(text, segmenter_settings(job, _voice(plan, chapter, job)))

    settings = VerifySettings(fix=fix)
    return Verifier(store, recognizer, settings, takes_for if fix else None, split)


def _voice(plan: Plan, chapter: int, job: Job) -> VoiceSpec:
    return plan.chapters[chapter].voice if chapter < len(plan.chapters) else job.voice


def report(job: Job, store: Store) -> VerifyReport:
    """The verification report, with still-bad segments timed as in the chapter files."""
    pauses = PauseSamples.of(job.pauses)
    return build_report(store, pauses.lead_in, lambda b: pauses.after(Boundary(b)))


async def alongside(
    verifier: Verifier,
    synthesize: Callable[[Stored], Awaitable[object]],
) -> object:
    """Run `synthesize(stored)` while the verifier hears each segment it stores; then sweep.

    The queue of keys is unbounded on purpose: it holds short keys, never audio, and the pool
    must never wait for the recognizer.
    """
    send, receive = anyio.create_memory_object_stream[PlannedSegment](math.inf)
    result: list[object] = []

    async def produce() -> None:
        async with send:
            result.append(await synthesize(send.send_nowait))

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(verifier.run, receive)
            group.start_soon(produce)
    except* NarratorError as errors:
        raise _first(errors) from None
    return result[0]


def _first(group: BaseExceptionGroup) -> BaseException:
    leaf = group.exceptions[0]
    return _first(leaf) if isinstance(leaf, BaseExceptionGroup) else leaf


def open_for(job: Job) -> AbstractAsyncContextManager[Service]:
    """The job's service (the embedded local server when the job names none)."""
    return job_service(job)
