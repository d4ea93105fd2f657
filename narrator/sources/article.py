"""A web page's article: what to keep decided by two extractors, the words taken from the page.

Saved web pages are mostly furniture (menus, share bars, ads, related links, comments,
footers). Two maintained main-content extractors decide what the article is, and the
benchmark (bench/articles.py) chose how to combine them: readability-lxml alone keeps little
furniture but drops whole sections of some pages; trafilatura (favor_recall, no comments)
keeps those sections but lets related-story lists through on others. A block of the page
(a heading or paragraph as narrator reads it from the page's own DOM) is spoken when either
extractor kept it; its words are the page's, not an extractor's rewrite, so nothing is glued
or re-spaced differently from a document reading.

Which pages are web pages (`html: auto`, see `looks_like_web_page`): an EPUB-style XHTML
document (the XHTML namespace with `epub:` markup) is a book chapter; otherwise a page is a
web page when it has a script, a <nav>, a <form>, an <iframe>, a <footer>, a <header>
without a heading, or many links (link text is most of its text). A plain document of
headings and paragraphs (a local chapter saved as .html) is read whole, as before.

Citation marks ("[6][7]", "[a]", "[note 2]", "[citation needed]") and "[edit]" links are never
spoken, in either reading (`scrub_markers`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from bs4 import BeautifulSoup, Tag

from narrator.sources.blocks import Block
from narrator.sources.decode import fold
from narrator.sources.htmltext import parse_html, soup_blocks

_MARKER_RE = re.compile(
    r"\s*\[\s*(?:\d{1,4}|(?-i:[a-z])|(?:note|nb|n|fn)\s*\d{1,4}|edit(?:\s*\|\s*edit source)?"
    r"|[a-z]+(?:\s[a-z]+){0,2}\sneeded)\s*\]",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"\w+")
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_WEB_TAGS = ("script", "nav", "form", "iframe", "footer")
# A page whose link text is this share of its words is a list of links, not a document.
LINK_SHARE = 0.5
# A block this many words long is specific enough to be found anywhere in an extractor's
# output; a shorter one ("Share", "Home") only right after the previous block found.
_ANCHOR_WORDS = 4
_NEAR_CHARS = 200
_PARTIAL = 0.5  # a block is kept when an extractor kept this share of its words
# A list of at least this many links, all to places on the same page and holding this share
# of the list's words, is a printed table of contents.
_CONTENTS_LINKS = 3
_CONTENTS_SHARE = 0.9
_TITLE_REACH = 3  # the article's heading is among its first blocks


@dataclass(frozen=True)
class Article:
    """The article of a web page: its title (None when unknown) and its blocks, in order.

    `left_out` is the text of the blocks a document reading of the page speaks and the article
    does not (its furniture), so the plan can say how much of the page `html: document` adds.
    """

    title: str | None
    blocks: tuple[Block, ...]
    left_out: tuple[str, ...] = ()


def scrub_markers(text: str) -> str:
    """Remove citation marks and edit links: "currency.[6][7] It" -> "currency. It"."""
    return _MARKER_RE.sub("", text).strip()


def looks_like_web_page(soup: BeautifulSoup) -> bool:
    """True for a web page, False for a book chapter or plain document (see module doc)."""
    if _is_epub_document(soup):
        return False
    if any(soup.find(name) is not None for name in _WEB_TAGS):
        return True
    for header in soup.find_all("header"):
        if header.find(re.compile(r"^h[1-6]$")) is None:
            return True
    return _link_share(soup) >= LINK_SHARE


def _is_epub_document(soup: BeautifulSoup) -> bool:
    html = soup.find("html")
    if not isinstance(html, Tag):
        return False
    return any(str(value).startswith("http://www.idpf.org/") for value in html.attrs.values())


def _link_share(soup: BeautifulSoup) -> float:
    body = soup.find("body") or soup
    words = len(body.get_text(" ").split())
    linked = sum(len(a.get_text(" ").split()) for a in body.find_all("a", href=True))
    return linked / words if words else 0.0


def drop_hidden(soup: BeautifulSoup) -> None:
    """Remove elements a browser does not show (hidden, display: none, visibility: hidden)."""
    for tag in soup.find_all(_is_hidden):
        if not tag.decomposed:
            tag.decompose()


def _is_hidden(tag: Tag) -> bool:
    return tag.has_attr("hidden") or bool(_HIDDEN_STYLE_RE.search(str(tag.get("style", ""))))


def drop_contents_lists(soup: BeautifulSoup) -> None:
    """Remove a page's printed contents box: a list of links to places on the page itself.

    Such a list (Wikipedia's "Contents", a blog post's "In this article") repeats the
    section headings that the article speaks anyway.
    """
    for listing in soup.find_all(["ul", "ol"]):
        top = not listing.decomposed and listing.find_parent(["ul", "ol"]) is None
        if top and _is_contents(listing):
            listing.decompose()


def _is_contents(listing: Tag) -> bool:
    links = listing.find_all("a", href=True)
    inner = [a for a in links if str(a["href"]).startswith("#")]
    if len(inner) < _CONTENTS_LINKS or len(inner) < len(links):
        return False
    linked = sum(len(a.get_text(" ").split()) for a in inner)
    return linked >= _CONTENTS_SHARE * len(listing.get_text(" ").split())


def read_article(soup: BeautifulSoup, markup: str) -> Article:
    """The article of a web page: the page's blocks that an extractor keeps, in page order.

    Args:
        soup: the parsed page; hidden elements and contents lists are removed from it.
        markup: the page's decoded text, which the extractors parse themselves.

    Returns:
        The article; its blocks are empty when neither extractor found one.
    """
    drop_hidden(soup)
    drop_contents_lists(soup)
    blocks = [b for b in soup_blocks(soup) if b.text]
    words = [_words(b.text) for b in blocks]
    title, kept_by = _extract(markup)
    keep = [False] * len(blocks)
    for extracted in kept_by:
        keep = [k or c for k, c in zip(keep, covered(words, extracted), strict=True)]
    for i in range(1, len(blocks) - 1):
        if not words[i]:  # a scene break ("* * *") stays where the text around it stays
            keep[i] = keep[i - 1] and keep[i + 1]
    article = _titled([b for b, k in zip(blocks, keep, strict=True) if k], title)
    return replace(
        article, left_out=tuple(b.text for b, k in zip(blocks, keep, strict=True) if not k)
    )


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def _titled(blocks: list[Block], title: str | None) -> Article:
    """The article, its opening heading as the title when the page's title holds it.

    The chapter announces the title, so the heading is not spoken twice; and a page's title
    often adds the site's name ("Dress Stolen | TMZ.com") where the heading does not. The
    heading may follow a kicker or a byline, hence a look at the first few blocks.
    """
    title_words = _words(title) if title else []
    for i, block in enumerate(blocks[:_TITLE_REACH]):
        words = _words(block.text)
        if block.is_heading and words and (not title or _contains(title_words, words)):
            return Article(block.text, (*blocks[:i], *blocks[i + 1 :]))
    if blocks and title_words and _words(blocks[0].text) == title_words:
        return Article(title, tuple(blocks[1:]))
    return Article(title, tuple(blocks))


def _contains(words: list[str], part: list[str]) -> bool:
    return f" {' '.join(part)} " in f" {' '.join(words)} "


def _extract(markup: str) -> tuple[str | None, list[list[str]]]:
    """The article's title and the words each extractor kept (an extractor failing keeps none).

    Both libraries parse arbitrary pages with their own heuristics; a page one of them cannot
    handle (a parser or recursion error deep inside) must not fail the job, so its failure is
    read as "kept nothing" and the other extractor, or the document reading, takes over.
    """
    found = [_quietly(extractor, markup) for extractor in (_trafilatura, _readability)]
    titles = [f[0] for f in found if f is not None and f[0]]
    return (titles[0] if titles else None), [f[1] for f in found if f is not None]


Extraction = tuple[str | None, list[str]]  # an extractor's title and the words it kept


def _quietly(extractor: Callable[[str], Extraction | None], markup: str) -> Extraction | None:
    try:
        return extractor(markup)
    except Exception:  # noqa: BLE001 - see _extract
        return None


def _trafilatura(markup: str) -> Extraction | None:
    import trafilatura

    doc = trafilatura.bare_extraction(
        markup, favor_recall=True, include_comments=False, with_metadata=True
    )
    if doc is None or isinstance(doc, dict):  # a dict only when asked for (as_dict=True)
        return None
    return fold(doc.title or "") or None, _words(doc.text or "")


def _readability(markup: str) -> Extraction | None:
    from readability import Document

    document = Document(markup)
    summary = soup_blocks(parse_html(document.summary(html_partial=True)), web_page=False)
    return fold(document.short_title() or "") or None, _words(" ".join(b.text for b in summary))


def covered(blocks: Sequence[Sequence[str]], extracted: Sequence[str]) -> list[bool]:
    """Which blocks (as word lists) an extractor's output (a word list) holds, in order.

    A block found whole is kept; a long one may be found anywhere (extractors move captions
    and headings), a short one only right after the previous block found. A block found in
    part (an extractor dropped a link or a caption inside it) is kept when most of its words
    are in the stretch of output that follows the previous block found.
    """
    text = " " + " ".join(extracted) + " "
    cursor = 0
    out: list[bool] = []
    for words in blocks:
        if not words:
            out.append(False)
            continue
        needle = " " + " ".join(words) + " "
        at = text.find(needle, cursor)
        if at >= 0 and (len(words) >= _ANCHOR_WORDS or at - cursor <= _NEAR_CHARS):
            out.append(True)
            cursor = at + len(needle) - 1
        elif len(words) >= _ANCHOR_WORDS and needle in text:
            out.append(True)
        else:
            end = _partial(words, text, cursor, len(needle))
            out.append(end is not None)
            cursor = end if end is not None else cursor
    return out


def _partial(words: Sequence[str], text: str, cursor: int, size: int) -> int | None:
    """Where a block found in part ends in `text`, or None when most of it is missing."""
    stretch = list(_WORD_RE.finditer(text, cursor, cursor + 2 * size + _NEAR_CHARS))
    matcher = SequenceMatcher(None, list(words), [m.group() for m in stretch], autojunk=False)
    matches = [m for m in matcher.get_matching_blocks() if m.size]
    if sum(m.size for m in matches) < _PARTIAL * len(words):
        return None
    last = matches[-1]
    return stretch[last.b + last.size - 1].end()
