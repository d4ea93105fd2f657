"""Job -> plan: read every source, apply the lexicon, segment, and key each segment.

No network here: `narrator plan` shows this, `narrator run` stores and synthesizes it.
A segment's key hashes its text with the voice and params, so an edit changes only the keys
of the paragraphs it touched, and identical text spoken by one voice is synthesized once.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from narrator.assembly.options import Pauses
from narrator.jobfile import Job, SourceSpec, VoiceSpec
from narrator.sources import Chapter, read_source
from narrator.text.lexicon import LexiconRule, map_lexicon
from narrator.text.normalize import Finder, normalization_rules, normalize
from narrator.text.segmenter import Segment, SegmenterSettings, resolve_language, segment_chapter
from narrator.text.spans import SpanMap
from narrator.wire import protocol as proto


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
    role: str = "body"  # see narrator.sources.ROLES


@dataclass(frozen=True)
class SkippedPart:
    """Source text that was read but is not spoken, so the plan and the run summary show it.

    `what` is "chapter" for a whole chapter (its role is not in the job's `matter`, or the job
    skips its title), else the kind of part a reader left out of a spoken chapter ("code
    block", "note", "illustration marker"...). `before` is the number of spoken chapters
    before it: where it stands in the book.
    """

    file: str
    title: str
    role: str
    what: str
    reason: str  # "matter" (role not spoken), "skip" (sources[].skip), or "reader"
    text: str
    before: int
    in_chapter: int | None = None  # the spoken chapter a reader's part was left out of

    @property
    def words(self) -> int:
        return len(self.text.split())


def skipped_summary(parts: Sequence[SkippedPart]) -> str:
    """One line: words not spoken per role (whole chapters) and per kind (readers' parts)."""
    totals: dict[str, int] = {}
    for part in parts:
        name = part.role if part.what == "chapter" else part.what
        if part.reason == "skip" and part.what == "chapter":
            name = "skip list"
        totals[name] = totals.get(name, 0) + part.words
    return ", ".join(f"{name} {words:,} words" for name, words in totals.items())


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
    skipped: tuple[SkippedPart, ...] = ()  # in reading order

    def source_text(self, index: int) -> str:
        """The text as written that segment `index` of `segments` speaks."""
        span = self.spans[index]
        return self.chapters[span.chapter].paragraphs[span.paragraph][span.start : span.end]

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.chapters)

    def seconds_with(self, pauses: Pauses) -> float:
        """Predicted length of the book file: every chapter with its pauses (see
        `chapter_seconds_with`), the lead-in, the pauses between chapters and the tail."""
        spoken = sum(1 for c in self.chapters if c.segments)
        edges = pauses.lead_in + pauses.tail + pauses.chapter * (spoken - 1) if spoken else 0.0
        return sum(self.chapter_seconds_with(pauses)) + edges

    def chapter_seconds_with(self, pauses: Pauses) -> list[float]:
        """Each chapter's predicted speech plus the pauses the assembler puts between its
        segments (by each segment's boundary; none after a chapter's last segment)."""
        after = {"sentence": pauses.sentence, "scene": pauses.scene}
        seconds = [c.seconds for c in self.chapters]
        for segment, following in itertools.pairwise(self.segments):
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

    `progress(done, total)` is told the characters segmented so far out of those of the
    chapters to be spoken (once every source has been read); an exception raised from it stops
    the planning.
    """
    read = [
        (
            source,
            read_source(source.path, split=source.split, title=source.title, options=source.read),
        )
        for source in job.sources
    ]
    to_speak = (c for source, cs in read for c in cs if spoken_reason(source, c) is None)
    meter = _Counter(sum(len(p) for c in to_speak for p in c.paragraphs), progress)
    chapters: list[PlannedChapter] = []
    segments: list[PlannedSegment] = []
    voices: dict[str, VoiceSpec] = {}
    notes: list[str] = []
    spans: list[SourceSpan] = []
    skipped: list[SkippedPart] = []
    credit = job.credit
    for source, found_chapters in read:
        voice = source.voice or job.voice
        settings = segmenter_settings(job, voice)
        finders, normalize_note = normalization(job, voice)
        for note in (resolve_language(voice.language)[1], normalize_note):
            if note and note not in notes:
                notes.append(note)
        params = request_params(voice)
        notes.extend(unmatched_titles(source, found_chapters))
        for chapter in found_chapters:
            parts = list(skipped_parts(source, chapter, len(chapters)))
            skipped.extend(parts)
            if parts and parts[0].what == "chapter":
                continue
            index = len(chapters)
            spoken = chapter.paragraphs
            announced = announced_title(chapter) if job.speak_titles else None
            if announced and not title_is_first_line(announced, chapter, source):
                spoken = (title_sentence(announced), *spoken)
            if credit:
                spoken, credit = (credit, *spoken), None
            patterns = job.normalize.patterns if job.normalize.enabled else ()
            forms = spoken_forms(spoken, job.lexicon, finders, patterns)
            found = segment_chapter([form.text for form in forms], settings, meter.advance)
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
            chapters.append(
                PlannedChapter(title, voice, seconds, len(found), tuple(spoken), chapter.role)
            )
            if not found:
                notes.append(f"{source.path.name}: chapter {title!r} has nothing to speak")
    if not chapters and skipped:
        roles = sorted({p.role for p in skipped if p.what == "chapter"})
        notes.append(
            f"nothing is spoken: every chapter is skipped (roles: {', '.join(roles)}); "
            "add those roles to `matter` (or `matter: all`), or name chapters in sources[].speak"
        )
    return Plan(
        tuple(chapters), tuple(segments), voices, tuple(notes), tuple(spans), tuple(skipped)
    )


# --- what is spoken: roles, the job's speak/skip titles, titles said once -----------------

_PUNCTUATION_RE = re.compile(r"[^\w]+")


def title_key(text: str) -> str:
    """A title compared without case, punctuation or spacing: "CHAPTER I." == "Chapter I"."""
    return _PUNCTUATION_RE.sub(" ", text.casefold()).strip()


def title_matches(title: str | None, wanted: str) -> bool:
    """`wanted` (from sources[].speak/skip) names `title`: the whole title or its start,
    up to a word boundary ("Chapter 1" matches "CHAPTER 1. THE STORM", not "Chapter 12")."""
    have, key = title_key(title or ""), title_key(wanted)
    return bool(key) and (have == key or have.startswith(key + " "))


def spoken_reason(source: SourceSpec, chapter: Chapter) -> str | None:
    """None when the chapter is spoken; else why not: "skip" (by title) or "matter" (role)."""
    if any(title_matches(chapter.title, t) for t in source.skip):
        return "skip"
    if any(title_matches(chapter.title, t) for t in source.speak):
        return None
    return None if chapter.role in source.matter else "matter"


def skipped_parts(source: SourceSpec, chapter: Chapter, before: int) -> Iterator[SkippedPart]:
    """What of `chapter` is not spoken: all of it (first, what="chapter"), or its reader's
    left-out parts."""
    file, title = str(source.path), chapter.title or f"Chapter {before + 1}"
    reason = spoken_reason(source, chapter)
    if reason is not None:
        heading = () if chapter.fallback_title or not chapter.title else (chapter.title,)
        text = "\n\n".join((*heading, *chapter.paragraphs))
        yield SkippedPart(file, title, chapter.role, "chapter", reason, text, before)
    within = None if reason is not None else before
    for part in chapter.skipped:
        yield SkippedPart(file, title, chapter.role, part.what, "reader", part.text, before, within)


def unmatched_titles(source: SourceSpec, chapters: Sequence[Chapter]) -> list[str]:
    """A note for each speak/skip title that names no chapter of the source."""
    notes = []
    titles = [c.title or "" for c in chapters]
    for key, wanted in (("speak", source.speak), ("skip", source.skip)):
        for name in wanted:
            if not any(title_matches(t, name) for t in titles):
                close = difflib.get_close_matches(name, titles, n=1, cutoff=0.5)
                hint = f"did you mean {close[0]!r}?" if close else "see `narrator plan` for titles"
                notes.append(f"{source.path.name}: {key} {name!r} names no chapter; {hint}")
    return notes


def title_is_first_line(title: str, chapter: Chapter, source: SourceSpec) -> bool:
    """The text already says its title: its first paragraph is the title, or starts with the
    title the job gave (a title line run into the text below it)."""
    if not chapter.paragraphs:
        return False
    first = title_key(chapter.paragraphs[0])
    if first == title_key(title):
        return True
    given = source.title is not None and title_key(title) == title_key(source.title)
    return given and first.startswith(title_key(title) + " ")


class _Counter:
    """Adds up characters segmented and passes the running total on."""

    def __init__(self, total: int, report: Callable[[int, int], None] | None) -> None:
        self.total, self.done, self._report = total, 0, report

    def advance(self, characters: int) -> None:
        if self._report is not None:
            self.done = min(self.total, self.done + characters)
            self._report(self.done, self.total)


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
