"""Job -> plan: read every source, apply the lexicon, segment, and key each segment.

No network here: `narrator plan` shows this, `narrator run` stores and synthesizes it.
A segment's key hashes its text with the voice and params, so an edit changes only the keys
of the paragraphs it touched, and identical text spoken by one voice is synthesized once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from narrator import protocol as proto
from narrator.jobfile import Job, VoiceSpec
from narrator.text.lexicon import LexiconRule, map_lexicon
from narrator.text.normalize import Finder, normalization_rules, normalize
from narrator.text.spans import SpanMap
from narrator.text.segmenter import Segment, SegmenterSettings, resolve_language, segment_chapter
from narrator.sources import Chapter, read_source
from narrator.store import PlannedSegment, segment_key


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
    (before the lexicon and normalization rewrote it). Exact through both rewrites: the
    spans of one paragraph's segments are disjoint and in order, and hold all its non-space
    text; a rewrite that two segments share ("1,234" spoken across a cut) belongs to the
    first, so a later segment's span may then be empty (start == end).
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
    spans: list[SourceSpan] = []
    for source in job.sources:
        voice = source.voice or job.voice
        settings = segmenter_settings(job, voice)
        finders, normalize_note = normalization(job, voice)
        for note in (resolve_language(voice.language)[1], normalize_note):
            if note and note not in notes:
                notes.append(note)
        params = request_params(voice)
        for chapter in read_source(source.path, split=source.split, title=source.title):
            index = len(chapters)
            spoken = chapter.paragraphs
            announced = announced_title(chapter) if job.speak_titles else None
            if announced:
                spoken = (title_sentence(announced), *spoken)
            patterns = job.normalize.patterns if job.normalize.enabled else ()
            forms = spoken_forms(spoken, job.lexicon, finders, patterns)
            found = segment_chapter([form.text for form in forms], settings)
            found_spans = source_spans(source.path, index, found, forms)
            for order, seg in enumerate(found):
                key = segment_key(seg.text, voice.config_id, params)
                voices[key] = voice
                segments.append(
                    PlannedSegment(key, index, order, seg.text, str(seg.boundary), seg.seconds)
                )
                spans.append(found_spans[order])
            title = chapter.title or f"Chapter {index + 1}"
            seconds = sum(s.seconds for s in found)
            chapters.append(PlannedChapter(title, voice, seconds, len(found), tuple(spoken)))
            if not found:
                notes.append(f"{source.path.name}: chapter {title!r} has nothing to speak")
    return Plan(tuple(chapters), tuple(segments), voices, tuple(notes), tuple(spans))


def normalization(job: Job, voice: VoiceSpec) -> tuple[tuple[Finder, ...], str | None]:
    """The normalization rules for a voice, and a note when its language has none."""
    if not job.normalize.enabled:
        return (), None
    return normalization_rules(voice.language)


def spoken_forms(
    paragraphs: Sequence[str],
    lexicon: Sequence[LexiconRule] = (),
    finders: Sequence[Finder] = (),
    patterns: Sequence[LexiconRule] = (),
) -> list[SpanMap]:
    """Each paragraph as it will be spoken, mapped back to the text as written.

    The lexicon first (on the text as written), then normalization, then the job's
    normalize patterns (on the normalized text).
    """
    forms = []
    for paragraph in paragraphs:
        form = map_lexicon(lexicon, paragraph)
        if finders:
            form = form.then(normalize(form.text, finders))
        if patterns:
            form = form.then(map_lexicon(patterns, form.text))
        forms.append(form)
    return forms


def source_spans(
    path: object, chapter: int, segments: Sequence[Segment], forms: Sequence[SpanMap]
) -> list[SourceSpan]:
    """Each segment's span in its paragraph as written: exact, disjoint, covering, in order."""
    by_paragraph: dict[int, list[int]] = {}
    for number, seg in enumerate(segments):
        by_paragraph.setdefault(seg.paragraph, []).append(number)
    result: list[SourceSpan] = []
    for paragraph, numbers in by_paragraph.items():
        found = forms[paragraph].source_spans(
            [(segments[i].start, segments[i].end) for i in numbers]
        )
        result.extend(SourceSpan(str(path), chapter, paragraph, a, b) for a, b in found)
    return result
