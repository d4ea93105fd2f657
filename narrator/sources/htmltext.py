"""HTML/XHTML -> blocks, shared by the html and epub readers.

The main text is <main>, else the top-level <article>s, else <body> (lxml gives fragments a
body). Page furniture (script, style, nav, page-level header, footer, aside, forms' hidden
parts) is skipped. h1-h6 become headings; p, li, blockquote, div and other block elements
become paragraphs; <hr> becomes "* * *"; images are dropped; <pre><code> is code and skipped,
other <pre> text is kept.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

from bs4 import BeautifulSoup, CData, NavigableString, PageElement, Tag
from bs4 import MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning

from narrator.paragraphs import split_paragraphs
from narrator.sources.blocks import Block
from narrator.sources.decode import fold

SCENE_BREAK = "* * *"
SKIP = frozenset({
    "script", "style", "nav", "footer", "aside", "noscript", "template", "head", "title",
    "svg", "math", "iframe", "object", "embed", "canvas", "audio", "video", "img", "picture",
    "button", "select", "input", "textarea", "map",
})
BLOCK = frozenset({
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "section", "article", "main",
    "body", "html", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "figure",
    "figcaption", "address", "center", "details", "summary", "form", "fieldset", "legend",
    "hgroup", "header", "menu", "option",
})
HEADINGS = {f"h{n}": n for n in range(1, 7)}
# A <header> inside these introduces that section (often holding its <h1>); elsewhere it is
# the site's banner.
_SECTIONING = ["article", "section"]


def parse_html(markup: str | bytes) -> BeautifulSoup:
    """Parse HTML or XHTML leniently with lxml (bytes keep their declared encoding)."""
    with warnings.catch_warnings():
        # XHTML read as HTML is what we want; short fragments are not file names.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(markup, "lxml")


def main_roots(soup: BeautifulSoup) -> list[Tag]:
    """The elements holding the main text, in document order."""
    main = soup.find("main")
    if isinstance(main, Tag):
        return [main]
    articles = [a for a in soup.find_all("article") if a.find_parent("article") is None]
    if articles:
        return articles
    body = soup.find("body")
    return [body] if isinstance(body, Tag) else [soup]


def html_blocks(markup: str | bytes) -> list[Block]:
    """Extract headings and paragraphs of the main text of an HTML document or fragment."""
    return soup_blocks(parse_html(markup))


def soup_blocks(soup: BeautifulSoup) -> list[Block]:
    """Headings and paragraphs of the main text of an already parsed document."""
    walker = _Walker()
    for root in main_roots(soup):
        walker.walk(root)
        walker.flush()
    return walker.blocks


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

    def __init__(self) -> None:
        self.blocks: list[Block] = []
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

    @staticmethod
    def _banner(tag: Tag, name: str) -> bool:
        return name == "header" and tag.find_parent(_SECTIONING) is None
