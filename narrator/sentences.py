"""Sentence spans of one paragraph: pysbd in bounded windows, checked for coverage.

pysbd is quadratic on long strings and may alter or drop text, so it is given windows of at
most WINDOW characters cut at safe places, and every sentence it returns is found again in
the original text. Where that fails (text altered, skipped or reordered), a simple regex
splitter takes over for that window. Spans always index the original paragraph.
"""

from __future__ import annotations

import logging
import re
import threading

import pysbd

log = logging.getLogger("narrator.segmenter")

WINDOW = 8_000
PYSBD_LANGUAGES = frozenset(
    "am ar bg da de el en es fa fr hi hy it ja kk mr my nl pl ru sk ur zh".split()
)
_NAMES = {
    "amharic": "am", "arabic": "ar", "bulgarian": "bg", "danish": "da", "german": "de",
    "greek": "el", "english": "en", "spanish": "es", "persian": "fa", "farsi": "fa",
    "french": "fr", "hindi": "hi", "armenian": "hy", "italian": "it", "japanese": "ja",
    "kazakh": "kk", "marathi": "mr", "burmese": "my", "dutch": "nl", "polish": "pl",
    "russian": "ru", "slovak": "sk", "urdu": "ur", "chinese": "zh",
}  # fmt: skip
_SIMPLE_END = re.compile(r"[.!?…。！？]+[\"'”’)\]]*(?=\s)")
_SAFE_CUT = re.compile(r"[.!?]\s+(?=[A-Z\"“‘(])")
_local = threading.local()

Span = tuple[int, int]


def resolve_language(language: str) -> tuple[str, str | None]:
    """The pysbd language code for a job language name or code, and a note when it falls back."""
    name = (language or "").strip()
    lowered = name.lower()
    code = _NAMES.get(lowered, lowered.split("-")[0].split("_")[0])
    if code in PYSBD_LANGUAGES:
        return code, None
    if lowered in ("", "auto"):
        return "en", "language 'Auto': sentences are split with English rules"
    return "en", f"no sentence rules for language {name!r}; English rules are used"


def _segmenter(code: str) -> pysbd.Segmenter:
    # pysbd keeps the current text on the Segmenter: one per thread and language.
    cache = getattr(_local, "segmenters", None)
    if cache is None:
        cache = _local.segmenters = {}
    if code not in cache:
        cache[code] = pysbd.Segmenter(language=code, clean=False, char_span=False)
    return cache[code]


def sentence_spans(paragraph: str, code: str = "en") -> list[Span]:
    """Spans of the sentences of `paragraph`, in order, covering all its non-space text."""
    spans: list[Span] = []
    for start, end in windows(paragraph):
        spans.extend(_window_spans(paragraph, start, end, code))
    return spans


def windows(text: str, size: int = WINDOW) -> list[Span]:
    """Cut `text` into windows of at most `size` chars at sentence ends, else at spaces."""
    result: list[Span] = []
    start = 0
    while len(text) - start > size:
        limit = start + size
        cut = _last_safe_cut(text, start + size // 2, limit)
        result.append((start, cut))
        start = cut
    result.append((start, len(text)))
    return result


def _last_safe_cut(text: str, low: int, high: int) -> int:
    last = None
    for match in _SAFE_CUT.finditer(text, low, high):
        last = match.end()
    if last is not None:
        return last
    space = text.rfind(" ", low, high)
    return space + 1 if space > low else high


def _window_spans(text: str, start: int, end: int, code: str) -> list[Span]:
    chunk = text[start:end]
    if not chunk.strip():
        return []
    try:
        found = _locate(chunk, _segmenter(code).segment(chunk))
    except Exception as exc:  # pysbd raises assorted errors on odd input: fall back
        log.info("pysbd failed on a window (%s); using the simple splitter", exc)
        found = None
    if found is None:
        found = simple_spans(chunk)
    return [(start + a, start + b) for a, b in found]


def _locate(chunk: str, sentences: list[str]) -> list[Span] | None:
    """Find each sentence in `chunk` in order; None if any text would be lost or altered."""
    spans: list[Span] = []
    offset = 0
    for sentence in sentences:
        body = sentence.strip()
        if not body:
            continue
        at = chunk.find(body, offset)
        if at < 0 or chunk[offset:at].strip():
            return None
        spans.append((at, at + len(body)))
        offset = at + len(body)
    if chunk[offset:].strip():
        return None
    return spans


def simple_spans(text: str) -> list[Span]:
    """Split after terminal punctuation followed by whitespace; spans trimmed of whitespace."""
    spans: list[Span] = []
    start = 0
    for match in _SIMPLE_END.finditer(text):
        spans.extend(_trimmed(text, start, match.end()))
        start = match.end()
    spans.extend(_trimmed(text, start, len(text)))
    return spans


def _trimmed(text: str, start: int, end: int) -> list[Span]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [(start, end)] if end > start else []
