"""Numbers in English: amounts, clock times, units, fractions, ordinals, years, ranges.

One finder: the regex engine skips to each digit or currency sign in C, then the shapes are
tried there, most specific first ("$1.88" before "1.88", "1914-1918" before "1914"). A shape
that matches but makes no sense ("5/7", "3-2" as a range) declines and the next one is tried.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from narrator.text.normalize import numbers as n
from narrator.text.normalize.context import next_word, previous_word, sentence_ends_after
from narrator.text.normalize.rules import Proposal, Replacement

Shape = tuple[re.Pattern[str], Callable[[re.Match[str], str], list[Replacement] | None]]

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_INT = r"\d{1,3}(?:,\d{3})+|\d+"
# Not inside a word, a number, a path or an amount; nor after "B-" or "1914-".
_START = r"(?<![\w.,/$£€¥@])"
_BEFORE = _START + r"(?<![\w.,/)\]][-−–])"
_AFTER = r"(?![\w@]|[.,]\d)"
_GLYPHS = "½⅓⅔¼¾⅕⅛⅜⅝⅞"
_GATE = re.compile(f"[0-9$£€¥#{_GLYPHS}]")
_DIGITS = re.compile(r"[0-9]*")


def _minus(text: str, start: int) -> int:
    """Where a number starting at `start` really starts: at a minus sign before it, if any."""
    if start and text[start - 1] in "-−" and (start == 1 or text[start - 2] in " \t\n("):
        return start - 1
    return start


def _sign(text: str, start: int) -> list[Replacement]:
    """ "minus " for a minus sign just before `start`, else nothing."""
    at = _minus(text, start)
    return [] if at == start else [(at, start, "minus ")]


# --- currency ------------------------------------------------------------------------------

_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", "", ""),
}
_SCALES = {"k": "thousand", "m": "million", "bn": "billion"}
_CURRENCY = re.compile(
    r"(?<![\w$£€¥])(?P<sym>[$£€¥])\s?(?P<amount>" + _NUM + r")"
    r"(?:\s?(?P<scale>(?i:thousand|million|billion|trillion|bn|m|k))\b)?" + _AFTER
)


def _currency(match: re.Match[str], text: str) -> list[Replacement]:
    one, many, cent, cents = _CURRENCIES[match["sym"]]
    amount, scale = match["amount"], match["scale"]
    if scale:
        scale = _SCALES.get(scale.lower(), scale.lower())
        words = f"{n.number(amount)} {scale} {many}"
    else:
        whole, _, fraction = amount.partition(".")
        units = int(whole.replace(",", ""))
        if fraction and (len(fraction) != 2 or not cent):
            words = f"{n.number(amount)} {many}"
        else:
            parts = [f"{n.integer(whole)} {one if units == 1 else many}"] if units else []
            if fraction and int(fraction):
                value = int(fraction)
                parts.append(f"{n.cardinal(value)} {cent if value == 1 else cents}")
            words = " and ".join(parts) or f"zero {many}"
    return [(match.start(), match.end(), words)]


# --- clock times -----------------------------------------------------------------------------

_MERIDIEM = r"\s?(?:(?P<dot{0}>[AaPp])\.[Mm]\.|(?P<ap{0}>[AaPp])[Mm]\b)"
_TIME = re.compile(
    _BEFORE
    + r"(?P<h>[01]?\d|2[0-3])(?::(?P<min>[0-5]\d)(?::(?P<sec>[0-5]\d))?"
    + f"(?:{_MERIDIEM.format(1)})?|{_MERIDIEM.format(2)})"
    + r"(?![\w:]|\.\d)"
)


def _time(match: re.Match[str], text: str) -> list[Replacement] | None:
    dotted = match["dot1"] or match["dot2"]
    letter = dotted or match["ap1"] or match["ap2"]
    hour = int(match["h"])
    words = n.cardinal(hour)
    minute = int(match["min"] or 0)
    if match["min"] and minute == 0 and not letter:
        words += " o'clock" if hour <= 12 else " hundred"
    elif minute:
        words += f" oh {n.cardinal(minute)}" if minute < 10 else f" {n.cardinal(minute)}"
    if match["sec"]:
        words += f" and {n.cardinal(int(match['sec']))} seconds"
    if letter:
        words += " AM" if letter in "aA" else " PM"
        if dotted and sentence_ends_after(text, match.end()):
            words += "."  # "p.m." also ended the sentence
    return [(match.start(), match.end(), words)]


# --- units and percentages ---------------------------------------------------------------------

_UNITS = {
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"),
    "mph": ("mile per hour", "miles per hour"),
    "kg": ("kilogram", "kilograms"),
    "mg": ("milligram", "milligrams"),
    "g": ("gram", "grams"),
    "km": ("kilometer", "kilometers"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "m": ("meter", "meters"),
    "mi": ("mile", "miles"),
    "ft": ("foot", "feet"),
    "yd": ("yard", "yards"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    "ml": ("milliliter", "milliliters"),
    "mL": ("milliliter", "milliliters"),
    "kWh": ("kilowatt hour", "kilowatt hours"),
    "kW": ("kilowatt", "kilowatts"),
    "MW": ("megawatt", "megawatts"),
    "GW": ("gigawatt", "gigawatts"),
    "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"),
    "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"),
    "KB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"),
    "TB": ("terabyte", "terabytes"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
    "min": ("minute", "minutes"),
    "hr": ("hour", "hours"),
    "hrs": ("hour", "hours"),
    "sec": ("second", "seconds"),
    "ms": ("millisecond", "milliseconds"),
    "%": ("percent", "percent"),
}
_UNIT_NAMES = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_UNIT = re.compile(
    _BEFORE + r"(?:(?P<low>" + _NUM + r")\s?[-–]\s?)?(?P<value>" + _NUM + r")"
    r"\s?(?P<unit>" + _UNIT_NAMES + r")(?![\w°])"
)


def _unit(match: re.Match[str], text: str) -> list[Replacement]:
    one, many = _UNITS[match["unit"]]
    value, low = match["value"], match["low"]
    words = n.number(value) if not low else f"{n.number(low)} to {n.number(value)}"
    unit = one if n.is_one(value) and not low else many
    return [*_sign(text, match.start()), (match.start(), match.end(), f"{words} {unit}")]


# --- fractions ----------------------------------------------------------------------------------

_GLYPH_VALUES = {
    "½": (1, 2),
    "⅓": (1, 3),
    "⅔": (2, 3),
    "¼": (1, 4),
    "¾": (3, 4),
    "⅕": (1, 5),
    "⅛": (1, 8),
    "⅜": (3, 8),
    "⅝": (5, 8),
    "⅞": (7, 8),
}
_DENOMINATORS = frozenset({2, 3, 4, 5, 6, 8, 10, 12, 16, 32, 64, 100})
_FRACTION = re.compile(
    _BEFORE + r"(?:(?P<whole>\d+)(?:\s(?=\d+/)|\s?(?=[" + _GLYPHS + r"])))?"
    r"(?:(?P<top>\d+)/(?P<bottom>\d+)|(?P<glyph>[" + _GLYPHS + r"]))(?![\w/]|[.,]\d)"
    r"(?:\s?(?P<unit>" + _UNIT_NAMES + r")(?![\w°]))?"
)


def _fraction_words(top: int, bottom: int) -> str:
    if bottom == 2:
        name = "half" if top == 1 else "halves"
    elif bottom == 4:
        name = "quarter" if top == 1 else "quarters"
    else:
        name = n.ordinal(bottom) if top == 1 else n.plural(n.ordinal(bottom))
    return f"{n.cardinal(top)} {name}"


def _fraction(match: re.Match[str], text: str) -> list[Replacement] | None:
    if match["glyph"]:
        top, bottom = _GLYPH_VALUES[match["glyph"]]
    else:
        top, bottom = int(match["top"]), int(match["bottom"])
        if bottom not in _DENOMINATORS or not 0 < top < bottom:
            return None
    words = _fraction_words(top, bottom)
    if match["whole"]:
        words = words.replace("one ", "a ", 1) if top == 1 else words
        words = f"{n.integer(match['whole'])} and {words}"
    if match["unit"]:
        one, many = _UNITS[match["unit"]]
        words += f" {many}" if match["whole"] else f" of a {one}"
    return [(match.start(), match.end(), words)]


# --- ordinals, decades, ranges, years, plain numbers --------------------------------------------

_ORDINAL = re.compile(_BEFORE + r"(?P<int>" + _INT + r")(?:st|nd|rd|th|ST|ND|RD|TH)\b")
_DECADE = re.compile(r"(?<![\w.,])(?P<decade>1[1-9]\d0|20[0-9]0|[1-9]0)['’]?s\b")
_RANGE = re.compile(
    _BEFORE + r"(?P<low>" + _INT + r")\s?[-–—]\s?(?P<high>" + _INT + r")(?![\w/:]|[-–.,]\d)"
)
_PHONE = re.compile(_BEFORE + r"\d{3}-\d{3,4}(?:-\d{4})?(?![\w-])")
_YEAR = re.compile(_BEFORE + r"(?:1[1-9]\d\d|10[1-9]\d|20\d\d)" + _AFTER)
_NUMBER = re.compile(_START + r"(?P<value>" + _NUM + r")" + _AFTER + "(?!/)")
# A number after these is a count or a label, not a year: "No. 1946", "page 1500".
_COUNTED = frozenset("no no. nos. number numbers page pages p. pp. document exhibit room".split())


def _ordinal(match: re.Match[str], text: str) -> list[Replacement]:
    return [(match.start(), match.end(), n.ordinal(int(match["int"].replace(",", ""))))]


def _decade(match: re.Match[str], text: str) -> list[Replacement]:
    digits, start = match["decade"], match.start()
    words = n.year(int(digits)) if len(digits) == 4 else n.cardinal(int(digits))
    head, _, last = words.rpartition(" ")
    stem, dash, tail = last.rpartition("-")
    if start and text[start - 1] in "'’":  # '80s
        start -= 1
    return [(start, match.end(), f"{head} {stem}{dash}{n.plural(tail)}".strip())]


def _is_year(digits: str) -> bool:
    return len(digits) == 4 and 1010 <= int(digits) <= 2099


def _range(match: re.Match[str], text: str) -> list[Replacement] | None:
    low, high = match["low"], match["high"]
    if _is_year(low) and (_is_year(high) or len(high) == 2):
        second = n.year(int(high)) if len(high) == 4 else n.integer(high)
        return [(match.start(), match.end(), f"{n.year(int(low))} to {second}")]
    if int(low.replace(",", "")) < int(high.replace(",", "")):
        return [(match.start(), match.end(), f"{n.integer(low)} to {n.integer(high)}")]
    return None


_MONTH_NAMES = (
    "January February March April May June July August September October November December"
).split()
_CODE = re.compile(_BEFORE + r"\d+(?:-\d+){2,}(?![\w-])")


def _code(match: re.Match[str], text: str) -> list[Replacement]:
    """2024-01-05 as a date; other dash-joined digit groups (1-800-555-1234) digit by digit."""
    groups = match[0].split("-")
    if len(groups) == 3 and [len(g) for g in groups] == [4, 2, 2]:
        year, month, day = (int(g) for g in groups)
        if 1 <= month <= 12 and 1 <= day <= 31:
            words = f"{_MONTH_NAMES[month - 1]} {n.ordinal(day)}, {n.year(year)}"
            return [(match.start(), match.end(), words)]
    return [(match.start(), match.end(), ", ".join(n.digits(g) for g in groups))]


def _phone(match: re.Match[str], text: str) -> list[Replacement]:
    groups = match[0].split("-")
    return [(match.start(), match.end(), ", ".join(n.digits(g) for g in groups))]


def _year(match: re.Match[str], text: str) -> list[Replacement] | None:
    if previous_word(text, match.start())[0].lower() in _COUNTED:
        return None
    return [(match.start(), match.end(), n.year(int(match[0])))]


_MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)


def _number(match: re.Match[str], text: str) -> list[Replacement]:
    written = match[0]
    if written.isdigit() and 1 <= int(written) <= 31:
        previous, opens = previous_word(text, match.start())
        previous = previous.rstrip(".")
        month = previous.lower() in _MONTHS and previous[:1].isupper()
        following = next_word(text, match.end())
        if (month and not (opens and previous.lower() == "may")) or (
            following.lower() in _MONTHS and following[:1].isupper()
        ):  # July 4, 4 July -> July fourth, fourth July
            return [(match.start(), match.end(), n.ordinal(int(written)))]
    return [*_sign(text, match.start()), (match.start(), match.end(), n.number(written))]


_HASH = re.compile(r"#(?P<int>" + _INT + r")" + _AFTER)


def _hash(match: re.Match[str], text: str) -> list[Replacement]:
    return [(match.start(), match.end(), f"number {n.integer(match['int'])}")]


SHAPES: tuple[Shape, ...] = (
    (_HASH, _hash),
    (_CURRENCY, _currency),
    (_TIME, _time),
    (_UNIT, _unit),
    (_FRACTION, _fraction),
    (_ORDINAL, _ordinal),
    (_DECADE, _decade),
    (_CODE, _code),
    (_PHONE, _phone),
    (_RANGE, _range),
    (_YEAR, _year),
    (_NUMBER, _number),
)


def _which() -> re.Pattern[str]:
    """All shapes as one alternation (groups unnamed), to learn in C which one matches first."""
    unnamed = (re.sub(r"\(\?P<\w+>", "(?:", p.pattern) for p, _ in SHAPES)
    return re.compile("|".join(f"(?P<s{i}>{body})" for i, body in enumerate(unnamed)))


_WHICH = _which()


def find_amounts(text: str) -> Iterator[Proposal]:
    pos = 0
    while hit := _GATE.search(text, pos):
        at = hit.start()
        digits = _DIGITS.match(text, at + 1)
        pos = digits.end() if digits else at + 1
        which = _WHICH.match(text, at)
        if which is None or which.lastgroup is None:
            continue
        for pattern, handler in SHAPES[int(which.lastgroup[1:]) :]:
            match = pattern.match(text, at)
            replacements = handler(match, text) if match else None
            if match and replacements:
                yield min(r[0] for r in replacements), match.end(), replacements
                pos = match.end()
                break
