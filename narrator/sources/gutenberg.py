"""Project Gutenberg's own text around a book: the header before it, the license after it.

A PG plain-text file says where the book is: everything up to the `*** START OF THE/THIS
PROJECT GUTENBERG EBOOK ... ***` line is PG's header, everything from `*** END OF ...` (or the
"End of the Project Gutenberg EBook of ..." line just above it) on is PG's footer and license.
Older files end their header with `*END*THE SMALL PRINT! ...` and their book with
"End of Project Gutenberg's Etext of ...". The transcribers' credit ("Produced by ...") that PG
places right after the START line is PG's too. These lines are what the document says about
itself, so they are trusted over any guess; a file without them is left whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PG = r"PROJECT\s+GUTENBERG(?:-tm|'s)?"
_START_RE = re.compile(
    rf"^[ \t]*\*{{3}}[ \t]*START\s+OF\s+(?:THE|THIS)\s+{_PG}\s+E-?(?:BOOK|TEXT).*$"
    r"|^[ \t]*\*END\*\s*THE SMALL PRINT.*$",
    re.IGNORECASE | re.MULTILINE,
)
_END_RE = re.compile(
    rf"^[ \t]*\*{{3}}[ \t]*END\s+OF\s+(?:THE|THIS)\s+{_PG}\s+E-?(?:BOOK|TEXT).*$"
    rf"|^[ \t]*End\s+of\s+(?:the\s+)?{_PG}\s+E-?(?:Book|text).*$",
    re.IGNORECASE | re.MULTILINE,
)
_CREDIT_RE = re.compile(
    r"\A\s*(?:Produced\s+by|Transcribed\s+(?:from|by)|E-?text\s+prepared\s+by|"
    r"This\s+e-?(?:book|text)\s+was\s+(?:produced|prepared))\b[^\n]*(?:\n[^\n]*\S[^\n]*)*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Parts:
    """A text cut where PG says its book starts and ends; header/footer are '' when absent."""

    header: str
    body: str
    footer: str


def split_gutenberg(text: str) -> Parts:
    """Cut PG's header and footer off `text`; a text without PG markers is all body."""
    header, body = "", text
    start = _START_RE.search(text)
    if start and _END_RE.search(text, 0, start.start()) is None:
        header, body = text[: start.end()], text[start.end() :]
        credit = _CREDIT_RE.match(body)
        if credit:
            header, body = header + body[: credit.end()], body[credit.end() :]
    end = _END_RE.search(body)
    if end is None:
        return Parts(header, body, "")
    if not header and end.start() < len(body) // 2:
        # Without a START line, an END line in the first half is not PG's: leave the text.
        return Parts("", text, "")
    return Parts(header, body[: end.start()], body[end.start() :])
