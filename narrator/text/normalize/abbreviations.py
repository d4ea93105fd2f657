"""English abbreviations with a full stop, expanded where the words around them decide.

"St. Louis" / "Baker St.", "Dr. Watson" / "Mulholland Dr.", "No. 5" / "said no.": titles
expand before a capitalized name, "numbered" words before a number, Latin ones anywhere;
an expansion that ends a sentence ("etc.", "Baker St.") keeps its full stop.
The finder visits each full stop (a fast literal scan) and reads the word before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from narrator.text.normalize.context import (
    capitalized,
    next_word,
    previous_word,
    with_stop,
)
from narrator.text.normalize.rules import Proposal

# kind: title (before a capitalized name), post (after a name), numbered (before a number),
# latin (anywhere, as written in lower case).
ABBREVIATIONS = {
    "mr": ("Mister", "title"),
    "mrs": ("Missus", "title"),
    "ms": ("Miz", "title"),
    "prof": ("Professor", "title"),
    "gen": ("General", "title"),
    "capt": ("Captain", "title"),
    "lt": ("Lieutenant", "title"),
    "col": ("Colonel", "title"),
    "sgt": ("Sergeant", "title"),
    "gov": ("Governor", "title"),
    "rev": ("Reverend", "title"),
    "hon": ("Honorable", "title"),
    "sen": ("Senator", "title"),
    "rep": ("Representative", "title"),
    "adm": ("Admiral", "title"),
    "maj": ("Major", "title"),
    "cpl": ("Corporal", "title"),
    "pvt": ("Private", "title"),
    "fr": ("Father", "title"),
    "messrs": ("Messieurs", "title"),
    "mme": ("Madame", "title"),
    "mlle": ("Mademoiselle", "title"),
    "mt": ("Mount", "title"),
    "ft": ("Fort", "title"),
    "pres": ("President", "title"),
    "jr": ("Junior", "post"),
    "sr": ("Senior", "post"),
    "esq": ("Esquire", "post"),
    "inc": ("Incorporated", "post"),
    "ltd": ("Limited", "post"),
    "corp": ("Corporation", "post"),
    "bros": ("Brothers", "post"),
    "ave": ("Avenue", "post"),
    "rd": ("Road", "post"),
    "blvd": ("Boulevard", "post"),
    "dept": ("Department", "post"),
    "no": ("number", "numbered"),
    "nos": ("numbers", "numbered"),
    "p": ("page", "numbered"),
    "pp": ("pages", "numbered"),
    "vol": ("volume", "numbered"),
    "fig": ("figure", "numbered"),
    "ch": ("chapter", "numbered"),
    "jan": ("January", "numbered"),
    "feb": ("February", "numbered"),
    "mar": ("March", "numbered"),
    "apr": ("April", "numbered"),
    "aug": ("August", "numbered"),
    "sep": ("September", "numbered"),
    "sept": ("September", "numbered"),
    "oct": ("October", "numbered"),
    "nov": ("November", "numbered"),
    "dec": ("December", "numbered"),
    "e.g": ("for example", "latin"),
    "i.e": ("that is", "latin"),
    "etc": ("et cetera", "latin"),
    "vs": ("versus", "latin"),
    "cf": ("compare", "latin"),
    "viz": ("namely", "latin"),
    "approx": ("approximately", "latin"),
    "et al": ("and others", "latin"),
    "a.k.a": ("also known as", "latin"),
}
_DOTTED_END = re.compile(r"(?i:e\.g|i\.e|a\.k\.a)\.\Z")
_ORDINAL_WORD = re.compile(r"\d+(?:st|nd|rd|th)")


def _gate() -> re.Pattern[str]:
    """Full stops right after a known abbreviation: one look-behind per length, run in C."""
    by_length: dict[int, list[str]] = {}
    for key in [*ABBREVIATIONS, "st", "dr"]:
        by_length.setdefault(len(key), []).append(re.escape(key))
    behind = "|".join(rf"(?<=\b(?i:{'|'.join(keys)})\.)" for _, keys in sorted(by_length.items()))
    return re.compile(rf"\.(?:{behind})")


_GATE = _gate()


def find_abbreviations(text: str) -> Iterator[Proposal]:
    for hit in _GATE.finditer(text):
        found = _at_stop(text, hit.start())
        if found is not None:
            yield found


def _at_stop(text: str, stop: int) -> Proposal | None:
    end = stop + 1
    dotted = _DOTTED_END.search(text, max(0, stop - 6), end)
    if dotted:
        start = dotted.start()
    else:
        start = stop
        while start > 0 and text[start - 1].isalpha():
            start -= 1
        before = text[max(0, start - 4) : start].lower()
        if before.endswith("et ") and (start == 3 or before[0].isspace()):
            start -= 3  # "et al."
    if (start and (text[start - 1].isalnum() or text[start - 1] == ".")) or (
        end < len(text) and text[end].isalnum()
    ):
        return None
    written = text[start : end - 1]
    words = _expand(written, text, start, end)
    return None if words is None else (start, end, [(start, end, words)])


def _expand(written: str, text: str, start: int, end: int) -> str | None:
    key = written.lower()
    if key in ("st", "dr"):
        return _street_or_title(written, text, start, end)
    if key not in ABBREVIATIONS:
        return None
    words, kind = ABBREVIATIONS[key]
    following = next_word(text, end)
    if kind != "latin" and not (written[0].isupper() or key in ("p", "pp")):
        return None
    if kind == "title":
        # "Mr. and Mrs. Smith": a title before "and" still names someone.
        return words if capitalized(following) or following == "and" else None
    if kind == "numbered":
        return words if following[:1].isdigit() else None
    if kind == "latin" and key not in ("etc", "et al"):
        return words
    return with_stop(text, end, words)


def _street_or_title(written: str, text: str, start: int, end: int) -> str | None:
    """St. Louis / Baker St., Dr. Watson / Mulholland Dr.: the words around decide."""
    if not written[0].isupper():
        return None
    previous, opens_sentence = previous_word(text, start)
    # "Baker St.", "5th St.": a street; "Mt. St. Helens", "Yesterday St. Louis": a saint.
    named = (capitalized(previous) and not opens_sentence and not previous.endswith(".")) or bool(
        _ORDINAL_WORD.fullmatch(previous)
    )
    following = next_word(text, end)
    if written.lower() == "st":
        if named or not capitalized(following):
            return with_stop(text, end, "Street")
        return "Saint"
    if capitalized(following) or following == "and":
        return "Doctor"
    return with_stop(text, end, "Drive") if named else None
