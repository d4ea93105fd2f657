"""Numbers as English words, through num2words, in the plain style a narrator reads.

num2words writes British-style "one thousand, two hundred and thirty-four"; we drop the
commas and the "and" ("one thousand two hundred thirty-four"), which also keeps the segmenter
from cutting a number at its commas.
"""

from __future__ import annotations

import functools
import re

from num2words import num2words

_DIGIT_NAMES = "zero one two three four five six seven eight nine".split()
_NUMBER = re.compile(r"(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?")
_BRITISH = re.compile(r",| and(?= )")
# Beyond this, a digit string is a code or an identifier: read digit by digit.
_LONGEST = 15
_LONGEST_GROUPED = 24  # "1,000,000,000,000,000,000,000": one sextillion, as written


def _plain(words: str) -> str:
    return _BRITISH.sub("", words)


def cardinal(value: int) -> str:
    """Below a million, composed from num2words' words for 0-99 (num2words is ~100 us a call,
    which a 1.6 MB book's thousand distinct numbers would feel); above, num2words itself."""
    if 0 <= value < 1_000_000:
        thousands, rest = divmod(value, 1000)
        if not thousands:
            return _below_thousand(rest)
        head = f"{_below_thousand(thousands)} thousand"
        return f"{head} {_below_thousand(rest)}" if rest else head
    return _large(value)


@functools.lru_cache(maxsize=1024)
def _large(value: int) -> str:
    return _plain(num2words(value))


@functools.lru_cache(maxsize=100)
def _below_hundred(value: int) -> str:
    return num2words(value)


def _below_thousand(value: int) -> str:
    hundreds, rest = divmod(value, 100)
    if not hundreds:
        return _below_hundred(rest)
    head = f"{_below_hundred(hundreds)} hundred"
    return f"{head} {_below_hundred(rest)}" if rest else head


@functools.lru_cache(maxsize=4096)
def ordinal(value: int) -> str:
    if len(str(value)) > _LONGEST_GROUPED:  # beyond num2words' scale names
        return digits(str(value)) + "th"
    return _plain(num2words(value, to="ordinal"))


@functools.lru_cache(maxsize=1024)
def year(value: int) -> str:
    """1946 -> nineteen forty-six, 2005 -> two thousand five, 2017 -> twenty seventeen."""
    return _plain(num2words(value, to="year")).replace("oh-", "oh ")


def digits(text: str) -> str:
    """Each digit by name: "007" -> "zero zero seven"."""
    return " ".join(_DIGIT_NAMES[int(d)] for d in text if d.isdigit())


def integer(text: str) -> str:
    """A digit string, with or without thousands separators, as words."""
    bare = text.replace(",", "")
    longest = _LONGEST_GROUPED if "," in text else _LONGEST
    if len(bare) > longest or (len(bare) > 1 and bare.startswith("0") and "," not in text):
        return digits(bare)
    return cardinal(int(bare))


def number(text: str) -> str:
    """ "1,234.5" -> one thousand two hundred thirty-four point five."""
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise ValueError(f"not a number: {text!r}")
    words = integer(match["int"])
    if match["frac"] is not None:
        words += " point " + digits(match["frac"])
    return words


def plural(word: str) -> str:
    """The plural of a number word: ninety -> nineties, hundred -> hundreds, six -> sixes."""
    if word.endswith("y"):
        return word[:-1] + "ies"
    if word.endswith(("x", "s")):
        return word + "es"
    return word + "s"


def is_one(text: str) -> bool:
    """Whether a written number is exactly one (its unit is then singular)."""
    return text == "1"
