"""HTML -> headings and paragraphs, shared by the HTML and EPUB readers."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

from bs4 import BeautifulSoup, NavigableString, Tag, XMLParsedAsHTMLWarning

SKIP = {"script", "style", "nav", "header", "footer", "aside", "noscript", "template", "head",
        "svg", "math", "form", "button", "iframe", "object"}  # fmt: skip
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
BLOCKS = {"p", "li", "blockquote", "div", "section", "article", "main", "body", "dd", "dt",
          "pre", "td", "th", "figcaption", "caption", "ul", "ol", "dl", "table", "tr", "tbody",
          "thead", "html", "center", "address"}  # fmt: skip
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Block:
    text: str
    level: int = 0  # heading level 1-6, 0 for body text


def parse_html(markup: str | bytes) -> list[Block]:
    """Headings and text blocks of the main content, in document order."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(markup, "lxml")
    root = soup.find("main") or soup.find("article") or soup.body or soup
    blocks: list[Block] = []
    line: list[str] = []
    _walk(root, blocks, line)
    _flush(blocks, line)
    return blocks


def _walk(node: Tag, blocks: list[Block], line: list[str]) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:  # skip comments, CDATA, doctype
                line.append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name.lower()
        if name in SKIP:
            continue
        if name in HEADINGS:
            _flush(blocks, line)
            text = _fold(child.get_text(" "))
            if text:
                blocks.append(Block(text, HEADINGS[name]))
        elif name == "hr":
            _flush(blocks, line)
            blocks.append(Block("* * *"))
        elif name == "br":
            line.append(" ")
        elif name == "img":
            continue
        elif name in BLOCKS:
            _flush(blocks, line)
            _walk(child, blocks, line)
            _flush(blocks, line)
        else:
            _walk(child, blocks, line)


def _flush(blocks: list[Block], line: list[str]) -> None:
    text = _fold("".join(line))
    if text:
        blocks.append(Block(text))
    line.clear()


def _fold(text: str) -> str:
    return _SPACE.sub(" ", text).strip()
