"""The bounded synthesis pool: workers with reused sessions, retries, adaptive concurrency.

    pending segments --(stream, buffer 0)--> N workers --synthesize--> store.put_audio

Each worker owns one `Session`. Before each request it takes a slot from `AdaptiveLimit`,
whose limit follows AIMD: a RATE_LIMITED answer cuts it to 70 % (at most once per cool-down),
successes grow it again over time. Retries use tenacity with full-jitter exponential backoff
(a random wait up to min(backoff_max, backoff_initial * 2**n)), only for errors
`errors.classify` calls retryable (never cancellation). A fatal job error (bad key, unknown
voice) leaves the task group, which cancels the siblings: the job stops within one request per
worker, and a refused key costs one handshake in all (`ConnectGate`). Audio that came back cut
at the cap is split (by the splitter the caller injects) and its parts synthesized in its place.

Nothing blocking runs on the event loop: manifest bookkeeping (claims, a batch at a time by the
dispatcher; record_request, mark_failed, split) goes to one store thread at a time
(`_StoreCalls`), and splitting and audio writes (with the count of the request that brought the
audio) run in worker threads, so an fsync or a slow commit never stalls the sessions.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import anyio
from tenacity import AsyncRetrying, RetryCallState, stop_after_attempt, wait_random_exponential

from narrator.codes import ErrorCode
from narrator.errors import (
    AuthError,
    JobStopped,
    LocalProtocolError,
    NarratorError,
    ServerError,
    SynthesisError,
    TransportError,
    Verdict,
    classify,
    classify_streak,
    is_retryable,
    lost_streak,
)
from narrator.plan import PlannedSegment
from narrator.store import Store
from narrator.wire.client import Endpoint, Session, SynthesisResult

MAX_SPLIT_DEPTH = 6

T = TypeVar("T")

# The text of a segment whose audio came back cut at the cap -> parts that keep all its text
# (two or more whenever it has two words or more). Injected: the pool knows no sentence rules.
Splitter = Callable[[str], Sequence[str]]


@dataclass(frozen=True)
class PoolSettings:
    concurrency: int = 4
    max_attempts: int = 8
    request_timeout: float = 120.0
    connect_timeout: float | None = None
    backoff_initial: float = 0.25
    backoff_max: float = 20.0
    # After this many segments in a row failed every attempt on transport errors, the service is
    # considered gone and the job stops (rather than burning attempts on every remaining segment).
    unreachable_after: int = 3


@dataclass
class PoolReport:
    done: int = 0
    failed: int = 0
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    splits: int = 0
    audio_seconds: float = 0.0
    usage: int = 0
    errors: list[str] = field(default_factory=list)


class AdaptiveLimit:
    """A concurrency limit under AIMD.

    RATE_LIMITED multiplies the limit by DECREASE (at most once per cool-down, since answers to
    requests sent before the cut keep arriving); successes grow it by GROWTH slots per second
    of elapsed time, starting a cool-down after the last cut. Time-based growth keeps the probe
    for spare capacity gentle however short the requests are.
    """

    DECREASE = 0.7
    GROWTH = 0.5  # slots per second

    def __init__(
        self, maximum: int, *, cooldown: float = 1.0, clock: Callable[[], float] = time.monotonic
    ):
        self.maximum = maximum
        self.limit = float(maximum)
        self.in_use = 0
        self._cooldown = cooldown
        self._clock = clock
        self._last_decrease = -math.inf
        self._last_growth = clock()
        self._condition = anyio.Condition()

    async def acquire(self) -> None:
        async with self._condition:
            while self.in_use >= max(1, int(self.limit)):
                await self._condition.wait()
            self.in_use += 1

    async def release(self) -> None:
        with anyio.CancelScope(shield=True):
            async with self._condition:
                self.in_use -= 1
                self._condition.notify_all()

    def on_success(self) -> None:
        now = self._clock()
        elapsed, self._last_growth = now - self._last_growth, now
        if now - self._last_decrease >= self._cooldown:
            self.limit = min(float(self.maximum), self.limit + self.GROWTH * elapsed)

    def on_rate_limited(self) -> None:
        now = self._clock()
        if now - self._last_decrease >= self._cooldown:
            self.limit = max(1.0, self.limit * self.DECREASE)
            self._last_decrease = now


class ConnectGate:
    """Opens the pool's first session so that a refused key costs one handshake in all.

    Until the service has accepted a handshake, workers open their sessions one at a time; the
    first refusal of the key (HTTP 401/403 or AUTH_FAILED) closes the gate for good: every
    worker waiting on it fails at once, without touching the network. Once one session has
    been accepted the gate stands open, and sessions connect within their request as before.
    """

    def __init__(self) -> None:
        self._lock = anyio.Lock()
        self._accepted = False
        self._refused: AuthError | None = None

    async def open(self, session: Session) -> None:
        """Connect `session` while no handshake has been accepted yet; else do nothing.

        Raises:
            AuthError: this session's handshake, or an earlier one, was refused.
        """
        if self._accepted:
            return
        async with self._lock:
            if self._refused is not None:
                raise AuthError(self._refused.code, self._refused.message)
            if self._accepted:
                return
            try:
                await session.connect()
            except AuthError as exc:
                self._refused = exc
                raise
            self._accepted = True


ProgressFn = Callable[[PlannedSegment, float], None]


class _StoreCalls:
    """The pool's manifest bookkeeping, run off the event loop one call at a time.

    Store methods take the store's lock, which audio writers hold while they commit (and
    SQLite may checkpoint and fsync inside a commit): run on the loop, one would stall every
    session. One thread token keeps the calls in the order the loop makes them, as a single
    store writer thread would; their own limiter keeps them out of the queue of audio writes.
    A call once made runs to its end even if the job is cancelled meanwhile (shielded), as it
    did when it ran inline: a counted request or a claimed segment is never half-recorded.
    """

    def __init__(self) -> None:
        self._limiter = anyio.CapacityLimiter(1)

    async def __call__(self, call: Callable[[], T]) -> T:
        with anyio.CancelScope(shield=True):
            result = await anyio.to_thread.run_sync(call, limiter=self._limiter)
        return result


class Pool:
    """Synthesizes a store's pending segments through `settings.concurrency` sessions."""

    def __init__(
        self,
        store: Store,
        endpoint: Endpoint,
        params: Mapping[str, Any],
        settings: PoolSettings,
        split: Splitter,
        progress: ProgressFn | None = None,
        grow: Callable[[int], None] | None = None,
    ) -> None:
        self.store = store
        self.endpoint = endpoint
        self.params = dict(params)
        self.settings = settings
        self.split = split
        self.progress = progress or (lambda segment, seconds: None)
        self.grow = grow or (lambda extra: None)  # a split added `extra` segments to do
        self.limit = AdaptiveLimit(settings.concurrency)
        self.gate = ConnectGate()
        self.report = PoolReport()
        self._unreachable_streak = 0
        self._manifest = _StoreCalls()

    async def run(self, segments: Sequence[PlannedSegment]) -> PoolReport:
        """Synthesize `segments` (in order of dispatch); raises JobStopped on a fatal error."""
        send, receive = anyio.create_memory_object_stream[PlannedSegment](0)
        try:
            async with anyio.create_task_group() as tg:
                for _ in range(min(self.settings.concurrency, max(1, len(segments)))):
                    tg.start_soon(self._worker, receive.clone())
                receive.close()
                async with send:
                    await self._dispatch(segments, send)
        except* NarratorError as group:
            # A fatal service error, or a store write that failed (disk full): one error out,
            # not a nested group, so the CLI can print its one line.
            raise _first_leaf(group) from None
        return self.report

    async def _dispatch(
        self, segments: Sequence[PlannedSegment], send: anyio.abc.ObjectSendStream[PlannedSegment]
    ) -> None:
        """Claim segments a batch at a time (one store call per `concurrency` segments, not one
        on each worker's path per segment) and hand them to the workers in order. Those claimed
        but never handed out (the job stopped) are released as they were."""
        batch = max(1, self.settings.concurrency)
        claimed: dict[str, str] = {}
        try:
            for start in range(0, len(segments), batch):
                chunk = segments[start : start + batch]
                claimed = await self._manifest(
                    partial(self.store.claim_many, [segment.key for segment in chunk])
                )
                for segment in chunk:
                    if segment.key not in claimed:
                        continue  # done or in flight already (a split part of an earlier one)
                    try:
                        await send.send(segment)
                    except anyio.BrokenResourceError:
                        return  # every worker has ended (with an error the group raises)
                    del claimed[segment.key]
        finally:
            if claimed:
                await self._manifest(partial(self.store.release, claimed))

    async def _worker(self, receive: anyio.abc.ObjectReceiveStream[PlannedSegment]) -> None:
        async with (
            receive,
            Session(
                self.endpoint,
                request_timeout=self.settings.request_timeout,
                connect_timeout=self.settings.connect_timeout,
            ) as session,
        ):
            async with anyio.create_task_group() as writes:
                writer = _Writer(writes)
                async for segment in receive:  # claimed by the dispatcher
                    await self._claimed(session, writer, segment, depth=0)

    async def _segment(
        self, session: Session, writer: _Writer, segment: PlannedSegment, depth: int
    ) -> None:
        if await self._manifest(partial(self.store.claim, segment.key)):
            await self._claimed(session, writer, segment, depth)
        # else another worker holds this text (a split part equal to a planned segment)

    async def _claimed(
        self, session: Session, writer: _Writer, segment: PlannedSegment, depth: int
    ) -> None:
        """Synthesize and store a segment this pool has claimed (split it if cut at the cap)."""
        try:
            result = await self._attempts(session, segment)
        except JobStopped:
            raise
        except SynthesisError as exc:
            await self._fail(segment, exc)
            return
        self._unreachable_streak = 0
        if result.truncated and depth < MAX_SPLIT_DEPTH and self._splittable(segment.text):
            await self._manifest(partial(self.store.record_request, segment.key, "ok"))
            await self._resplit(session, writer, segment, depth)
            return
        await writer.submit(
            partial(self._store_audio, segment, result), partial(self._stored, segment, result)
        )

    def _store_audio(self, segment: PlannedSegment, result: SynthesisResult) -> None:
        """In a writer thread: count the request that brought the audio, then store the audio.

        Counted here, not on a store call of its own, so the worker's next request does not
        wait for a thread round trip; the count still comes before the audio is done.
        """
        self.store.record_request(segment.key, "ok")
        self.store.put_audio(segment.key, result.pcm, usage=result.usage)

    def _stored(self, segment: PlannedSegment, result: SynthesisResult) -> None:
        self.report.done += 1
        self.report.audio_seconds += result.seconds
        self.report.usage += result.usage
        self.progress(segment, result.seconds)

    async def _resplit(
        self, session: Session, writer: _Writer, segment: PlannedSegment, depth: int
    ) -> None:
        parts = await anyio.to_thread.run_sync(self.split, segment.text)  # pysbd: CPU-bound
        planned = await self._manifest(partial(self.store.split, segment.key, parts))
        self.report.splits += 1
        self.grow(len(planned) - 1)
        for part in planned:
            # Parts may be done already (a resumed run), or be the same text another worker
            # holds: `_segment` claims each one and skips those it cannot.
            await self._segment(session, writer, part, depth + 1)

    @staticmethod
    def _splittable(text: str) -> bool:
        return len(text.split()) >= 2

    async def _attempts(self, session: Session, segment: PlannedSegment) -> SynthesisResult:
        s = self.settings
        async for attempt in retrying(s.max_attempts, s.backoff_initial, s.backoff_max):
            with attempt:
                number = attempt.retry_state.attempt_number
                if number > 1:
                    self.report.retries += 1
                return await self._request(session, segment, number)
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    async def _request(
        self, session: Session, segment: PlannedSegment, attempt: int = 1
    ) -> SynthesisResult:
        """One attempt; a failed one is counted in the manifest here (a successful one by the
        caller, with its audio), and a FATAL_JOB error stops the job."""
        try:
            return await self._send(session, segment)
        except SynthesisError as exc:
            await self._manifest(partial(self.store.record_request, segment.key, _outcome(exc)))
            if classify(exc, attempt) is Verdict.FATAL_JOB:
                raise JobStopped(exc, str(exc)) from exc
            raise

    async def _send(self, session: Session, segment: PlannedSegment) -> SynthesisResult:
        """One request under a slot of the adaptive limit (given back before any bookkeeping)."""
        await self.limit.acquire()
        try:
            self.report.requests += 1
            if not session.is_open:
                await self.gate.open(session)
            result = await session.synthesize(segment.text, self.params)
        except ServerError as exc:
            if exc.code == ErrorCode.RATE_LIMITED:  # cut the limit before the slot is free
                self.report.rate_limited += 1
                self.limit.on_rate_limited()
            raise
        finally:
            await self.limit.release()
        self.limit.on_success()
        return result

    async def _fail(self, segment: PlannedSegment, exc: SynthesisError) -> None:
        message = f"segment {segment.chapter + 1}.{segment.order + 1}: {exc}"
        if isinstance(exc, TransportError) and self.endpoint.url not in message:
            message += f" (server {self.endpoint.url}; check server.url and your network)"
        if isinstance(exc, LocalProtocolError):
            message += " (the segment is too long for one message)"
        await self._manifest(partial(self.store.mark_failed, segment.key, str(exc)))
        self.report.failed += 1
        self.report.errors.append(message)
        self._unreachable_streak = lost_streak(exc, self._unreachable_streak)
        streak = self._unreachable_streak
        if classify_streak(streak, self.settings.unreachable_after) is Verdict.FATAL_JOB:
            raise JobStopped(
                exc,
                f"cannot reach the TTS service at {self.endpoint.url} "
                f"({self.settings.max_attempts} attempts each for {streak} segments): {exc}",
            )


class _Writer:
    """A worker's durable store writes run while its next requests are already on the wire.

    At most DEPTH writes per worker are in flight (each holds at most ~1.4 MB of PCM), which
    absorbs fsync stalls without letting finished audio pile up; a failing write (disk full)
    fails the task group and so the job.
    """

    DEPTH = 2

    def __init__(self, group: anyio.abc.TaskGroup) -> None:
        self._group = group
        self._slot = anyio.Semaphore(self.DEPTH)

    async def submit(self, write: Callable[[], None], then: Callable[[], None]) -> None:
        """Run `write` in a thread, then `then` back on the event loop (counters, progress)."""
        await self._slot.acquire()
        self._group.start_soon(self._run, write, then)

    async def _run(self, write: Callable[[], None], then: Callable[[], None]) -> None:
        try:
            # Shielded: audio already received is stored even when the job is being cancelled
            # (Ctrl-C, a fatal error elsewhere); otherwise it would be asked for, and paid, again.
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(write)
        finally:
            self._slot.release()
        then()


def retrying(attempts: int, initial: float, maximum: float) -> AsyncRetrying:
    """narrator's retry policy: only errors `errors.classify` calls retryable (never a
    cancellation), at most `attempts` tries, full-jitter exponential waits (a random wait up to
    min(maximum, initial * 2**n)) so that workers rejected together do not come back together.
    The last error is raised as itself."""
    return AsyncRetrying(
        retry=_retryable,
        stop=stop_after_attempt(attempts),
        wait=wait_random_exponential(multiplier=initial, max=maximum),
        sleep=anyio.sleep,
        reraise=True,
    )


def _retryable(state: RetryCallState) -> bool:
    """tenacity's retry predicate: `errors.is_retryable`, told which attempt failed."""
    exc = state.outcome.exception() if state.outcome is not None else None
    return exc is not None and is_retryable(exc, state.attempt_number)


def _first_leaf(group: BaseExceptionGroup) -> BaseException:
    """The error to report from a (possibly nested) group: workers nest a writes group.

    A JobStopped names what the user must fix, so it wins over errors that siblings raised
    while being stopped; otherwise the first error.
    """
    leaves = list(_leaves(group))
    return next((e for e in leaves if isinstance(e, JobStopped)), leaves[0])


def _leaves(group: BaseExceptionGroup) -> Iterator[BaseException]:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            yield from _leaves(exc)
        else:
            yield exc


def _outcome(exc: SynthesisError) -> str:
    if isinstance(exc, ServerError):
        return exc.code or "plain-text-error"
    return type(exc).__name__
