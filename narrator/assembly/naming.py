"""Output file names from a template, with every title made safe to use as one path component.

A title may contain anything a document author wrote ("AC/DC", "..", "Part 1: Why?"): each field
is cleaned, then the whole rendered name is cleaned again, so a name never holds a path separator,
never is `.`/`..`, never starts with a dot (no hidden files, no `..` prefix) and fits in 150 UTF-8
bytes (room for the temp suffix and extension within the usual 255-byte limit).
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


def safe_component(text: str, fallback: str = "untitled") -> str:
    """`text` made into one safe file-name component (no separators, no leading dots)."""
    cleaned = "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)
    cleaned = _SEPARATORS.sub("-", cleaned)
    cleaned = _RESERVED.sub("", cleaned)
    cleaned = _SPACES.sub(" ", cleaned).strip(" .")
    cleaned = _truncate(cleaned, MAX_NAME_BYTES).rstrip(" .")
    return cleaned or fallback


def _truncate(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def check_template(template: str, option: str = "name_template") -> None:
    """Raise OutputError unless `template` uses only the known fields, plainly."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise OutputError(f"output.{option} {template!r}: {exc}; use fields like {{title}}") from exc
    for _, name, _, _ in parsed:
        if name is None:
            continue
        if name not in FIELDS:
            raise OutputError(
                f"output.{option} {template!r}: unknown field {{{name}}}; use {', '.join(FIELDS)}"
            )


def render_name(template: str, fields: Mapping[str, object], option: str = "name_template") -> str:
    """The safe file stem for `fields` (strings are cleaned before and after formatting)."""
    check_template(template, option)
    clean = {k: safe_component(v, "") if isinstance(v, str) else v for k, v in fields.items()}
    try:
        rendered = template.format_map(clean)
    except (ValueError, TypeError, KeyError) as exc:
        raise OutputError(f"output.{option} {template!r}: {exc}; check the format spec") from exc
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
