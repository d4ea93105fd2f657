"""The few words around a match that English rules look at, read without copying the text."""

from __future__ import annotations

import re

_NEXT_SENTENCE = re.compile(r"\s+[\"'“‘(\[]*[A-Z]|\s*\Z")
_NEXT_WORD = re.compile(r"\s+[\"'“‘(]*(\w[\w'’-]*)")
_LOOK_BACK = 64


def sentence_ends_after(text: str, pos: int) -> bool:
    """Whether a full stop just before `pos` likely also ends a sentence (a capital follows)."""
    return _NEXT_SENTENCE.match(text, pos) is not None


def next_word(text: str, pos: int) -> str:
    """The word after the whitespace at `pos` (quotes skipped), "" if none follows."""
    match = _NEXT_WORD.match(text, pos)
    return match[1] if match else ""


def previous_word(text: str, pos: int) -> tuple[str, bool]:
    """The token before the whitespace ending at `pos`, and whether it opens a sentence."""
    end = pos
    while end > 0 and text[end - 1].isspace():
        end -= 1
    if end == pos or end == 0:
        return "", True
    start = end - 1
    while start > 0 and not text[start - 1].isspace() and end - start < _LOOK_BACK:
        start -= 1
    at = start
    while at > 0 and text[at - 1].isspace():
        at -= 1
    return text[start:end], at == 0 or text[at - 1] in '.!?:"”'


def capitalized(word: str) -> bool:
    return bool(word) and word[0].isupper()


def title_case(words: str) -> str:
    """ "twenty-one" -> "Twenty-One": numbers that stand for a name (Chapter Four)."""
    return " ".join("-".join(p.capitalize() for p in w.split("-")) for w in words.split())


def with_stop(text: str, end: int, words: str) -> str:
    """`words` replacing an abbreviation ending at `end`; its full stop stays at a sentence end."""
    return words + "." if sentence_ends_after(text, end) else words
