"""Sentence spans of one paragraph: pysbd in bounded windows, checked for coverage.

pysbd is quadratic on long strings and may alter or drop text, so it is given windows of at
most WINDOW characters cut at safe places, and every sentence it returns is found again in
the original text. Text it altered or skipped is split by a simple regex splitter instead.
Spans always index the original paragraph, and never cut between two letters or digits.

We call `Segmenter.processor(text).process()` rather than `Segmenter.segment(text)`:
`segment()` re-finds every sentence with a freshly compiled regex scanned from offset 0,
which is where its quadratic time and over half of its per-paragraph cost go. We do that
finding ourselves, linearly, in `_locate`.
"""

from __future__ import annotations

import logging
import re
import unicodedata

import pysbd

log = logging.getLogger("narrator.text.sentences")

WINDOW = 8_000
# A paragraph longer than this is first cut at sure sentence ends (`sure_runs`), so that pysbd,
# whose cost per window grows with the window, only sees the rare runs that need it.
LONG_RUN = WINDOW
PYSBD_LANGUAGES = frozenset(
    "am ar bg da de el en es fa fr hi hy it ja kk mr my nl pl ru sk ur zh".split()
)
_NAMES = {
    "amharic": "am",
    "arabic": "ar",
    "bulgarian": "bg",
    "danish": "da",
    "german": "de",
    "greek": "el",
    "english": "en",
    "spanish": "es",
    "persian": "fa",
    "farsi": "fa",
    "french": "fr",
    "hindi": "hi",
    "armenian": "hy",
    "italian": "it",
    "japanese": "ja",
    "kazakh": "kk",
    "marathi": "mr",
    "burmese": "my",
    "myanmar": "my",
    "dutch": "nl",
    "polish": "pl",
    "russian": "ru",
    "slovak": "sk",
    "urdu": "ur",
    "chinese": "zh",
    "mandarin": "zh",
}
_SIMPLE_END = re.compile(r"[.!?…。！？]+[\"'”’)\]]*(?=\s)|[。！？]+[”’」』）]*")
_SAFE_CUT = re.compile(r"[.!?]\s+(?=[A-Z\"“‘(])|[。！？]+[”’」』）]*")
# pysbd always splits at a line break (PITFALLS); same-length replacement keeps offsets valid.
_LINE_BREAKS = str.maketrans(dict.fromkeys("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029", " "))
# How far past the expected place a sentence may be found before it counts as altered.
_SLACK = 64

Span = tuple[int, int]


def resolve_language(language: str) -> tuple[str, str | None]:
    """The pysbd language code for a job language name or code, and a note when it falls back.

    "English", "en", "en-GB" -> ("en", None); "Auto" or a language pysbd lacks -> ("en", note).
    """
    name = (language or "").strip()
    lowered = name.lower()
    code = _NAMES.get(lowered, re.split(r"[-_]", lowered)[0])
    if code in PYSBD_LANGUAGES:
        return code, None
    if lowered in ("", "auto"):
        return "en", "language 'Auto': sentences are split with English rules"
    return "en", f"no sentence rules for language {name!r}; English rules are used"


def sentence_spans(paragraph: str, code: str = "en") -> list[Span]:
    """Spans of the sentences of `paragraph`, in order, covering all its non-space text."""
    # A Segmenter per call: it keeps state on itself and is not thread-safe (PITFALLS),
    # and making one costs a dictionary lookup.
    segmenter = pysbd.Segmenter(language=code, clean=False, char_span=False)
    spans: list[Span] = []
    for start, end in windows(paragraph):
        spans.extend(_window_spans(segmenter, paragraph, start, end))
    return join_glued(paragraph, spans)


def sure_runs(text: str, code: str = "en") -> list[Span]:
    """Spans of `text` between places that end a sentence beyond doubt, trimmed of spaces.

    A sure end is ".", "!" or "?" followed by space and a capital (or an opening quote), where
    a "." does not close a single letter (an initial) or one of pysbd's abbreviations for
    `code` ("Mr.", "No.", "Gen."), or a CJK full stop. Linear in the text, and much faster
    than pysbd, which refines any run still too long (see the segmenter).
    """
    abbreviations = _abbreviations(code)
    spans: list[Span] = []
    start = 0
    for match in _SURE_END.finditer(text):
        if text[match.start()] == "." and _closes_abbreviation(text, match.start(), abbreviations):
            continue
        spans.extend(_trimmed(text, start, match.end()))
        start = match.end()
    spans.extend(_trimmed(text, start, len(text)))
    return spans


def may_hold_sentence_end(text: str, code: str = "en") -> bool:
    """True when `text` has terminal punctuation followed by space before its end that does not
    close an initial or a known abbreviation: a place pysbd might call a sentence end. Without
    one, asking pysbd is wasted time."""
    abbreviations = _abbreviations(code)
    for match in _MAYBE_END.finditer(text.rstrip()):
        dot = match.start()
        if text[dot] != "." or not _closes_abbreviation(text, dot, abbreviations):
            return True
    return False


_SURE_END = re.compile(r"[.!?]+[\"'”’)\]]*\s+(?=[\"“‘(]?[A-Z])|[。！？]+[”’」』）]*")
_MAYBE_END = re.compile(r"[.!?…][\"'”’)\]]*\s|[。！？]")
_WORD_BEFORE = re.compile(r"(\w+)$")


def _closes_abbreviation(text: str, dot: int, abbreviations: frozenset[str]) -> bool:
    word = _WORD_BEFORE.search(text, max(0, dot - 24), dot)
    if word is None:
        return False
    token = word.group(1)
    return len(token) == 1 or token.lower() in abbreviations


_ABBREVIATIONS: dict[str, frozenset[str]] = {}


def _abbreviations(code: str) -> frozenset[str]:
    if code not in _ABBREVIATIONS:
        from pysbd.languages import Language

        try:
            found = Language.get_language_code(code).Abbreviation.ABBREVIATIONS
        except (AttributeError, ValueError):
            found = []
        _ABBREVIATIONS[code] = frozenset(a.lower() for a in found)
    return _ABBREVIATIONS[code]


def windows(text: str, size: int = WINDOW) -> list[Span]:
    """Cut `text` into windows of at most `size` chars at sentence ends, else at spaces."""
    result: list[Span] = []
    start = 0
    while len(text) - start > size:
        cut = _last_safe_cut(text, start + size // 2, start + size)
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
    # No space in half a window: cut anyway; join_glued mends a cut inside a word.
    return space + 1 if space > low else high


def _window_spans(segmenter: pysbd.Segmenter, text: str, start: int, end: int) -> list[Span]:
    chunk = text[start:end].translate(_LINE_BREAKS)
    if not chunk.strip():
        return []
    try:
        sentences = segmenter.processor(chunk).process()
    except Exception as exc:  # pysbd raises assorted errors on odd input: split simply
        log.debug("pysbd failed on a window (%r); using the simple splitter", exc)
        sentences = []
    return [(start + a, start + b) for a, b in _locate(chunk, sentences)]


def _locate(chunk: str, sentences: list[str]) -> list[Span]:
    """Find pysbd's sentences in `chunk` in order; text between them goes to simple_spans."""
    spans: list[Span] = []
    offset = 0
    pending = 0  # characters of sentences not found since `offset`
    for sentence in sentences:
        body = sentence.strip()
        if not body:
            continue
        at = chunk.find(body, offset, offset + pending + len(body) + _SLACK)
        if at < 0:  # altered by pysbd: its text stays in the gap
            pending += len(body)
            continue
        spans.extend(_gap(chunk, offset, at))
        spans.append((at, at + len(body)))
        offset, pending = at + len(body), 0
    spans.extend(_gap(chunk, offset, len(chunk)))
    return spans


def _gap(chunk: str, start: int, end: int) -> list[Span]:
    if not chunk[start:end].strip():
        return []
    log.debug("pysbd skipped or altered %d characters; split simply", end - start)
    return [(start + a, start + b) for a, b in simple_spans(chunk[start:end])]


def simple_spans(text: str) -> list[Span]:
    """Split after terminal punctuation followed by whitespace; spans trimmed of whitespace."""
    spans: list[Span] = []
    start = 0
    for match in _SIMPLE_END.finditer(text):
        spans.extend(_trimmed(text, start, match.end()))
        start = match.end()
    spans.extend(_trimmed(text, start, len(text)))
    return spans


def join_glued(text: str, spans: list[Span]) -> list[Span]:
    """Merge neighbouring spans whose junction falls between two letters or digits."""
    joined: list[Span] = []
    for start, end in spans:
        if joined and joined[-1][1] == start and inside_word(text, start):
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def inside_word(text: str, at: int) -> bool:
    """True when a cut at `at` would separate two letters/digits of one word.

    Scripts written without spaces (Chinese, Japanese) may be cut between any two characters.
    """
    if at <= 0 or at >= len(text):
        return False
    before, after = text[at - 1], text[at]
    if before.isspace() or after.isspace():
        return False
    if unicodedata.category(after).startswith("M"):  # never part a letter from its accent
        return True
    return before.isalnum() and after.isalnum() and not (is_cjk(before) and is_cjk(after))


# Kana and Han ideographs: scripts that put no spaces between words.
CJK_CLASS = "[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]"
_CJK_RE = re.compile(CJK_CLASS)


def is_cjk(char: str) -> bool:
    """Kana or a Han ideograph: characters of scripts that put no spaces between words."""
    return bool(_CJK_RE.fullmatch(char))


def trim(text: str, start: int, end: int) -> Span | None:
    """text[start:end] without its outer whitespace, as a span; None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def _trimmed(text: str, start: int, end: int) -> list[Span]:
    span = trim(text, start, end)
    return [span] if span else []
