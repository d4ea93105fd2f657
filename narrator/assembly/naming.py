"""Output file names from a template, with every title made safe to use as one path component.

A title may contain anything a document author wrote ("AC/DC", "..", "Part 1: Why?"): each field
is cleaned, then the whole rendered name is cleaned again, so a name never holds a path separator
or `..` (a run of dots becomes "…"), never starts with a dot (no hidden files, no `..` prefix),
never is a Windows device name (`CON`, `nul.txt`...) and fits in 150 UTF-8 bytes (room for the
temp suffix and extension within the usual 255-byte limit).

Names sort in reading order: a zero-padded index (`{index:02d}`, the default) is padded to at
least the width the chapter count needs, so a 140-chapter book is 001..140, never "100"
between "10" and "11". Other index formats are used as written.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping

from narrator.errors import OutputError

FIELDS = ("index", "title", "book", "author")
MAX_NAME_BYTES = 150
_SEPARATORS = re.compile(r"[/\\]")
# Reserved on Windows/exFAT/SMB shares, where audiobooks often end up.
_RESERVED = re.compile(r'[<>:"|?*]')
_SPACES = re.compile(r"\s+")
_ZERO_PADDED = re.compile(r"^0(\d+)d$")
# A template may not make a name a path: no separator, no "..", no control character.
_UNSAFE = re.compile(r"[/\\]|\.\.|[\x00-\x1f]")
_SAMPLE_FIELDS = {"index": 1, "title": "Title", "book": "Book", "author": "Author"}
# A run of dots becomes one ellipsis character: no name ever holds "..", and "Wait... no" reads so.
_DOTS = re.compile(r"\.{2,}")
# Device names Windows (and so an SMB share) refuses as a file name, whatever the case or extension.
_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{port}{digit}" for port in ("COM", "LPT") for digit in "123456789\u00b9\u00b2\u00b3"}
)


def safe_component(text: str, fallback: str = "untitled") -> str:
    """`text` made one safe file-name component (no separators, no leading dots, no devices)."""
    return _fit(_not_a_device(_characters(text))) or fallback


def _field(text: str) -> str:
    """A template field made safe; the device check waits for the whole rendered name."""
    return _fit(_characters(text))


def _characters(text: str) -> str:
    cleaned = "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)
    cleaned = _SEPARATORS.sub("-", cleaned)
    cleaned = _RESERVED.sub("", cleaned)
    cleaned = _DOTS.sub("\u2026", cleaned.strip(" ."))
    return _SPACES.sub(" ", cleaned).strip(" .")


def _not_a_device(name: str) -> str:
    """`CON` -> `CON_`, `nul.mp3` -> `nul_.mp3`: Windows reads the part before the first dot."""
    base = name.partition(".")[0].rstrip(" ")
    if base.upper() not in _DEVICES:
        return name
    return f"{base}_{name[len(base) :]}"


def _fit(name: str) -> str:
    return _truncate(name, MAX_NAME_BYTES).rstrip(" .")


def _truncate(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def check_template(template: str, option: str = "name_template") -> None:
    """Raise OutputError unless `template` uses only the known fields, with formats that fit
    them, and nothing that makes a name a path (a separator, `..`, a control character, a
    leading dot). The one rule for templates; `render_name` cleans what it renders anyway."""
    field = f"output.{option}"
    _check_fields(template, field)
    try:
        sample = template.format_map(_SAMPLE_FIELDS)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise OutputError(
            f"bad format in {template!r} ({exc}); "
            "e.g. {index:02d} for numbers, {title} for text",
            field,
        ) from exc
    if _UNSAFE.search(template) or sample.startswith("."):
        raise OutputError(
            f"{template!r} is unsafe as a file name; no path separators, '..' or a leading dot",
            field,
        )


def _check_fields(template: str, field: str) -> None:
    """Raise OutputError unless `template` parses and names only FIELDS."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise OutputError(
            f"bad template ({exc}); write fields like {{title}} and double literal braces", field
        ) from exc
    for _, name, _, _ in parsed:
        if name is not None and name not in FIELDS:
            raise OutputError(f"unknown field {{{name}}}; use {', '.join(FIELDS)}", field)


def widen_index(template: str, count: int) -> str:
    """`template` with each zero-padded {index:0Nd} padded to at least len(str(count)) digits."""
    digits = len(str(max(count, 0)))
    out = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if name is None:
            continue
        match = _ZERO_PADDED.match(spec or "")
        if name == "index" and match and int(match.group(1)) < digits:
            spec = f"0{digits}d"
        out.append(
            "{"
            + name
            + (f"!{conversion}" if conversion else "")
            + (f":{spec}" if spec else "")
            + "}"
        )
    return "".join(out)


def render_name(
    template: str,
    fields: Mapping[str, object],
    option: str = "name_template",
    count: int = 0,
) -> str:
    """The safe file stem for `fields` (strings are cleaned before and after formatting).

    `count` is the number of names of the kind (chapters): zero-padded indexes widen to it.
    """
    _check_fields(template, f"output.{option}")
    template = widen_index(template, count)
    clean = {k: _field(v) if isinstance(v, str) else v for k, v in fields.items()}
    try:
        rendered = template.format_map(clean)
    except (ValueError, TypeError, KeyError) as exc:
        raise OutputError(
            f"bad format in {template!r} ({exc}); check the format spec", f"output.{option}"
        ) from exc
    return safe_component(rendered)


class NameBook:
    """Hands out names that are unique within one output directory (case-insensitively)."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def claim(self, stem: str) -> str:
        """`stem`, or `stem (2)`, `stem (3)`... if it was already handed out."""
        candidate, number = stem, 1
        while candidate.casefold() in self._taken:
            number += 1
            candidate = f"{stem} ({number})"
        self._taken.add(candidate.casefold())
        return candidate
