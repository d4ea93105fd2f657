"""Conservative text rules for a chapter's role, for documents that do not say it themselves.

What a document says about its parts (EPUB landmarks and epub:type, PG's START/END lines) is
set by its reader and never changed here; these rules only look at chapters still marked
"body", and leave them so when in doubt, because a body chapter wrongly skipped is text the
listener never hears:

- a chapter titled Contents / Table of Contents whose lines are all short is `toc`;
- a chapter titled Index at the end is `index`; Copyright, Imprint or Colophon, `copyright`;
  Title Page, `titlepage`; Dedication, `dedication`; License/Licence/Uncopyright at the end,
  `license`; a transcriber's note, front or back matter;
- untitled text before the first chapter heading is `copyright` when short and it says
  "Copyright" or "All rights reserved", `titlepage` when it is a few lines and no sentence;
- after a lone "THE END" line in the last chapter, what follows (publisher's advertisements,
  a list of corrections) is `backmatter`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from narrator.sources.blocks import Chapter

_CONTENTS_RE = re.compile(r"^(?:table\s+of\s+)?contents\.?$", re.IGNORECASE)
_INDEX_RE = re.compile(r"^(?:general\s+)?index\.?$", re.IGNORECASE)
_COPYRIGHT_TITLE_RE = re.compile(
    r"^(?:copyright(?:\s+page)?|imprint|colophon|publisher[’']?s\s+imprint)\.?$", re.IGNORECASE
)
_LICENSE_TITLE_RE = re.compile(r"^(?:licen[cs]e|uncopyright)\.?$", re.IGNORECASE)
_TITLEPAGE_RE = re.compile(r"^(?:title\s*page|half[\s-]*title)\.?$", re.IGNORECASE)
_DEDICATION_RE = re.compile(r"^dedication\.?$", re.IGNORECASE)
_TRANSCRIBER_RE = re.compile(r"^transcriber[’'`]?s?\s+notes?\b", re.IGNORECASE)
_COPYRIGHT_RE = re.compile(r"\bcopyright\b|©|\ball rights reserved\b", re.IGNORECASE)
_THE_END_RE = re.compile(r"^_?(?:THE END|The End|FINIS|Finis)\.?_?$")
_NUMBERISH_RE = re.compile(r"^[\divxlc]+[.,;]?$", re.IGNORECASE)
MAX_TOC_LINE = 100
MAX_COPYRIGHT_WORDS = 400
MAX_TITLEPAGE_WORDS = 40
_SENTENCE_END = (".", "!", "?", ".”", '."', "!”", "?”")


def apply_title_roles(chapters: Sequence[Chapter]) -> list[Chapter]:
    """Give body chapters the role their title names (see module doc); others are kept."""
    out = list(chapters)
    last = len(out) - 1
    for i, chapter in enumerate(out):
        if chapter.role == "body" and not chapter.fallback_title and chapter.title:
            role = title_role(chapter, at_end=i >= last - 1)
            if role:
                out[i] = replace(chapter, role=role)
    return out


def title_role(chapter: Chapter, *, at_end: bool) -> str | None:
    """The role a chapter's own title gives it, or None to keep it body."""
    title = " ".join((chapter.title or "").split())
    if _CONTENTS_RE.match(title) and all(len(p) <= MAX_TOC_LINE for p in chapter.paragraphs):
        return "toc"
    if _COPYRIGHT_TITLE_RE.match(title):
        return "copyright"
    if _TITLEPAGE_RE.match(title):
        return "titlepage"
    if _DEDICATION_RE.match(title):
        return "dedication"
    if _TRANSCRIBER_RE.match(title):
        return "backmatter" if at_end else "frontmatter"
    if at_end and _INDEX_RE.match(title) and looks_like_index(chapter.paragraphs):
        return "index"
    if at_end and _LICENSE_TITLE_RE.match(title):
        return "license"
    return None


def front_role(paragraphs: Sequence[str]) -> str:
    """The role of untitled text before a document's first chapter heading."""
    words = sum(len(p.split()) for p in paragraphs)
    text = " ".join(paragraphs)
    if words <= MAX_COPYRIGHT_WORDS and _COPYRIGHT_RE.search(text):
        return "copyright"
    if words <= MAX_TITLEPAGE_WORDS and not any(
        p.rstrip("_ )]").endswith(_SENTENCE_END) for p in paragraphs
    ):
        return "titlepage"
    return "body"


def looks_like_index(paragraphs: Sequence[str]) -> bool:
    """Index entries: a page number every few words."""
    words = [w for p in paragraphs for w in p.split()]
    return len(words) >= 10 and sum(bool(_NUMBERISH_RE.match(w)) for w in words) >= len(words) / 5


def split_after_the_end(chapter: Chapter) -> list[Chapter]:
    """Cut the last chapter after a lone THE END line: what follows is back matter."""
    for i, paragraph in enumerate(chapter.paragraphs[:-1]):
        if _THE_END_RE.match(paragraph):
            rest = chapter.paragraphs[i + 1 :]
            return [
                replace(chapter, paragraphs=chapter.paragraphs[: i + 1]),
                Chapter("After the end", rest, fallback_title=True, role="backmatter"),
            ]
    return [chapter]


def split_index(chapter: Chapter) -> list[Chapter]:
    """Cut an index off the end of the last chapter: a lone INDEX line and entries after it."""
    for i, paragraph in enumerate(chapter.paragraphs[:-1]):
        if _INDEX_RE.match(paragraph) and looks_like_index(chapter.paragraphs[i + 1 :]):
            return [
                replace(chapter, paragraphs=chapter.paragraphs[:i]),
                Chapter(paragraph, chapter.paragraphs[i + 1 :], role="index"),
            ]
    return [chapter]
