"""Printed markers that are not words to speak: illustration markers and letter-spaced type.

Any reader may use these (plain text mostly; an HTML page can carry the same markers):

- `[Illustration]`, `[Cover Illustration]` stand where a picture was: nothing to say, so the
  paragraph they leave empty becomes a decoration line (a scene pause, see
  narrator.text.paragraphs). `[Illustration: The Mock Turtle]` says its caption.
- Letter-spaced display lines (`N U R E M B E R G`, `P U B L I S H E D   A T`) are read as the
  words they spell; a TTS voice would spell them letter by letter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PAUSE = "* * *"  # what a marker with nothing to say leaves: a decoration line
_ILLUSTRATION_RE = re.compile(
    r"\[\s*_?(?:[A-Za-z]+\s+)?(?:Illustration|ILLUSTRATION|Frontispiece|FRONTISPIECE)_?"
    r"(?:\s*[:.]\s*(?P<caption>[^\[\]]*?))?\s*\]"
)
# A letter-spaced line: single characters separated by one space, words by two or more.
_CHAR = r"[\w’'&.,;:!?-]"  # letters and figures, and the marks display type spaces out too
_SPACED_WORD = rf"{_CHAR}(?: {_CHAR})+"
_SPACED_RE = re.compile(
    rf"^(?P<lead>\s*)(?P<body>{_SPACED_WORD}(?: {{2,}}{_SPACED_WORD}| {{2,}}{_CHAR})*)\s*$"
)
_MIN_SPACED_CHARS = 4


@dataclass(frozen=True)
class Marked:
    """A paragraph with its markers resolved, and the markers' own text (never spoken)."""

    text: str
    markers: tuple[str, ...] = ()


def resolve_illustrations(paragraph: str) -> Marked:
    """Replace illustration markers by their caption, or by nothing; an emptied paragraph
    becomes a pause (PAUSE). The markers as written are returned so a plan can list them.
    """
    markers: list[str] = []

    def caption(match: re.Match[str]) -> str:
        text = (match.group("caption") or "").strip().strip("_").strip()
        markers.append(match.group(0) if not text else match.group(0).replace(text, "", 1))
        return f" {text} " if text else " "

    text = _ILLUSTRATION_RE.sub(caption, paragraph)
    if not markers:
        return Marked(paragraph)
    text = " ".join(text.split())
    return Marked(text or PAUSE, tuple(markers))


def unspace(line: str) -> str:
    """`N U R E M B E R G` -> `NUREMBERG`; words stay apart where the gap was wider.

    Only a whole line counts, with at least four spaced characters and no lower-case letter
    (display type is capitals and figures), so ordinary text ("I I did not") is never joined.
    """
    match = _SPACED_RE.match(line)
    if not match:
        return line
    body = match.group("body")
    if any(c.islower() for c in body) or sum(c.isalnum() for c in body) < _MIN_SPACED_CHARS:
        return line
    words = [word.replace(" ", "") for word in re.split(r" {2,}", body.strip())]
    if all(len(word) == 1 for word in words):  # "A  B  C": a row of letters, not spaced type
        return line
    return match.group("lead") + " ".join(_attach_punctuation(words))


def _attach_punctuation(words: list[str]) -> list[str]:
    # "NUREMBERG ," -> "NUREMBERG,": a spaced comma stands alone after the wide gap.
    out: list[str] = []
    for word in words:
        if out and word in {",", ".", ";", ":", "!", "?"}:
            out[-1] += word
        else:
            out.append(word)
    return out
