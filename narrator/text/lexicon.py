"""The job's lexicon: ordered text substitutions applied before segmenting (names, acronyms).

A rule is literal by default and matches whole words, case-sensitively. Rules run in the order
written, each on the result of the ones before it, so a later rule can refine an earlier one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from narrator.text.spans import SpanMap, rewrite


@dataclass(frozen=True)
class LexiconRule:
    find: str
    replace: str
    regex: bool = False
    whole_word: bool = True
    case_sensitive: bool = True

    def pattern(self) -> re.Pattern[str]:
        """The compiled pattern (cached per rule); raises re.error for a bad regex."""
        return _compile(self)

    def check(self) -> None:
        """Raise re.error now for a bad pattern or replacement, not halfway through a book."""
        pattern = self.pattern()
        if self.regex:
            # sub() compiles the replacement template (group references included) even on "".
            pattern.sub(self.replace, "")


@functools.lru_cache(maxsize=1024)
def _compile(rule: LexiconRule) -> re.Pattern[str]:
    body = rule.find if rule.regex else re.escape(rule.find)
    if rule.whole_word:
        # The group keeps an alternation (a|b) inside the word guards.
        body = rf"(?<!\w)(?:{body})(?!\w)"
    return re.compile(body, 0 if rule.case_sensitive else re.IGNORECASE)


def apply_lexicon(rules: Sequence[LexiconRule], text: str) -> str:
    """Apply the substitutions in order; each rule sees the result of the ones before it."""
    for rule in rules:
        # Regex rules may use group references (\1); literal rules insert the text as written.
        replace = rule.replace if rule.regex else (lambda _match, r=rule.replace: r)
        text = rule.pattern().sub(replace, text)
    return text


def map_lexicon(rules: Sequence[LexiconRule], text: str) -> SpanMap:
    """`apply_lexicon` that also maps the result back to `text` (for subtitles, read-along)."""
    mapped = SpanMap.identity(text)
    for rule in rules:
        matches = rule.pattern().finditer(mapped.text)
        # finditer finds the matches sub() replaces; expand() fills a regex rule's groups.
        step = rewrite(
            mapped.text,
            (
                (m.start(), m.end(), m.expand(rule.replace) if rule.regex else rule.replace)
                for m in matches
            ),
        )
        mapped = mapped.then(step)
    return mapped
