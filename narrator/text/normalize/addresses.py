"""URLs, e-mail addresses and bare domains, read the way a person says them aloud.

"https://www.example.com/a-b" -> "w w w dot example dot com slash a dash b": the scheme is
dropped, every separator is named, numbers are words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from narrator.text.normalize import numbers as n
from narrator.text.normalize.rules import Proposal

_SYMBOLS = {
    ".": "dot",
    "/": "slash",
    "-": "dash",
    "_": "underscore",
    "@": "at",
    ":": "colon",
    "?": "question mark",
    "=": "equals",
    "&": "and",
    "#": "hash",
    "%": "percent",
    "~": "tilde",
    "+": "plus",
}
_PARTS = re.compile(r"([./\-_@:?=&#%~+])")
_TRAILING = ".,;:!?'\"’”"
_GATE = re.compile(r"://|www\.|@|\.(?:com|org|net|edu|gov|io)\b")
_URL = re.compile(r"(?:[a-zA-Z][a-zA-Z+.-]*://|www\.)[^\s<>\"“”‘’()\[\]{}]+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DOMAIN = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|edu|gov|io)\b(?:/[^\s\"”)]*)?")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z+.-]*://")


def spoken_address(address: str) -> str:
    words = []
    for part in _PARTS.split(_SCHEME.sub("", address).rstrip("/")):
        if not part:
            continue
        if part in _SYMBOLS:
            words.append(_SYMBOLS[part])
        elif part.isdigit():
            words.append(n.integer(part) if len(part) <= 4 else n.digits(part))
        elif part.lower() == "www":
            words.append("w w w")
        else:
            words.append(part)
    return " ".join(words)


def find_addresses(text: str) -> Iterator[Proposal]:
    pos = 0
    while hit := _GATE.search(text, pos):
        start, pattern = _start(text, hit)
        match = pattern.match(text, start) if start is not None else None
        if start is None or match is None or match.end() <= hit.start():
            pos = hit.end()
            continue
        address = match[0].rstrip(_TRAILING)
        end = start + len(address)
        yield start, end, [(start, end, spoken_address(address))]
        pos = max(end, hit.end())


def _start(text: str, hit: re.Match[str]) -> tuple[int | None, re.Pattern[str]]:
    """Where the address around a gate hit begins (scanning back), and its pattern."""
    found = hit[0]
    allowed = {"://": "+.-", "@": ".+-_"}.get(found, ".-")
    at = hit.start()
    if found == "www.":
        pattern = _URL
    else:
        while at > 0 and (text[at - 1].isalnum() or text[at - 1] in allowed):
            at -= 1
        pattern = _URL if found == "://" else _EMAIL if found == "@" else _DOMAIN
    if at == hit.start() and found != "www.":
        return None, pattern
    if at > 0 and (text[at - 1].isalnum() or text[at - 1] in "@/."):
        return None, pattern
    return at, pattern
