"""What an HTML element is beyond its tag: a marker, a note, a code block, a book's part.

Pure questions about one bs4 Tag, asked by the HTML walker (htmltext.py) and the EPUB reader.
Semantics come from EPUB 3 `epub:type` tokens, ARIA DPUB `role`s (`doc-endnote` is read as
`endnote`) and HTMLBook `data-type`s, then from class names that e-book tools and Project
Gutenberg use.

Markers are dropped only when their text looks like a marker ("1", "[12]", "iv", "*", "↩",
"[Pg 12]"); an element marked noteref whose text is a word keeps the word.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote

from bs4 import Tag

NOTE_TYPES = frozenset({"footnote", "endnote", "rearnote", "note"})
NOTES_TYPES = frozenset({"footnotes", "endnotes", "rearnotes"})
NOTE_CLASSES = frozenset({"footnote", "endnote"})
NOTES_CLASSES = frozenset({"footnotes", "endnotes"})
NOTEREF_CLASSES = frozenset({"noteref", "footnote-ref", "footnoteref", "fnanchor", "fn-ref"})
BACKLINK_CLASSES = frozenset({"footnote-back", "footnote-backref", "backlink", "fn-back"})
PAGE_CLASSES = frozenset({"pagenum", "pageno", "page-number", "pagenumber", "page-num"})
LINE_CLASSES = frozenset({"lnum", "linenum", "linenumber", "line-number", "lineno", "line-num"})
CODE_CLASSES = frozenset({"code", "sourcecode", "programlisting", "listing"})

_MARKER_RE = re.compile(
    r"^[\[(]?\s*(?:\d{1,4}|[A-Za-z]|[ivxlcdmIVXLCDM]{1,7}|[*†‡§¶#]{1,3})\s*[\])]?$"
)
_PAGE_RE = re.compile(
    r"^\[?\s*(?:(?:p|pg|page)\.?\s*)?[\divxlcdmIVXLCDM]{1,7}\s*\]?$", re.IGNORECASE
)
_BACKLINK_RE = re.compile(r"^[\s↩↑⤴^\ufe0e\ufe0f]+$")
_LABEL_STRIP = "[](){}. \t\n"

PAGE, LINE, NOTEREF, BACKLINK = "page", "line", "noteref", "backlink"
# A paragraph that is only a transcriber's bracket marker: "[Illustration]", "[Illustration:
# The Mock Turtle]". Plain-text sources have their own rule (narrator/text); HTML needs only
# the whole-paragraph case, since its pictures are <img>s.
_BRACKET_RE = re.compile(
    r"^\[\s*(?:illustration|picture|image|figure)\s*(?::\s*(.*?))?\s*\]$", re.IGNORECASE | re.DOTALL
)


def types(tag: Tag) -> set[str]:
    """The element's semantic tokens, lower case, "doc-" prefixes removed.

    From epub:type, ARIA role and O'Reilly HTMLBook's data-type (data-type="noteref").
    """
    values = (tag.get("epub:type"), tag.get("role"), tag.get("data-type"))
    tokens = " ".join(str(v) for v in values if v).lower().split()
    return {t.removeprefix("doc-") for t in tokens}


def classes(tag: Tag) -> set[str]:
    value = tag.get("class") or ()
    return {c.lower() for c in (value.split() if isinstance(value, str) else value)}


def _text(tag: Tag) -> str:
    return " ".join(tag.get_text().split())


def marker(tag: Tag, name: str) -> str | None:
    """PAGE, LINE, NOTEREF or BACKLINK when `tag` is such a marker, else None.

    A NOTEREF may keep its text (see marker_text_kept); the others are dropped whole.
    """
    kinds, names = types(tag), classes(tag)
    if not kinds and not names and name not in ("a", "sup"):
        return None  # the common case, without reading the element's text
    text = _text(tag)
    if "pagebreak" in kinds or names & PAGE_CLASSES:
        return PAGE if not text or _PAGE_RE.match(text) else None
    if names & LINE_CLASSES:
        return LINE if _PAGE_RE.match(text) else None
    if "backlink" in kinds or names & BACKLINK_CLASSES:
        return BACKLINK if not text or _BACKLINK_RE.match(text) or _MARKER_RE.match(text) else None
    if name == "a" and text and _BACKLINK_RE.match(text):
        return BACKLINK
    if "noteref" in kinds or names & NOTEREF_CLASSES:
        return NOTEREF
    if name == "sup" and _MARKER_RE.match(text) and _link(tag) is not None:
        return NOTEREF
    if name == "a" and _is_bracketed(text) and "#" in str(tag.get("href") or ""):
        return NOTEREF
    return None


def bracket_marker(text: str) -> str | None:
    """The caption a bracket marker paragraph stands for ("" for none), or None if it is not one."""
    found = _BRACKET_RE.match(text)
    if found is None:
        return None
    return (found.group(1) or "").strip()


def marker_text_kept(tag: Tag) -> bool:
    """True when a note reference's text is a word rather than a marker (keep the word)."""
    text = _text(tag)
    return bool(text) and _MARKER_RE.match(text) is None


def _is_bracketed(text: str) -> bool:
    return text[:1] in "[(" and _MARKER_RE.match(text) is not None


def _link(tag: Tag) -> Tag | None:
    if tag.name == "a" and tag.get("href"):
        return tag
    found = tag.find("a", href=True)
    return found if isinstance(found, Tag) else None


def ref_target(tag: Tag, doc: str) -> str | None:
    """The note key ("document#id") a note reference points at, or None."""
    link = _link(tag)
    if link is None:
        return None
    return resolve(doc, str(link.get("href")))


def ref_label(tag: Tag) -> str:
    return _text(tag).strip(_LABEL_STRIP)


def resolve(doc: str, href: str) -> str | None:
    """ "document#id" for an href seen in `doc` (a path inside the book, "" for a lone page)."""
    path, _, fragment = href.partition("#")
    if not fragment or "://" in path:
        return None
    if path:
        path = posixpath.normpath(posixpath.join(posixpath.dirname(doc), unquote(path)))
        path = path.lstrip("/")
    else:
        path = doc
    return f"{path}#{unquote(fragment)}"


def is_note(tag: Tag, name: str) -> bool:
    """True for a footnote/endnote's text: marked so, or an item of an endnotes list."""
    if types(tag) & NOTE_TYPES or (classes(tag) & NOTE_CLASSES and name in ("div", "aside", "p")):
        return True
    if name != "li" or not tag.get("id"):
        return False
    for ancestor in list(tag.parents)[:3]:
        if types(ancestor) & NOTES_TYPES or classes(ancestor) & NOTES_CLASSES:
            return True
    return False


def note_keys(tag: Tag, doc: str) -> str:
    """The keys a note answers to: its own id and the ids inside it (PG puts them on an <a>)."""
    ids = [tag.get("id"), *(t.get("id") for t in tag.find_all(id=True))]
    ids += [t.get("name") for t in tag.find_all("a", attrs={"name": True})]
    return " ".join(dict.fromkeys(f"{doc}#{i}" for i in ids if i))


def is_code(tag: Tag) -> bool:
    """A <pre> that holds code (a <code> inside, or a code class) rather than verse."""
    return tag.find("code") is not None or bool(classes(tag) & CODE_CLASSES)
