"""Proof-listening a store: hear every stored take, score it, and (fix mode) replace bad ones.

    stored keys (from the pool, or a sweep of the store) -> batches -> recognizer (worker thread)
        -> scores -> store.record_take -> flagged and fixing? fresh take / re-split -> store

The recognizer runs in a worker thread, so synthesis (the pool, on the event loop) goes on while
takes are heard; `run` takes the keys the pool stores as they arrive, then sweeps the store for
anything not heard yet (an earlier run's audio, parts of a re-split). A take is judged once: its
score is kept with the digest of its audio, so a resumed run never hears it again unless the
audio changed. A take the recognizer fails on is skipped with a note, never stopping the others.

Fixing a flagged segment: a fresh request (same text); after a second flagged take, the text is
re-split at its sentence (then clause) boundaries, the parts spoken and heard together as the book
plays them, a bad part spoken again (up to `part_takes`); the parts replace the segment only if
together they score better. At most `max_takes` takes per segment; the best take by
`policy.badness` is the one stored.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import anyio
import anyio.to_thread
from anyio.abc import ObjectReceiveStream

from narrator.errors import StoreError, SynthesisError
from narrator.plan import PlannedSegment
from narrator.scheduler import PoolSettings, retrying
from narrator.store import DONE, Leaf, Store, Take
from narrator.text.segmenter import SegmenterSettings, split_text
from narrator.text.sentences import sentence_spans
from narrator.verify.align import Scores, combine, score
from narrator.verify.policy import DEFAULT, Thresholds, badness, reasons
from narrator.verify.recognizer import SOURCE_RATE, Heard, Recognizer, pack
from narrator.wire.client import Endpoint, Session

log = logging.getLogger("narrator.verify")

Spoken = tuple[bytes, int, Heard, Scores]  # a take's audio, usage, what was heard, its scores


@dataclass
class PartTakes:
    """Every take of one part of a re-split segment, in order, and which of them is best."""

    tries: list[Spoken]
    best: int = 0

    @property
    def kept(self) -> Spoken:
        return self.tries[self.best]


@dataclass(frozen=True)
class VerifySettings:
    fix: bool = False  # re-synthesize flagged takes (mode `fix`) or only report them
    max_takes: int = 4  # takes per segment, the first included
    part_takes: int = 3  # takes per part of a re-split segment
    batch_seconds: float = 56.0  # audio gathered before hearing it (two recognizer windows)
    limits: Thresholds = DEFAULT


@dataclass
class VerifyCounts:
    heard: int = 0  # takes heard this run
    flagged: int = 0  # first takes flagged this run
    fixed: int = 0  # of those, repaired
    audio_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Item:
    key: str
    chapter: int


class TakeSource(Protocol):
    """Where fresh takes come from: a new request for `text`; None when it failed."""

    async def take(self, text: str) -> tuple[bytes, int] | None: ...


class SessionTakes:
    """Fresh takes from the TTS service, with narrator's retry policy, one session per take."""

    def __init__(self, endpoint: Endpoint, params: dict, settings: PoolSettings) -> None:
        self._endpoint, self._params, self._settings = endpoint, params, settings

    async def take(self, text: str) -> tuple[bytes, int] | None:
        s = self._settings
        try:
            async with Session(
                self._endpoint, request_timeout=s.request_timeout, connect_timeout=s.connect_timeout
            ) as session:
                async for attempt in retrying(s.max_attempts, s.backoff_initial, s.backoff_max):
                    with attempt:
                        result = await session.synthesize(text, self._params)
        except SynthesisError as exc:
            log.info("a fresh take failed: %s", exc)
            return None
        return result.pcm, result.usage


def resplit(text: str, settings: SegmenterSettings) -> list[str]:
    """`text` cut at its sentence boundaries (two to four parts; clauses if one sentence)."""
    sentences = len(sentence_spans(text.strip(), settings.code))
    return split_text(text, settings, parts=max(2, min(4, sentences)))


class Verifier:
    """Hears a store's takes; see the module docstring."""

    def __init__(
        self,
        store: Store,
        recognizer: Recognizer,
        settings: VerifySettings,
        takes_for: Callable[[int], TakeSource] | None = None,
        split: Callable[[int, str], list[str]] | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        self.store = store
        self.recognizer = recognizer
        self.settings = settings
        self._takes_for = takes_for  # chapter -> fresh takes in that chapter's voice
        self._split = split  # (chapter, text) -> parts
        self._progress = progress or (lambda seconds: None)
        self.counts = VerifyCounts()

    async def run(self, stored: ObjectReceiveStream[PlannedSegment] | None = None) -> VerifyCounts:
        """Hear what the store holds unheard; with `stored`, first each segment it brings (the
        pool is still setting the plan when this starts), then the rest."""
        if stored is not None:
            batch: list[Item] = []
            seconds = 0.0
            async with stored:
                async for segment in stored:
                    batch.append(Item(segment.key, segment.chapter))
                    seconds += segment.seconds
                    if seconds >= self.settings.batch_seconds:
                        await self._check(batch)
                        batch, seconds = [], 0.0
            await self._check(batch)
        await self.sweep()
        return self.counts

    async def sweep(self) -> None:
        """Hear every stored take of the plan that has no score for its current audio."""
        leaves = await anyio.to_thread.run_sync(self.store.leaves)
        done = {leaf.key: leaf for leaf in leaves if leaf.state == DONE}
        takes = await anyio.to_thread.run_sync(self.store.takes, list(done))
        todo = [
            leaf
            for leaf in done.values()
            if not any(t.sha256 == leaf.sha256 for t in takes.get(leaf.key, []))
        ]
        if self.settings.fix and self._takes_for is not None:
            unheard = {leaf.key for leaf in todo}
            await self._refix([leaf for leaf in done.values() if leaf.key not in unheard], takes)
        batch: list[Item] = []
        seconds = 0.0
        for leaf in todo:
            batch.append(Item(leaf.key, leaf.chapter))
            seconds += leaf.samples / SOURCE_RATE
            if seconds >= self.settings.batch_seconds:
                await self._check(batch)
                batch, seconds = [], 0.0
        await self._check(batch)

    async def _refix(self, leaves: list[Leaf], takes: dict[str, list[Take]]) -> None:
        """Fix mode over takes heard before: a flagged one with takes left to spend is fixed."""
        for leaf in leaves:
            mine = takes.get(leaf.key, [])
            current = next((t for t in reversed(mine) if t.sha256 == leaf.sha256), None)
            if current is not None and current.reasons and len(mine) < self.settings.max_takes:
                failures = sum(bool(t.reasons) for t in mine)
                await self._fix(
                    Item(leaf.key, leaf.chapter), leaf.text, _scores(current), len(mine), failures
                )

    async def _check(self, items: Sequence[Item]) -> None:
        """Hear `items` packed into windows, score each take, fix the flagged ones."""
        loaded = await anyio.to_thread.run_sync(self._load, items) if items else []
        seconds = [len(pcm) / (2 * SOURCE_RATE) for _, _, pcm in loaded]
        for group in pack(seconds):
            window = [loaded[i] for i in group]
            try:
                heard = await anyio.to_thread.run_sync(
                    self.recognizer.hear_joined, [pcm for _, _, pcm in window]
                )
            except (RuntimeError, ValueError, OSError) as exc:  # one window must not stop others
                self.counts.notes.append(f"the recognizer failed on {len(window)} segments: {exc}")
                continue
            for (item, text, pcm), got in zip(window, heard, strict=True):
                await self._judge(item, text, pcm, got.text, got.no_speech)

    async def _judge(self, item: Item, text: str, pcm: bytes, heard: str, silent: bool) -> None:
        scores = score(text, heard, silent)
        why = reasons(scores, self.settings.limits)
        self._record(item.key, "first", pcm, heard, scores, why, kept=True)
        self.counts.heard += 1
        seconds = len(pcm) / (2 * SOURCE_RATE)
        self.counts.audio_seconds += seconds
        self._progress(seconds)
        if why:
            self.counts.flagged += 1
            if self.settings.fix and self._takes_for is not None:
                await self._fix(item, text, scores)

    def _load(self, items: Sequence[Item]) -> list[tuple[Item, str, bytes]]:
        """(item, text, audio) of each done, not yet heard take (blocking: a worker thread)."""
        found, seen = [], set()
        takes = self.store.takes([i.key for i in items])
        for item in items:
            segment = self.store.segment(item.key)
            if segment.state != DONE or segment.path is None or item.key in seen:
                continue
            try:
                pcm = segment.path.read_bytes()
            except OSError as exc:
                self.counts.notes.append(f"segment {item.key[:12]}: cannot read its audio: {exc}")
                continue
            digest = hashlib.sha256(pcm).hexdigest()
            if not any(t.sha256 == digest for t in takes.get(item.key, [])):
                found.append((item, segment.text, pcm))
                seen.add(item.key)
        return found

    def _record(
        self,
        key: str,
        how: str,
        pcm: bytes,
        heard: Heard | str,
        scores: Scores,
        why: Sequence[str],
        *,
        kept: bool,
    ) -> None:
        text = heard if isinstance(heard, str) else heard.text
        digest = hashlib.sha256(pcm).hexdigest()
        s = scores
        take = Take(
            key,
            0,
            digest,
            how,
            text,
            s.source_words,
            s.errors,
            s.missing_run,
            s.repeated,
            s.trailing,
            s.no_speech,
            "; ".join(why),
            kept,
            0.0,
        )
        self.store.record_take(take)

    async def _fix(
        self, item: Item, text: str, best: Scores, takes: int = 1, failures: int = 1
    ) -> None:
        assert self._takes_for is not None
        source = self._takes_for(item.chapter)
        while takes < self.settings.max_takes:
            if failures >= 2 and self._split is not None and len(text.split()) >= 2:
                await self._resplit(item, text, best, source)
                return
            got = await self._fresh(source, text)
            if got is None:
                return
            pcm, usage, heard, scores = got
            better = badness(scores, self.settings.limits) < badness(best, self.settings.limits)
            if better:
                replace = functools.partial(self.store.replace_audio, item.key, pcm, usage=usage)
                await anyio.to_thread.run_sync(replace)
                best = scores
            why = reasons(scores, self.settings.limits)
            self._record(item.key, "fresh", pcm, heard, scores, why, kept=better)
            takes += 1
            if not why:
                self.counts.fixed += 1
                return
            failures += 1

    async def _fresh(self, source: TakeSource, text: str) -> Spoken | None:
        got = await source.take(text)
        if got is None:
            self.counts.notes.append(f"a fresh take failed for {text[:40]!r}")
            return None
        pcm, usage = got
        heard = await anyio.to_thread.run_sync(self.recognizer.hear, pcm)
        self.counts.audio_seconds += heard.seconds
        return pcm, usage, heard, score(text, heard.text, heard.no_speech)

    async def _resplit(self, item: Item, text: str, best: Scores, source: TakeSource) -> None:
        """Speak the text in parts; keep the parts if together they beat the best take.

        The parts are heard one after another in one window, as the book plays them, not each
        alone: a clip of a few words heard without its neighbours is misheard far more often
        (a last word garbled into words "past the end"). A bad part is spoken again, up to
        `part_takes` times, each new take heard between its neighbours; its best take is kept.
        """
        assert self._split is not None
        parts = self._split(item.chapter, text)
        if len(parts) < 2:
            return
        takes: list[tuple[bytes, int]] = []
        for part in parts:
            got = await source.take(part)
            if got is None:
                self.counts.notes.append(f"a fresh take failed for {part[:40]!r}")
                return
            takes.append(got)
        heard = await self._hear_together([pcm for pcm, _ in takes])
        spoken = [
            PartTakes([(pcm, usage, h, score(part, h.text, h.no_speech))])
            for part, (pcm, usage), h in zip(parts, takes, heard, strict=True)
        ]
        for index in range(len(parts)):
            await self._retake_part(source, parts, spoken, index)
        together = combine([p.kept[3] for p in spoken])
        better = badness(together, self.settings.limits) < badness(best, self.settings.limits)
        why = reasons(together, self.settings.limits)
        self._record(
            item.key,
            "split",
            b"".join(p.kept[0] for p in spoken),
            " | ".join(p.kept[2].text for p in spoken),
            together,
            why,
            kept=better,
        )
        if better:
            await self._store_parts(item, parts, spoken)
            if not why:
                self.counts.fixed += 1

    async def _retake_part(
        self, source: TakeSource, parts: list[str], spoken: list[PartTakes], index: int
    ) -> None:
        """Speak part `index` again while its best take is flagged (takes left)."""
        limits = self.settings.limits
        mine = spoken[index]
        while reasons(mine.kept[3], limits) and len(mine.tries) < self.settings.part_takes:
            got = await source.take(parts[index])
            if got is None:
                return
            pcm, usage = got
            around = [p.kept[0] for p in spoken]
            around[index] = pcm
            first = max(0, index - 1)
            heard = (await self._hear_together(around[first : index + 2]))[index - first]
            scores = score(parts[index], heard.text, heard.no_speech)
            mine.tries.append((pcm, usage, heard, scores))
            if badness(scores, limits) < badness(mine.kept[3], limits):
                mine.best = len(mine.tries) - 1

    async def _hear_together(self, takes: list[bytes]) -> list[Heard]:
        heard = await anyio.to_thread.run_sync(self.recognizer.hear_joined, takes)
        self.counts.audio_seconds += sum(h.seconds for h in heard)
        return heard

    async def _store_parts(self, item: Item, parts: list[str], spoken: list[PartTakes]) -> None:
        try:
            planned = await anyio.to_thread.run_sync(self.store.split, item.key, parts)
        except StoreError as exc:  # e.g. a part's text equals the segment's own (a cycle)
            self.counts.notes.append(f"segment {item.key[:12]}: cannot re-split: {exc}")
            return
        for part, takes in zip(planned, spoken, strict=True):
            if not self.store.claim(part.key):
                continue  # the same text is stored (or being spoken) elsewhere: heard there
            pcm = takes.kept[0]
            paid = sum(usage for _, usage, _, _ in takes.tries)  # every take was paid for
            put = functools.partial(self.store.put_audio, part.key, pcm, usage=paid)
            await anyio.to_thread.run_sync(put)
            for number, (audio, _, heard, scores) in enumerate(takes.tries):  # all, in order
                why = reasons(scores, self.settings.limits)
                self._record(
                    part.key, "split", audio, heard, scores, why, kept=number == takes.best
                )


def _scores(take: Take) -> Scores:
    """A stored take's scores (what `policy` needs of them)."""
    return Scores(
        take.source_words,
        0,
        take.errors,
        take.missing_run,
        take.repeated,
        take.trailing,
        take.no_speech,
    )
