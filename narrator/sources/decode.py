"""Bytes on disk -> clean text: the one place that checks a source file can be read at all.

UTF-8 (with or without BOM) and UTF-16/32 with a BOM are read as such. A charset the file
declares (an HTML page's <meta charset>) comes next, when the bytes decode with it. Other bytes
that are not UTF-8 are tried as cp1252 (old Windows text), but only when that gives no control
characters: a file full of them is binary, not text, and a wrong guess would be heard aloud.
Control characters other than newline and tab are removed so they never reach the TTS service.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from narrator.errors import SourceError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Form feed, vertical tab and the Unicode line separators end lines; they must not glue words.
_LINE_BREAKS_RE = re.compile(r"\r\n?|[\f\v\x1c-\x1e\x85\u2028]")
# Unicode's paragraph separator ends a paragraph: a blank line, as the readers split on.
_PARAGRAPH_SEPARATOR = "\u2029"
# Labels browsers read as windows-1252 (WHATWG Encoding): its quotes and dashes live where
# ISO-8859-1 has control characters, which would be dropped.
_BROWSER_CODECS = {"iso8859-1": "cp1252", "ascii": "cp1252"}
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE_RE = re.compile(r"\s+")


def read_bytes(path: Path) -> bytes:
    """Read a source file whole, with every OS failure turned into a one-line SourceError."""
    if not path.exists():
        raise SourceError(f"{path}: no such file; fix the path in the job's sources")
    if path.is_dir():
        raise SourceError(f"{path}: is a directory; list the files inside it as sources")
    if not path.is_file():
        raise SourceError(f"{path}: not a regular file; give a txt, md, html or epub file")
    try:
        return path.read_bytes()
    except PermissionError as exc:
        raise SourceError(f"{path}: permission denied; make the file readable (chmod +r)") from exc
    except OSError as exc:
        reason = exc.strerror or exc
        raise SourceError(f"{path}: cannot be read ({reason}); check the file") from exc


def read_text(path: Path) -> str:
    """Read and decode a text source (txt, md, html); see `decode_bytes`."""
    return decode_bytes(read_bytes(path), path)


def decode_bytes(data: bytes, path: Path, declared: str | None = None) -> str:
    """Decode `data` read from `path` and normalise its line breaks and control characters.

    Args:
        declared: the charset the file names for itself, if any; ignored when Python does not
            know it or the bytes do not decode with it.

    Raises:
        SourceError: the bytes are binary, or neither UTF-8/16/32 nor clean cp1252.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _checked(_decode_bom(data, codec, path), path)
    if b"\x00" in data:
        raise _binary(path)
    text = _decode_declared(data, declared)
    if text is not None:
        return clean_text(text)
    try:
        return _checked(data.decode("utf-8"), path)
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("cp1252")  # strict: the five bytes cp1252 leaves undefined fail here
    except UnicodeDecodeError:
        text = None
    if text is None or _CONTROL_RE.search(_LINE_BREAKS_RE.sub("\n", text).replace("\t", " ")):
        raise SourceError(
            f"{path}: not UTF-8 text (bad byte at offset {utf8_error.start}) and "
            "not clean Windows-1252 either; re-save it as UTF-8"
        ) from utf8_error
    return clean_text(text)


def _decode_declared(data: bytes, declared: str | None) -> str | None:
    try:
        codec = codecs.lookup(declared).name if declared else None
    except LookupError:
        return None  # a charset Python does not know: decode as if none was declared
    # A label found by reading the bytes as ASCII cannot name a two- or four-byte encoding.
    if codec is None or codec.startswith(("utf-16", "utf-32")):
        return None
    try:
        return data.decode(_BROWSER_CODECS.get(codec, codec))
    except (UnicodeError, LookupError):  # a wrong label, or a codec that is not for text
        return None


def _decode_bom(data: bytes, codec: str, path: Path) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        name = codec.upper().replace("-SIG", "")
        raise SourceError(
            f"{path}: starts with a {name} byte-order mark but is not valid "
            f"{name} ({exc.reason}); re-save it as UTF-8"
        ) from exc


def _checked(text: str, path: Path) -> str:
    if "\x00" in text:
        raise _binary(path)
    return clean_text(text)


def _binary(path: Path) -> SourceError:
    return SourceError(
        f"{path}: looks like a binary file (NUL bytes), not text; give a txt, md, html or epub file"
    )


def clean_text(text: str) -> str:
    """Unify line breaks to '\\n' and drop control characters other than newline and tab.

    A paragraph separator (U+2029) becomes a blank line, so it still parts paragraphs.
    """
    text = text.replace(_PARAGRAPH_SEPARATOR, "\n\n")
    return _CONTROL_RE.sub("", _LINE_BREAKS_RE.sub("\n", text))


def fold(text: str) -> str:
    """Clean `text` and fold every run of whitespace to one space (a paragraph string)."""
    return _SPACE_RE.sub(" ", clean_text(text)).strip()
