"""Job -> plan: read every source, apply the lexicon, segment, and key each segment.

No network here: `narrator plan` shows this, `narrator run` stores and synthesizes it.
A segment's key hashes its text with the voice and params, so an edit changes only the keys
of the paragraphs it touched, and identical text spoken by one voice is synthesized once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from narrator import protocol as proto
from narrator.jobfile import Job, VoiceSpec, apply_lexicon
from narrator.text.segmenter import SegmenterSettings, resolve_language, segment_chapter
from narrator.sources import Chapter, read_source
from narrator.store import PlannedSegment, segment_key


@dataclass(frozen=True)
class PlannedChapter:
    title: str
    voice: VoiceSpec
    seconds: float
    segments: int


@dataclass(frozen=True)
class Plan:
    chapters: tuple[PlannedChapter, ...]
    segments: tuple[PlannedSegment, ...]
    voices: Mapping[str, VoiceSpec]  # segment key -> the voice that speaks it
    notes: tuple[str, ...] = ()

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.chapters)

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


def build_plan(job: Job) -> Plan:
    """Read, substitute and segment every source of `job`, in order."""
    chapters: list[PlannedChapter] = []
    segments: list[PlannedSegment] = []
    voices: dict[str, VoiceSpec] = {}
    notes: list[str] = []
    for source in job.sources:
        voice = source.voice or job.voice
        settings = segmenter_settings(job, voice)
        language_note = resolve_language(voice.language)[1]
        if language_note and language_note not in notes:
            notes.append(language_note)
        params = request_params(voice)
        for chapter in read_source(source.path, split=source.split, title=source.title):
            index = len(chapters)
            spoken = chapter.paragraphs
            announced = announced_title(chapter) if job.speak_titles else None
            if announced:
                spoken = (title_sentence(announced), *spoken)
            paragraphs = [apply_lexicon(job.lexicon, p) for p in spoken]
            found = segment_chapter(paragraphs, settings)
            for order, seg in enumerate(found):
                key = segment_key(seg.text, voice.config_id, params)
                voices[key] = voice
                segments.append(
                    PlannedSegment(key, index, order, seg.text, str(seg.boundary), seg.seconds)
                )
            title = chapter.title or f"Chapter {index + 1}"
            chapters.append(PlannedChapter(title, voice, sum(s.seconds for s in found), len(found)))
            if not found:
                notes.append(f"{source.path.name}: chapter {title!r} has nothing to speak")
    return Plan(tuple(chapters), tuple(segments), voices, tuple(notes))
