"""What part of the book an EPUB document (or a part of one) is: a role from blocks.ROLES.

Decided from what the book says, most specific first: the `epub:type`/`role` of the element
a TOC entry points at and its ancestors, of the document's top-level sections, of its <body>;
then the nav's landmarks and the EPUB 2 guide; the nav document itself is `toc`. A file name
("titlepage.xhtml", "colophon.xhtml") is the last hint. "frontmatter"/"backmatter" on a body
are generic: a section's "titlepage" or "colophon" beside them wins.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from urllib.parse import unquote

from bs4 import BeautifulSoup, Tag

from narrator.sources.htmlmarks import types

# EPUB 3 structural semantics (and DPUB-ARIA roles, EPUB 2 guide types) -> role. What the
# author wrote around the story (preface, introduction, afterword, appendix) is body: the job
# speaks only the body by default, and those are part of the book a listener expects.
_ROLE_OF = {
    "titlepage": "titlepage",
    "halftitlepage": "titlepage",
    "title-page": "titlepage",  # EPUB 2 guide
    "fulltitle": "titlepage",
    "seriespage": "titlepage",
    "cover": "titlepage",
    "imprint": "copyright",
    "colophon": "copyright",
    "copyright-page": "copyright",
    "imprimatur": "copyright",
    "uncopyright": "license",
    "license": "license",
    "dedication": "dedication",
    "epigraph": "dedication",
    "toc": "toc",
    "toc-brief": "toc",
    "loi": "toc",
    "lot": "toc",
    "lov": "toc",
    "landmarks": "toc",
    "page-list": "toc",
    "endnotes": "notes",
    "footnotes": "notes",
    "rearnotes": "notes",
    "notes": "notes",  # EPUB 2 guide
    "index": "index",
    "foreword": "frontmatter",
    "preface": "body",
    "acknowledgments": "frontmatter",
    "acknowledgements": "frontmatter",  # EPUB 2 guide spelling
    "contributors": "frontmatter",
    "other-credits": "frontmatter",
    "errata": "frontmatter",
    "abstract": "frontmatter",
    "afterword": "body",
    "appendix": "body",
    "bibliography": "backmatter",
    "glossary": "backmatter",
    "credits": "backmatter",
    "chapter": "body",
    "part": "body",
    "volume": "body",
    "division": "body",
    "prologue": "body",
    "epilogue": "body",
    "conclusion": "body",
    "introduction": "body",
    "text": "body",  # EPUB 2 guide
    "bodymatter": "body",
}
# Types that only say which half of the book a document is in.
_GENERIC = {"frontmatter": "frontmatter", "backmatter": "backmatter"}
_NAME_ROLES = (
    (re.compile(r"^(?:cover|titlepage|title[-_]page|halftitle(?:page)?)$"), "titlepage"),
    (re.compile(r"^(?:nav|toc|contents|table[-_]?of[-_]?contents)$"), "toc"),
    (re.compile(r"^(?:copyright|colophon|imprint)$"), "copyright"),
    (re.compile(r"^(?:uncopyright|license|licence)$"), "license"),
    (re.compile(r"^(?:dedication|epigraph)$"), "dedication"),
    (re.compile(r"^(?:endnotes|footnotes|notes)$"), "notes"),
    (re.compile(r"^index$"), "index"),
)
_SECTIONING = ("section", "div", "nav", "article", "aside", "header")


def role_of_types(tokens: Iterable[str]) -> str | None:
    """The specific role these semantic tokens name, else None (index-* are index)."""
    for token in tokens:
        token = token.rpartition(":")[2] if token.startswith(("z3998:", "se:")) else token
        if token in _ROLE_OF:
            return _ROLE_OF[token]
        if token.startswith("index-"):
            return "index"
    return None


def _generic(tokens: Iterable[str]) -> str | None:
    return next((_GENERIC[t] for t in tokens if t in _GENERIC), None)


def document_hints(soup: BeautifulSoup) -> list[list[str]]:
    """Semantic tokens of a document, most specific first: top-level sections, then <body>."""
    body = soup.find("body")
    if not isinstance(body, Tag):
        return []
    tops = body.find_all(_SECTIONING, recursive=False)
    return [sorted(types(t)) for t in tops[:1]] + [sorted(types(body))]


def element_hints(element: Tag) -> list[list[str]]:
    """Semantic tokens of an element and its ancestors up to <body>, nearest first."""
    hints = [sorted(types(element))]
    for parent in element.parents:
        if parent.name in ("body", "html", "[document]"):
            break
        hints.append(sorted(types(parent)))
    return hints


def decide(hints: Iterable[Iterable[str]], name: str = "") -> str:
    """The role for hints (most specific first), falling back to the file name, then body."""
    hints = [list(h) for h in hints]
    by_name = _name_role(name)
    for tokens in hints:
        role = role_of_types(tokens)
        if role is not None:
            # A "copyright page" that is a licence (Standard Ebooks' Uncopyright) is `license`.
            return "license" if role == "copyright" and by_name == "license" else role
    for tokens in hints:
        role = _generic(tokens)
        if role is not None:
            return role
    return by_name or "body"


def _name_role(name: str) -> str | None:
    stem = posixpath.splitext(posixpath.basename(name))[0].lower()
    return next((role for pattern, role in _NAME_ROLES if pattern.match(stem)), None)


def landmark_hints(navs: dict[str, BeautifulSoup]) -> dict[str, list[str]]:
    """Document path -> the landmark types pointing at it (EPUB 3 nav epub:type="landmarks").

    `navs` maps each nav document's path (its links are relative to it) to its parsed text.
    """
    found: dict[str, list[str]] = {}
    for nav_name, soup in navs.items():
        for nav in soup.find_all("nav"):
            if "landmarks" not in types(nav):
                continue
            for link in nav.find_all("a", href=True):
                path = _join(nav_name, str(link.get("href")).partition("#")[0])
                found.setdefault(path or nav_name, []).extend(sorted(types(link)))
    return found


def _join(base: str, href: str) -> str:
    if not href or "://" in href:
        return ""
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), unquote(href))).lstrip("/")
