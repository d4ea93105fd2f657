"""HTML/XHTML -> blocks, shared by the html, epub and markdown readers.

An EPUB document is all book: its whole <body> is read (lxml gives fragments a body), asides
(sidebars, transcriber's notes), navs and footers included. A web page is read from its <main>,
else its top-level <article>s, but only when they hold nearly all of the page's text;
otherwise they are not the whole story and the whole <body> is read. Page furniture (script,
style, forms' hidden parts; on a web page also nav, footer, aside and a banner: a body-level
<header> without a heading beside its <main> or <article>) is skipped. h1-h6 become headings;
p, li, blockquote, div and other block elements become paragraphs; <hr> becomes "* * *";
images are dropped unless alt text is asked for (alt text describes a picture, it is not the
author's running text, so it is left out without being listed); <pre><code> is a CODE block
(see narrator/sources/notes.py), other <pre> text is kept.

Markers are taken out of the text, never glued to a word: note references (epub:type noteref,
role doc-noteref, a <sup> link, a "[1]" link), note backlinks ("↩"), page-break numbers
(epub:type pagebreak, role doc-pagebreak, class pagenum) and poem line numbers (class lnum,
linenum...). A marker is dropped only when its text looks like one (a number, a letter, a
symbol); otherwise its text is kept. A paragraph that is only "[Illustration]" becomes a pause
("* * *"), one that is "[Illustration: caption]" the caption. Note text (aside/li/div marked
footnote, endnote, rearnote, or an item of an endnotes list) becomes a NOTE block keyed
"document#id"; the paragraph that refers to it carries a NoteRef to that key.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from bs4 import (
    BeautifulSoup,
    CData,
    MarkupResemblesLocatorWarning,
    NavigableString,
    PageElement,
    Tag,
    XMLParsedAsHTMLWarning,
)

from narrator.sources import htmlmarks as marks
from narrator.sources.blocks import ANCHOR, CODE, NOTE, Block, NoteRef
from narrator.sources.decode import fold
from narrator.text.paragraphs import split_paragraphs

SCENE_BREAK = "* * *"
SKIP = frozenset(
    {
        "script",
        "style",
        "nav",
        "footer",
        "aside",
        "noscript",
        "template",
        "head",
        "title",
        "svg",
        "math",
        "iframe",
        "object",
        "embed",
        "canvas",
        "audio",
        "video",
        "img",
        "picture",
        "button",
        "select",
        "input",
        "textarea",
        "map",
    }
)
BLOCK = frozenset(
    {
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "section",
        "article",
        "main",
        "body",
        "html",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "td",
        "th",
        "caption",
        "figure",
        "figcaption",
        "address",
        "center",
        "details",
        "summary",
        "form",
        "fieldset",
        "legend",
        "hgroup",
        "header",
        "menu",
        "option",
    }
)
# On a web page these are furniture; in a book they are the author's text.
BOOK_TEXT = frozenset({"nav", "footer", "aside"})
HEADINGS = {f"h{n}": n for n in range(1, 7)}

# <main>/<article>s holding less of a page's text than this leave out part of the story.
MAIN_SHARE = 0.8


def parse_html(markup: str | bytes) -> BeautifulSoup:
    """Parse HTML or XHTML leniently with lxml (bytes keep their declared encoding)."""
    with warnings.catch_warnings():
        # XHTML read as HTML is what we want; short fragments are not file names.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(markup, "lxml")


def main_roots(soup: BeautifulSoup) -> list[Tag]:
    """<main>, else the outermost <article>s: where a web page usually keeps its text."""
    main = soup.find("main")
    if isinstance(main, Tag):
        return [main]
    return [a for a in soup.find_all("article") if a.find_parent("article") is None]


@dataclass(frozen=True)
class Reading:
    """How the walker reads one document.

    Args:
        web_page: a web page (furniture around a main text) rather than a book's document.
        alt_text: speak image alt text.
        anchors: element ids to cut at (an EPUB's TOC points there): each gives an ANCHOR block.
        doc: the document's path inside its book, so note keys match across documents.
    """

    web_page: bool = True
    alt_text: bool = False
    anchors: frozenset[str] = frozenset()
    doc: str = ""


def html_blocks(markup: str | bytes, *, web_page: bool = True) -> list[Block]:
    """Extract headings and paragraphs of the main text of an HTML page or fragment."""
    return soup_blocks(parse_html(markup), Reading(web_page=web_page))


def soup_blocks(
    soup: BeautifulSoup, reading: Reading | None = None, *, web_page: bool = True
) -> list[Block]:
    """Headings, paragraphs, notes and code of the main text of an already parsed document.

    `reading` says how (see Reading); without it, `web_page` alone does. A web page's <main>
    or <article>s are read alone when they hold nearly all of its text (the rest is site
    furniture); in an EPUB document everything in <body> belongs to the book.
    """
    reading = reading or Reading(web_page=web_page)
    roots = main_roots(soup) if reading.web_page else []
    body = soup.find("body")
    everything = _walk([body if isinstance(body, Tag) else soup], reading, bool(roots))
    if not roots:
        return everything
    main = _walk(roots, reading, True)
    # Narrowing is only safe when it loses furniture, never a share of the story.
    return main if _chars(main) >= MAIN_SHARE * _chars(everything) else everything


def _walk(roots: list[Tag], reading: Reading, skip_banners: bool) -> list[Block]:
    walker = _Walker(reading, skip_banners)
    for root in roots:
        walker.walk(root)
        walker.flush()
    return walker.blocks


def _chars(blocks: list[Block]) -> int:
    return sum(len(b.text) for b in blocks)


class _Walker:
    """Depth-first walk collecting inline text until a block boundary flushes it.

    The walk keeps its own stack: documents nested thousands of elements deep (lxml accepts
    them) would otherwise exhaust Python's recursion limit. `sep` (for headings) puts a space
    at every element boundary, as get_text(" ") would.
    """

    def __init__(
        self, reading: Reading, skip_banners: bool, *, sep: str = "", in_note: bool = False
    ) -> None:
        self.blocks: list[Block] = []
        self.refs: list[NoteRef] = []
        self._reading = reading
        self._skip = SKIP if reading.web_page else SKIP - BOOK_TEXT
        self._skip_banners = skip_banners
        self._sep = sep
        self._in_note = in_note
        self._inline: list[str] = []

    def flush(self) -> None:
        text = fold("".join(self._inline))
        self._inline.clear()
        caption = marks.bracket_marker(text)
        if caption is not None:  # "[Illustration: The Mock Turtle]" -> its caption, or a pause
            text = caption or SCENE_BREAK
        if text or self.refs:
            self.blocks.append(Block(text, refs=tuple(self.refs)))
            self.refs.clear()

    def inline_text(self, tag: Tag) -> str:
        """The text of `tag` with its markers out, its note references kept in self.refs."""
        self.walk(tag)
        text = fold("".join(self._inline))
        self._inline.clear()
        return text

    def walk(self, root: Tag) -> None:
        stack: list[tuple[Iterator[PageElement], bool]] = [(iter(root.children), False)]
        while stack:
            children, is_block = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                if is_block:
                    self.flush()
                self._inline.append(self._sep)
            elif isinstance(child, Tag):
                self._inline.append(self._sep)
                descend = self._tag(child)
                if descend is not None:
                    if descend:
                        self.flush()
                    stack.append((iter(child.children), descend))
                else:
                    self._inline.append(self._sep)
            elif type(child) in (NavigableString, CData):  # not comments, doctypes, PIs
                self._inline.append(str(child))

    def _tag(self, tag: Tag) -> bool | None:
        """Handle `tag`; return None when done, else whether to descend into it as a block."""
        name = (tag.name or "").lower().rpartition(":")[2]
        if name == "img":
            alt = fold(str(tag.get("alt") or ""))
            if self._reading.alt_text and alt:
                self._inline.append(f" {alt} ")
            return None
        if tag.has_attr("hidden") or self._marker(tag, name):
            return None
        # A note is author text even where a web page keeps furniture (a footnote <aside>).
        note = not self._in_note and marks.is_note(tag, name)
        if not note and (name in self._skip or self._banner(tag, name)):
            return None
        self._anchor(tag, name)
        if note:
            self._note(tag)
        elif name in HEADINGS:
            self._heading(tag, HEADINGS[name])
        elif name == "hr":
            self.flush()
            self.blocks.append(Block(SCENE_BREAK))
        elif name == "br":
            self._inline.append("\n")
        elif name == "pre":
            self._pre(tag)
        else:
            return name in BLOCK or name in BOOK_TEXT
        return None

    def _marker(self, tag: Tag, name: str) -> bool:
        """Take a marker out of the text (keeping a note reference); True when it is done."""
        kind = marks.marker(tag, name)
        if kind is None:
            return False
        if kind == marks.LINE:
            self._inline.append(" ")  # a line number ends a line: the next one is a new word
        if kind != marks.NOTEREF:
            return True
        key = marks.ref_target(tag, self._reading.doc)
        if key is not None and not self._in_note:
            self.refs.append(NoteRef(key, marks.ref_label(tag)))
        if marks.marker_text_kept(tag):
            self._inline.append(tag.get_text())
        return True

    def _anchor(self, tag: Tag, name: str) -> None:
        anchors = self._reading.anchors
        if not anchors:
            return
        found = [tag.get("id")]
        if name in HEADINGS or name == "pre" or marks.is_note(tag, name):
            # Read whole, these elements are not walked: an id inside them cuts before them.
            found += [t.get("id") for t in tag.find_all(id=True)]
        for ident in found:
            if ident in anchors:
                self.flush()
                self.blocks.append(Block("", kind=ANCHOR, key=str(ident)))

    def _note(self, tag: Tag) -> None:
        self.flush()
        inner = _Walker(self._reading, False, in_note=True)
        inner.walk(tag)
        inner.flush()
        text = "\n".join(b.text for b in inner.blocks if b.text)
        if text:
            self.blocks.append(Block(text, kind=NOTE, key=marks.note_keys(tag, self._reading.doc)))

    def _heading(self, tag: Tag, level: int) -> None:
        self.flush()
        inner = _Walker(self._reading, False, sep=" ", in_note=self._in_note)
        text = inner.inline_text(tag)
        if text:
            self.blocks.append(Block(text, level, refs=tuple(inner.refs)))
        elif inner.refs:
            self.blocks.append(Block("", refs=tuple(inner.refs)))

    def _pre(self, tag: Tag) -> None:
        self.flush()
        if marks.is_code(tag):  # code is spoken or skipped as the job says
            self.blocks.append(Block(tag.get_text(), kind=CODE))
        else:  # preformatted prose or verse
            self.blocks.extend(Block(p) for p in split_paragraphs(tag.get_text()))

    def _banner(self, tag: Tag, name: str) -> bool:
        # Beside a page's main text, a body-level <header> is the site's banner; one holding a
        # heading titles the text, and anywhere else a <header> introduces its section.
        return (
            self._skip_banners
            and name == "header"
            and tag.parent is not None
            and tag.parent.name == "body"
            and tag.find(list(HEADINGS)) is None
        )
