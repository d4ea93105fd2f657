"""Read-along documents of one chapter: its XHTML (the text as written, each spoken span wrapped
in an element with an id) and its SMIL media overlay (one <par> per span, clips from the timings).

Fragments. Consecutive pieces whose source spans overlap (a split segment whose parts could not
be placed in the source, or a paragraph the lexicon rewrote whole) become one fragment, so no
text is wrapped twice. Clips tile the chapter file: the first starts at 0 (the lead-in), each
runs to the next fragment's first sample (its pause is heard while it stays highlighted), the
last ends at the file's end (the tail). So the clips sum to the file's duration exactly, and a
clip holds exactly its fragment's audio plus silence.

Clock values carry microseconds, so `round(seconds * 24000)` gives back the sample exactly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from narrator.assembly.model import SOURCE_RATE, SourceRef
from narrator.assembly.timings import Timing
from narrator.text.boundary import Boundary

ACTIVE_CLASS = "-epub-media-overlay-active"
SECTION = "chapter"  # the id of the XHTML section the overlay's <seq> refers to
# Characters XML 1.0 forbids (control characters, lone surrogates, U+FFFE/FFFF).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Fragment:
    """A span of one paragraph, highlighted while [clip_begin, clip_end) of the audio plays."""

    id: str
    paragraph: int
    start: int
    end: int
    clip_begin: int  # 24 kHz samples in the chapter file
    clip_end: int


@dataclass(frozen=True)
class ChapterText:
    """What the chapter's XHTML shows: paragraphs, which is the title (if any), fragments."""

    title: str
    paragraphs: tuple[str, ...]
    heading: int | None
    fragments: tuple[Fragment, ...]


def clock(samples: int) -> str:
    """A SMIL/EPUB full clock value, H:MM:SS.ffffff, for a 24 kHz sample count."""
    micros = (2 * samples * 1_000_000 + SOURCE_RATE) // (2 * SOURCE_RATE)
    hours, rest = divmod(micros, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    secs, micros = divmod(rest, 1_000_000)
    return f"{hours}:{minutes:02d}:{secs:02d}.{micros:06d}"


def chapter_text(
    title: str,
    text: Sequence[str],
    heading: int | None,
    timings: Sequence[Timing],
    total: int,
) -> ChapterText:
    """Place every timed piece in the chapter text (or in its spoken text, lacking sources)."""
    given = [t.source for t in timings]
    refs = [ref for ref in given if ref is not None]
    if len(refs) != len(given) or not _fits(text, refs):
        text, refs, heading = _spoken_paragraphs(timings)
    spans = _merge([(ref.paragraph, ref.start, ref.end) for ref in refs], timings)
    fragments = []
    for n, (paragraph, start, end, first) in enumerate(spans):
        clip_begin = 0 if n == 0 else first
        clip_end = spans[n + 1][3] if n + 1 < len(spans) else total
        fragments.append(Fragment(f"s{n + 1:04d}", paragraph, start, end, clip_begin, clip_end))
    return ChapterText(title, tuple(text), heading, tuple(fragments))


def _fits(text: Sequence[str], refs: Sequence[SourceRef]) -> bool:
    """Every source span lies inside the chapter text."""
    return bool(text) and all(
        0 <= ref.paragraph < len(text) and 0 <= ref.start <= ref.end <= len(text[ref.paragraph])
        for ref in refs
    )


def _spoken_paragraphs(
    timings: Sequence[Timing],
) -> tuple[list[str], list[SourceRef], int | None]:
    """The spoken texts as paragraphs (broken where a pause is a paragraph's or longer)."""
    paragraphs: list[str] = []
    refs: list[SourceRef] = []
    current = ""
    for n, timing in enumerate(timings):
        words = " ".join(timing.spoken.split())
        if current:
            current += " "
        refs.append(
            SourceRef("", len(paragraphs), len(current), len(current) + len(words), words, n)
        )
        current += words
        if timing.piece.boundary is not Boundary.SENTENCE:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs, refs, None


def _merge(
    spans: Sequence[tuple[int, int, int]], timings: Sequence[Timing]
) -> list[tuple[int, int, int, int]]:
    """(paragraph, start, end, first sample) per fragment; a span that overlaps or goes back
    before the previous one joins it."""
    merged: list[tuple[int, int, int, int]] = []
    for (paragraph, start, end), timing in zip(spans, timings, strict=True):
        if merged:
            last_paragraph, last_start, last_end, first = merged[-1]
            behind = (paragraph, start) < (last_paragraph, last_end) or start == end
            if behind:
                if paragraph == last_paragraph:
                    merged[-1] = (last_paragraph, last_start, max(last_end, end), first)
                continue
        merged.append((paragraph, start, end, timing.start))
    return merged


def xhtml(chapter: ChapterText, language: str) -> str:
    """The chapter as an XHTML content document (EPUB 3)."""
    by_paragraph: dict[int, list[Fragment]] = {}
    for fragment in chapter.fragments:
        by_paragraph.setdefault(fragment.paragraph, []).append(fragment)
    body = []
    if chapter.heading is None:
        body.append(f"<h1>{_text(chapter.title)}</h1>")
    for n, paragraph in enumerate(chapter.paragraphs):
        tag = "h1" if n == chapter.heading else "p"
        body.append(f"<{tag}>{_marked(paragraph, by_paragraph.get(n, []))}</{tag}>")
    lang = quoteattr(language)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" '
        f"xml:lang={lang} lang={lang}>\n"
        f'<head>\n<meta charset="utf-8"/>\n<title>{_text(chapter.title)}</title>\n'
        '<link rel="stylesheet" type="text/css" href="style.css"/>\n</head>\n'
        f'<body>\n<section id="{SECTION}" epub:type="chapter">\n'
        + "\n".join(body)
        + "\n</section>\n</body>\n</html>\n"
    )


def _marked(paragraph: str, fragments: Sequence[Fragment]) -> str:
    out, cursor = [], 0
    for fragment in fragments:
        out.append(_text(paragraph[cursor : fragment.start]))
        words = _text(paragraph[fragment.start : fragment.end])
        out.append(f'<span id="{fragment.id}">{words}</span>')
        cursor = fragment.end
    out.append(_text(paragraph[cursor:]))
    return "".join(out)


def _text(text: str) -> str:
    return escape(_NOT_XML.sub("", text))


def smil(chapter: ChapterText, document: str, audio: str) -> str:
    """The chapter's media overlay: one <par> per fragment, in reading order."""
    pars = [
        f'<par id="p{f.id}">\n<text src="{document}#{f.id}"/>\n'
        f'<audio src="{audio}" clipBegin="{clock(f.clip_begin)}" clipEnd="{clock(f.clip_end)}"/>\n'
        "</par>"
        for f in chapter.fragments
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<smil xmlns="http://www.w3.org/ns/SMIL" xmlns:epub="http://www.idpf.org/2007/ops" '
        'version="3.0">\n<body>\n'
        f'<seq id="seq1" epub:textref="{document}#{SECTION}">\n'
        + "\n".join(pars)
        + "\n</seq>\n</body>\n</smil>\n"
    )


STYLE = f"""body {{ font-family: serif; line-height: 1.5; margin: 1em 5%; }}
h1 {{ font-size: 1.4em; margin: 1em 0; }}
p {{ margin: 0 0 0.8em 0; text-indent: 0; }}
.{ACTIVE_CLASS} {{ background-color: #fde68a; color: #000; }}
"""
