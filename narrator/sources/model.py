"""The chapter value every reader returns, and the checks and decoding they share."""

from __future__ import annotations

import codecs
import os
import re
from dataclasses import dataclass
from pathlib import Path

from narrator.errors import SourceError

# C0/C1 controls other than tab, newline, carriage return: never spoken, never kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Chapter:
    title: str | None
    paragraphs: tuple[str, ...]


def prettify(path: Path) -> str:
    """A readable title from a file name: '01-the_market' -> 'The Market'."""
    stem = re.sub(r"^[\d\s._-]+", "", path.stem) or path.stem
    return re.sub(r"[_-]+", " ", stem).strip().title()


def check_readable(path: Path) -> None:
    if not path.exists():
        raise SourceError(f"{path}: file not found; fix the path in the job's sources")
    if path.is_dir():
        raise SourceError(f"{path}: is a directory; list the files inside it as sources")
    if not os.access(path, os.R_OK):
        raise SourceError(f"{path}: not readable (permission denied); fix its permissions")


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot be read ({exc.strerror or exc}); check the file") from exc


def decode_text(path: Path, raw: bytes) -> str:
    """Bytes -> text: UTF-8 (BOM or not), UTF-16 with BOM, else cp1252 when it is clean."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _clean(raw.decode("utf-16"))
        except UnicodeDecodeError as exc:
            raise SourceError(f"{path}: broken UTF-16 text ({exc.reason}); re-save it as UTF-8") from exc
    if b"\x00" in raw:
        raise SourceError(f"{path}: looks binary (NUL bytes), not text; give a text document")
    try:
        return _clean(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    text = raw.decode("cp1252", errors="replace")
    if "\ufffd" in text or _CONTROL.search(text):
        raise SourceError(f"{path}: not valid UTF-8 text; re-save it as UTF-8")
    return _clean(text)


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


def read_text_file(path: Path) -> str:
    return decode_text(path, read_bytes(path))
