"""Job -> plan: read every source, apply the lexicon, segment, and key each segment.

No network here: `narrator plan` shows this, `narrator run` stores and synthesizes it.
A segment's key hashes its text with the voice and params, so an edit changes only the keys
of the paragraphs it touched, and identical text spoken by one voice is synthesized once.
"""

from __future__ import annotations

import hashlib
import json

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from narrator import protocol as proto
from narrator.jobfile import Job, PausesSpec, VoiceSpec, apply_lexicon
from narrator.text.segmenter import Segment, SegmenterSettings, resolve_language, segment_chapter
from narrator.sources import Chapter, read_source


def segment_key(text: str, voice: str, params: Mapping[str, Any]) -> str:
    """The content hash that names a segment: same text, voice and params -> same audio."""
    blob = json.dumps(
        [text, voice, params], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def part_key(parent: str, voice: str | None, params: str | None, index: int, text: str) -> str:
    """The key of part `index` of a segment split at synthesis time.

    A part is a segment of its own (same voice and params, its own text); a parent stored
    before voices were recorded gets a key derived from its own.
    """
    if voice is not None:
        return segment_key(text, voice, json.loads(params or "{}"))
    return hashlib.sha256(f"{parent}:{index}:{text}".encode()).hexdigest()


@dataclass(frozen=True)
class PlannedSegment:
    """One request of the plan: its key, where it stands, its spoken text and what follows."""

    key: str
    chapter: int
    order: int
    text: str
    boundary: str  # a narrator.text.boundary.Boundary value
    seconds: float  # predicted


@dataclass(frozen=True)
class PlannedChapter:
    title: str
    voice: VoiceSpec
    seconds: float
    segments: int
    # The chapter's text as written, in spoken order (the announced title first, when it is):
    # what subtitles and read-along show. SourceSpan.paragraph indexes this.
    paragraphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceSpan:
    """Where a planned segment's words stand in its chapter's text as written.

    `PlannedChapter.paragraphs[paragraph][start:end]` is the source text the segment speaks
    (before the lexicon and normalization rewrote it).
    """

    file: str
    chapter: int
    paragraph: int
    start: int
    end: int


@dataclass(frozen=True)
class Plan:
    chapters: tuple[PlannedChapter, ...]
    segments: tuple[PlannedSegment, ...]
    voices: Mapping[str, VoiceSpec]  # segment key -> the voice that speaks it
    notes: tuple[str, ...] = ()
    spans: tuple[SourceSpan, ...] = ()  # parallel to `segments`

    def source_text(self, index: int) -> str:
        """The text as written that segment `index` of `segments` speaks."""
        span = self.spans[index]
        return self.chapters[span.chapter].paragraphs[span.paragraph][span.start : span.end]

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.chapters)

    def seconds_with(self, pauses: PausesSpec) -> float:
        """Predicted length of the book file: every chapter with its pauses (see
        `chapter_seconds_with`), the lead-in, the pauses between chapters and the tail."""
        spoken = sum(1 for c in self.chapters if c.segments)
        edges = pauses.lead_in + pauses.tail + pauses.chapter * (spoken - 1) if spoken else 0.0
        return sum(self.chapter_seconds_with(pauses)) + edges

    def chapter_seconds_with(self, pauses: PausesSpec) -> list[float]:
        """Each chapter's predicted speech plus the pauses the assembler puts between its
        segments (by each segment's boundary; none after a chapter's last segment)."""
        after = {"sentence": pauses.sentence, "scene": pauses.scene}
        seconds = [c.seconds for c in self.chapters]
        for segment, following in zip(self.segments, self.segments[1:]):
            if following.chapter == segment.chapter:
                seconds[segment.chapter] += after.get(segment.boundary, pauses.paragraph)
        return seconds

    @property
    def unique_requests(self) -> int:
        return len({s.key for s in self.segments})


def announced_title(chapter: Chapter) -> str | None:
    """The chapter title to speak: one the document or the job gave, never our stand-in.

    Where the title came from decides, not its words: a heading "Chapter 1" in
    "Chapter 1.txt" is spoken although the file name reads the same.
    """
    return None if chapter.fallback_title else chapter.title or None


def title_sentence(title: str) -> str:
    """A chapter title as its own spoken paragraph: ended with a full stop so it sounds final."""
    title = " ".join(title.split())
    return title if title.endswith((".", "!", "?", "…")) else f"{title}."


def request_params(voice: VoiceSpec) -> dict[str, Any]:
    """The InteractionInput params for a voice: language, then the job's extra keys unchanged."""
    return {"language": voice.language, **dict(voice.params)}


def segmenter_settings(job: Job, voice: VoiceSpec) -> SegmenterSettings:
    ceiling = proto.cap_seconds(voice.max_new_tokens)
    return SegmenterSettings(
        language=voice.language,
        max_seconds=min(job.synthesis.max_segment_seconds, ceiling),
        ceiling_seconds=ceiling,
    )


def build_plan(job: Job, progress: Callable[[int, int], None] | None = None) -> Plan:
    """Read, substitute and segment every source of `job`, in order.

    `progress(done, total)` is told the characters segmented so far out of all the sources'
    (once every source has been read); an exception raised from it stops the planning.
    """
    read = [
        (source, read_source(source.path, split=source.split, title=source.title))
        for source in job.sources
    ]
    meter = _Counter(sum(len(p) for _, cs in read for c in cs for p in c.paragraphs), progress)
    chapters: list[PlannedChapter] = []
    segments: list[PlannedSegment] = []
    voices: dict[str, VoiceSpec] = {}
    notes: list[str] = []
    spans: list[SourceSpan] = []
    for source, found_chapters in read:
        voice = source.voice or job.voice
        settings = segmenter_settings(job, voice)
        language_note = resolve_language(voice.language)[1]
        if language_note and language_note not in notes:
            notes.append(language_note)
        params = request_params(voice)
        for chapter in found_chapters:
            index = len(chapters)
            spoken = chapter.paragraphs
            announced = announced_title(chapter) if job.speak_titles else None
            if announced:
                spoken = (title_sentence(announced), *spoken)
            paragraphs = [apply_lexicon(job.lexicon, p) for p in spoken]
            found = segment_chapter(paragraphs, settings, meter.advance)
            for order, seg in enumerate(found):
                key = segment_key(seg.text, voice.config_id, params)
                voices[key] = voice
                segments.append(
                    PlannedSegment(key, index, order, seg.text, str(seg.boundary), seg.seconds)
                )
                spans.append(_source_span(source.path, index, seg, spoken, paragraphs))
            title = chapter.title or f"Chapter {index + 1}"
            seconds = sum(s.seconds for s in found)
            chapters.append(PlannedChapter(title, voice, seconds, len(found), tuple(spoken)))
            if not found:
                notes.append(f"{source.path.name}: chapter {title!r} has nothing to speak")
    return Plan(tuple(chapters), tuple(segments), voices, tuple(notes), tuple(spans))


class _Counter:
    """Adds up characters segmented and passes the running total on."""

    def __init__(self, total: int, report: Callable[[int, int], None] | None) -> None:
        self.total, self.done, self._report = total, 0, report

    def advance(self, characters: int) -> None:
        if self._report is not None:
            self.done = min(self.total, self.done + characters)
            self._report(self.done, self.total)


def _source_span(
    path: object, chapter: int, seg: Segment, source: Sequence[str], spoken: Sequence[str]
) -> SourceSpan:
    # Exact where the lexicon left the paragraph alone; otherwise the whole paragraph.
    # (A span map through the lexicon and normalization replaces this.)
    if source[seg.paragraph] == spoken[seg.paragraph]:
        return SourceSpan(str(path), chapter, seg.paragraph, seg.start, seg.end)
    return SourceSpan(str(path), chapter, seg.paragraph, 0, len(source[seg.paragraph]))
