"""Normalization: text as a reader would say it ("Chapter IV" -> "Chapter Four", "$1.88").

Runs after the lexicon and before the segmenter, on the spoken text only: the result is a
SpanMap, so every spoken span still maps back to the text as written. Rules are keyed by the
voice's language; a language without rules passes through unchanged (the plan says so).

Modules: rules (the engine), english (the English finders, in order: addresses, amounts,
abbreviations, roman), context (the words around a match), numbers (num2words, in the plain
style a narrator reads).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from narrator.text.normalize.rules import Finder, apply_finders
from narrator.text.spans import SpanMap

__all__ = ["Finder", "normalization_rules", "normalize"]

_ENGLISH = frozenset({"english", "en"})


def normalization_rules(language: str) -> tuple[tuple[Finder, ...], str | None]:
    """The rules for a job language name or code, and a note when there are none.

    "English", "en", "en-GB" -> English rules; anything else (and "Auto") -> no rules.
    """
    name = (language or "").strip()
    base = re.split(r"[-_]", name.lower())[0]
    if name.lower() in _ENGLISH or base in _ENGLISH:
        from narrator.text.normalize.english import FINDERS

        return FINDERS, None
    return (), f"no normalization rules for language {name!r}; text is spoken as written"


def normalize(text: str, rules: Sequence[Finder]) -> SpanMap:
    """`text` as it will be spoken under `rules`, mapped back to `text`."""
    if not rules:
        return SpanMap.identity(text)
    return apply_finders(rules, text)
