"""HTML/XHTML -> blocks, shared by the html and epub readers.

An EPUB document is all book: its whole <body> is read (lxml gives fragments a body). A web
page is read from its <main>, else its top-level <article>s, but only when they hold nearly all
of the page's text; otherwise they are not the whole story and the whole <body> is read. Page
furniture (script, style, nav, footer, aside, forms' hidden parts, and a web page's banner: a
body-level <header> without a heading beside its <main> or <article>) is skipped. h1-h6 become
headings; p, li, blockquote, div and other block elements become paragraphs; <hr> becomes
"* * *"; images are dropped; <pre><code> is code and skipped, other <pre> text is kept.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

from bs4 import BeautifulSoup, CData, NavigableString, PageElement, Tag
from bs4 import MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning

from narrator.text.paragraphs import split_paragraphs
from narrator.sources.blocks import Block
from narrator.sources.decode import fold

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


def html_blocks(markup: str | bytes) -> list[Block]:
    """Extract headings and paragraphs of the main text of an HTML page or fragment."""
    return soup_blocks(parse_html(markup))


def soup_blocks(soup: BeautifulSoup, *, web_page: bool = True) -> list[Block]:
    """Headings and paragraphs of the main text of an already parsed document.

    Args:
        web_page: True for an HTML page, whose <main> or <article>s are read alone when they
            hold nearly all of its text (the rest is site furniture); False for an EPUB
            document, where everything in <body> belongs to the book.
    """
    roots = main_roots(soup) if web_page else []
    body = soup.find("body")
    everything = _walk([body if isinstance(body, Tag) else soup], skip_banners=bool(roots))
    if not roots:
        return everything
    main = _walk(roots, skip_banners=True)
    # Narrowing is only safe when it loses furniture, never a share of the story.
    return main if _chars(main) >= MAIN_SHARE * _chars(everything) else everything


def _walk(roots: list[Tag], *, skip_banners: bool) -> list[Block]:
    walker = _Walker(skip_banners)
    for root in roots:
        walker.walk(root)
        walker.flush()
    return walker.blocks


def _chars(blocks: list[Block]) -> int:
    return sum(len(b.text) for b in blocks)


def has_epub_type(soup: BeautifulSoup, value: str) -> bool:
    """True when any element carries epub:type `value` (e.g. "toc", "cover")."""
    for tag in soup.find_all(attrs={"epub:type": True}):
        if value in str(tag.get("epub:type", "")).split():
            return True
    return False


class _Walker:
    """Depth-first walk collecting inline text until a block boundary flushes it.

    The walk keeps its own stack: documents nested thousands of elements deep (lxml accepts
    them) would otherwise exhaust Python's recursion limit.
    """

    def __init__(self, skip_banners: bool) -> None:
        self.blocks: list[Block] = []
        self._skip_banners = skip_banners
        self._inline: list[str] = []

    def flush(self) -> None:
        text = fold("".join(self._inline))
        self._inline.clear()
        if text:
            self.blocks.append(Block(text))

    def walk(self, root: Tag) -> None:
        stack: list[tuple[Iterator[PageElement], bool]] = [(iter(root.children), False)]
        while stack:
            children, is_block = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                if is_block:
                    self.flush()
            elif isinstance(child, Tag):
                descend = self._tag(child)
                if descend is not None:
                    if descend:
                        self.flush()
                    stack.append((iter(child.children), descend))
            elif type(child) in (NavigableString, CData):  # not comments, doctypes, PIs
                self._inline.append(str(child))

    def _tag(self, tag: Tag) -> bool | None:
        """Handle `tag`; return None when done, else whether to descend into it as a block."""
        name = (tag.name or "").lower().rpartition(":")[2]
        if name in SKIP or tag.has_attr("hidden") or self._banner(tag, name):
            return None
        if name in HEADINGS:
            self.flush()
            text = fold(tag.get_text(" "))
            if text:
                self.blocks.append(Block(text, HEADINGS[name]))
        elif name == "hr":
            self.flush()
            self.blocks.append(Block(SCENE_BREAK))
        elif name == "br":
            self._inline.append("\n")
        elif name == "pre":
            self._pre(tag)
        else:
            return name in BLOCK
        return None

    def _pre(self, tag: Tag) -> None:
        self.flush()
        if tag.find("code") is None:  # preformatted prose or verse; code is not for reading
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
