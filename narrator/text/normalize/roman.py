"""Roman numerals: strict parsing only, so that words like "DID" or "CIVIL" never count."""

from __future__ import annotations

import re
from collections.abc import Iterator

from narrator.text.normalize import numbers as n
from narrator.text.normalize.context import capitalized, next_word, previous_word, title_case
from narrator.text.normalize.rules import Proposal

# The canonical form: at most three repeats, subtractive pairs only IV IX XL XC CD CM.
_STRICT = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def roman_value(numeral: str) -> int | None:
    """The value of a well-formed Roman numeral (either case, not mixed), else None."""
    if not numeral or not (numeral.isupper() or numeral.islower()):
        return None
    upper = numeral.upper()
    if not _STRICT.fullmatch(upper):
        return None
    total = 0
    for char, following in zip(upper, [*upper[1:], ""], strict=False):  # empty: no pairs
        value = _VALUES[char]
        total += -value if following and _VALUES[following] > value else value
    return total


# --- where a numeral is one, in English ------------------------------------------------------

_KEYWORDS = frozenset(
    "chapter book part volume vol act scene section canto stave article appendix annex psalm "
    "lecture lesson title phase epistle plate table figure fig class type stage level grade "
    "episode".split()
)
_REGNAL = frozenset(
    "henry edward george william richard james charles john louis elizabeth mary anne philip "
    "philippe frederick friedrich frederik wilhelm peter ivan alexander nicholas catherine pius "
    "leo gregory benedict innocent clement boniface urban paul sixtus julius gustav gustavus "
    "gustaf christian haakon olaf olav magnus eric erik harald harold canute ferdinand francis "
    "franz joseph otto ludwig carlos carl karl juan alfonso pedro manuel napoleon ramesses "
    "rameses ramses ptolemy amenhotep thutmose seti cyrus darius xerxes artaxerxes antiochus "
    "constantine justinian theodosius leopold albert rudolf rudolph maximilian sigismund casimir "
    "stanislaus sancho robert david malcolm kenneth duncan stephen matilda isabella isabel "
    "umberto victor emmanuel vittorio felipe amadeus baldwin bohemond godfrey hugh raymond "
    "selim suleiman mehmed mehmet murad bayezid ahmed mustafa osman rama".split()
)
# After a bare name, "I" followed by these is the pronoun ("Mary I love you"), not a numeral.
_PRONOUN_NEXT = frozenset(
    "am 'm ’m 'll ’ll 've ’ve 'd ’d think know love told said want guess mean hope wish swear "
    "promise feel believe can't can’t don't don’t won't won’t".split()
)
_GATE = re.compile(r"[IVXLCDMivx][IVXLCDMivxlcdm]*\b")
_HEADING = re.compile(r"\s*(?P<rn>[IVXLCDM]+)(?=[.:]|\s*\Z)")
_HEADING_REST = re.compile(r"[.:]?\s*\Z|[.:]\s+[\"“‘(]*[A-Z]")
_WW = re.compile(r"\bWW\s?(?P<n>II|I|1|2)\b")
_HEADING_MAX = 399  # "MIX." opening a paragraph is a word, not heading 1009
_REGNAL_MAX = 39
_SHORT = 80  # a paragraph this short that opens with "I." is a heading


def find_numerals(text: str) -> Iterator[Proposal]:
    """Roman numerals read as numbers, where the context says they are numbers."""
    heading = _HEADING.match(text)
    if heading:
        yield from _heading(text, heading)
    pos = heading.end() if heading else 0
    while hit := _GATE.search(text, pos):
        pos = hit.end()
        start = hit.start()
        if start == 0 or not text[start - 1].isspace():
            continue
        words = _numeral_words(text, hit[0], start, pos)
        if words:
            yield start, pos, [(start, pos, words)]
    for match in _WW.finditer(text) if "WW" in text else ():
        number = "two" if match["n"] in ("II", "2") else "one"
        yield (
            match.start(),
            match.end(),
            [(match.start(), match.end(), f"World War {number.title()}")],
        )


def _heading(text: str, match: re.Match[str]) -> Iterator[Proposal]:
    numeral = match["rn"]
    value = roman_value(numeral)
    if value is None or value > _HEADING_MAX:
        return
    # "I." opening a long paragraph, or "I. e. ...": unsure, so left as written.
    if len(numeral) == 1 and (
        len(text.strip()) > _SHORT or not _HEADING_REST.match(text, match.end())
    ):
        return
    yield (
        match.start("rn"),
        match.end("rn"),
        [(match.start("rn"), match.end("rn"), title_case(n.cardinal(value)))],
    )


def _numeral_words(text: str, numeral: str, start: int, end: int) -> str | None:
    previous, _ = previous_word(text, start)
    word = previous.rstrip(".").lower()
    if word not in _KEYWORDS and word not in _REGNAL and word != "war":
        return None
    value = roman_value(numeral)
    if value is None:
        return None
    if word == "war":  # World War I, World War II
        before, _ = previous_word(text, start - len(previous) - 1)
        ok = before.lower() == "world" and value <= 2 and numeral.isupper()
        return title_case(n.cardinal(value)) if ok else None
    if word in _KEYWORDS:
        # "the book I read", "Appendix C": a single letter counts after a capitalized
        # keyword, and only I, V or X.
        if len(numeral) == 1 and (numeral not in "IVX" or not capitalized(previous)):
            return None
        return title_case(n.cardinal(value))
    if value > _REGNAL_MAX or not numeral.isupper() or not capitalized(previous):
        return None
    if previous.endswith((".", ",")):
        return None
    # "Mary I'm here", "Mary I love you": the pronoun. "Edward VII's reign" is a numeral.
    if numeral == "I" and (
        text[end : end + 1] in ("'", "’") or next_word(text, end).lower() in _PRONOUN_NEXT
    ):
        return None
    return "the " + title_case(n.ordinal(value))
