"""Which lines of a plain text are chapter headings, as a reader would see them.

A heading stands alone between blank lines and is short. In order of trust:

- a keyword (Chapter, Part, Book, Volume, Section, Act) and a number (digits, Roman numerals or
  words), optionally followed by a title; a lone Prologue/Epilogue/Preface/... line;
- a Roman numeral alone (`II`, `XIV.`);
- an ordinal heading (`SIXTY-THIRD DAY`, `The Second Night`, `FIRST BOOK`);
- a transcriber's note heading (its own chapter, which is not the author's text).

A heading line directly followed by one short title line ("CHAPTER I" / "THE STORM",
"SIXTY-THIRD DAY" / "Wednesday, 20 February 1946") is one heading; so is a bare heading
followed, after a blank line, by a line in capitals ("CHAPTER I" // "JONATHAN HARKER'S
JOURNAL"). Only when a text has none of these are centred short lines set off by blank lines
taken as headings (see `centred_heading`). A job's `chapter_pattern` replaces all of this.
"""

from __future__ import annotations

import re

from narrator.errors import SourceError
from narrator.sources.decode import fold

MAX_HEADING_CHARS = 80
_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    "hundred|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
    "last|final"
)
_ROMAN = r"(?=[IVXLCDM])M{0,4}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
# Lower-case numerals stop below d/m so that words like "mix" are not read as numbers.
_ROMAN_LOWER = r"(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
_NUMBER = rf"(?:\d+[A-Za-z]?|{_ROMAN}|{_ROMAN_LOWER}|(?i:(?:{_WORDS})(?:[- ](?:{_WORDS}))*))"
_KEYWORD = r"(?:CHAPTER|Chapter|PART|Part|BOOK|Book|VOLUME|Volume|SECTION|Section|ACT|Act)"
_LONE = (
    r"(?:PROLOGUE|Prologue|EPILOGUE|Epilogue|PREFACE|Preface|FOREWORD|Foreword|"
    r"AFTERWORD|Afterword|INTRODUCTION|Introduction|INTERLUDE|Interlude)"
)
# After the number: nothing, a separator and a title, or a capitalised title.
_REST = r"(?:\.?|\s*[.:—–-]\s*\S.*|\s+[A-Z\"“‘'(].*)"
_HEADING_RE = re.compile(rf"^(?:{_KEYWORD}\s+{_NUMBER}\b{_REST}|{_LONE}(?:\s*[.:—–-]\s*\S.*)?)$")
_BARE_RE = re.compile(rf"^(?:{_KEYWORD}\s+{_NUMBER}|{_LONE})$")
# Up to LXXXIX, and not a lone L: a single C, D, M or L on a line is more often a letter.
_ROMAN_ONLY_RE = re.compile(r"^(?=[IVX]|L[IVX])L?X{0,3}(?:IX|IV|V?I{0,3})\.?$")
_UNITS = "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth"
_ORDINAL = (
    rf"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[- ](?:{_UNITS})|{_UNITS}|"
    r"tenth|eleventh|twelfth|(?:thir|four|fif|six|seven|eigh|nine)teenth|"
    r"(?:twen|thir|for|fif|six|seven|eigh|nine)tieth|hundredth|last|\d+(?:st|nd|rd|th))"
)
_ORDINAL_RE = re.compile(
    rf"^(?:the\s+)?{_ORDINAL}\s+(?:day|night|sitting|session|evening|morning|book|part|"
    r"letter|lecture|canto|chapter|story|tale)\.?$",
    re.IGNORECASE,
)
# Not the author's text: its own chapter so the plan can set it apart.
TRANSCRIBER_RE = re.compile(r"^transcriber[’'`]?s?\s+notes?\.?:?$", re.IGNORECASE)
_SENTENCE_END = tuple(".,;:!?")
_ITALIC_RE = re.compile(r"_[^_]*_")
_CENTRED_INDENT = 8
_CENTRED_MAX_CHARS = 50


def is_heading(line: str) -> bool:
    """True for a line that reads as a chapter heading on its own."""
    line = line.strip()
    if len(line) > MAX_HEADING_CHARS:
        return False
    return bool(
        _HEADING_RE.match(line)
        or _ROMAN_ONLY_RE.match(line)
        or _ORDINAL_RE.match(line)
        or TRANSCRIBER_RE.match(line)
    )


def is_bare(line: str) -> bool:
    """A heading that is only a number ("CHAPTER I", "II", "SIXTY-THIRD DAY"): a title line
    under it is its subtitle, joined with a full stop."""
    line = line.strip()
    return bool(_BARE_RE.match(line) or _ROMAN_ONLY_RE.match(line) or _ORDINAL_RE.match(line))


def subtitle(line: str) -> bool:
    """ "THE STORM" under "CHAPTER I": short, starts like a title, does not end like a sentence."""
    return (
        0 < len(line) <= MAX_HEADING_CHARS
        and not line[0].islower()
        and not line.endswith(_SENTENCE_END)
    )


def capital_subtitle(line: str) -> bool:
    """A title a blank line below a bare heading: in capitals (italic _words_ aside)."""
    plain = _ITALIC_RE.sub("", line)
    letters = [c for c in plain if c.isalpha()]
    # A full stop after a line in capitals is the printer's, not a sentence's.
    title = line[:-1] if line.endswith(".") and not line.endswith("..") else line
    return subtitle(title) and len(letters) >= 2 and all(c.isupper() for c in letters)


def heading_of(lines: list[str]) -> str | None:
    """The heading a block of non-blank stripped lines makes, or None for a paragraph."""
    if len(lines) == 1 and is_heading(lines[0]):
        return fold(lines[0])
    if len(lines) == 2 and is_heading(lines[0]) and subtitle(lines[1]):
        # "CHAPTER I" / "THE STORM" is number then title; a line that already has a title
        # after its number was wrapped, and the second line simply continues it.
        bare = is_bare(lines[0]) and not lines[0].endswith((".", ":", "—", "-"))
        return fold(lines[0] + (". " if bare else " ") + lines[1])
    return None


def centred_heading(raw_lines: list[str], width: int) -> str | None:
    """A short line set well in from the margin, alone in its block: a display heading.

    Only used for texts without any other kind of heading (see module doc): the title page and
    the scene lines of a book with headings are centred too.
    """
    if len(raw_lines) != 1:
        return None
    line = raw_lines[0].rstrip()
    text = line.strip()
    indent = len(line) - len(text)
    if indent < _CENTRED_INDENT or not 0 < len(text) <= _CENTRED_MAX_CHARS:
        return None
    if text.endswith(_SENTENCE_END) or not any(c.isalpha() for c in text):
        return None
    # Centred: about as much room on the right (within the text's width) as on the left.
    if abs((width - len(line)) - indent) > max(8, indent // 2):
        return None
    return fold(text)


def compile_pattern(pattern: str | None, where: object) -> re.Pattern[str] | None:
    """The job's chapter_pattern, compiled; a bad one is a one-line SourceError."""
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise SourceError(
            f"{where}: chapter_pattern {pattern!r} is not a valid regular expression ({exc}); "
            "fix it"
        ) from exc
