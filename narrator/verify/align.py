"""What was said against what should have been said: word normalization, alignment, scores.

Pure: no audio, no model. Both sides are normalized the same way (case, punctuation, numbers
spelled out, a few abbreviations), then aligned word by word with an edit-distance alignment in
which a near miss (the recognizer's spelling of a name, "then" for "thin") costs less than a
substitution, so that misheard words pair up instead of opening gaps. The scores say *how* a take
went wrong, since each fault leaves its own mark: a dropped sentence is a run of missing source
words, a repeated one a run of extra words that the text already contains, babble at the end
extra words after the last matched one, a cut take missing words at the end, silence no words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

MATCH, NEAR, SUB, MISSING, EXTRA = "=", "~", "s", "d", "i"
NEAR_RATIO = 0.7  # similarity (0..1) from which two words count as the same word misheard

_ABBREVIATIONS = {
    "mr": "mister",
    "mrs": "missus",
    "dr": "doctor",
    "st": "saint",
    "ok": "okay",
    "vs": "versus",
    "etc": "etcetera",
    "&": "and",
    "%": "percent",
}
_NUMBER = re.compile(r"(\d+(?:\.\d+)?)(st|nd|rd|th)?")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|[&%]")
# "o'clock" as one word, however the recognizer spaces it ("o 'clock", "o' clock", "oclock").
_OCLOCK = re.compile(r"\bo\s*'\s*clock\b")


def normalize(text: str) -> list[str]:
    """The words of `text`, lowercased, numbers spelled out, punctuation and apostrophes gone."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = _OCLOCK.sub(" oclock", _THOUSANDS.sub("", text))
    text = _NUMBER.sub(lambda m: f" {_spell(m.group(1), bool(m.group(2)))} ", text)
    words = []
    for token in _TOKEN.findall(text):
        token = _ABBREVIATIONS.get(token, token)
        words.extend(token.replace("'", "").split())
    return words


def _spell(number: str, ordinal: bool) -> str:
    from num2words import num2words

    try:
        if "." in number:
            return num2words(float(number)).replace("-", " ").replace(",", "")
        return num2words(int(number), to="ordinal" if ordinal else "cardinal").replace("-", " ")
    except (OverflowError, ValueError, NotImplementedError):  # absurdly long digit runs
        return " ".join(number)


@lru_cache(maxsize=65536)
def _near(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > max(len(a), len(b)) / 2:
        return False
    return SequenceMatcher(None, a, b).ratio() >= NEAR_RATIO


def align(source: list[str], heard: list[str]) -> list[tuple[str, int, int]]:
    """An alignment: (op, source index, heard index) in order; -1 where a side has no word.

    Costs: match 0, near miss 0.4, substitution 1, missing or extra word 1. Ties prefer a match,
    then a substitution, so a misheard word is not reported as missing plus extra.
    """
    n, m = len(source), len(heard)
    cost = [[0.0] * (m + 1) for _ in range(n + 1)]
    for j in range(1, m + 1):
        cost[0][j] = float(j)
    for i in range(1, n + 1):
        row, above, word = cost[i], cost[i - 1], source[i - 1]
        row[0] = float(i)
        for j in range(1, m + 1):
            other = heard[j - 1]
            pair = 0.0 if word == other else (0.4 if _near(word, other) else 1.0)
            row[j] = min(above[j - 1] + pair, above[j] + 1.0, row[j - 1] + 1.0)
    return _trace(cost, source, heard)


def _trace(
    cost: list[list[float]], source: list[str], heard: list[str]
) -> list[tuple[str, int, int]]:
    ops: list[tuple[str, int, int]] = []
    i, j = len(source), len(heard)
    while i or j:
        if i and j:
            word, other = source[i - 1], heard[j - 1]
            pair = 0.0 if word == other else (0.4 if _near(word, other) else 1.0)
            if abs(cost[i][j] - (cost[i - 1][j - 1] + pair)) < 1e-9:
                ops.append((MATCH if pair == 0 else NEAR if pair < 1 else SUB, i - 1, j - 1))
                i, j = i - 1, j - 1
                continue
        if i and abs(cost[i][j] - (cost[i - 1][j] + 1.0)) < 1e-9:
            ops.append((MISSING, i - 1, -1))
            i -= 1
        else:
            ops.append((EXTRA, -1, j - 1))
            j -= 1
    ops.reverse()
    return _gather_gaps(ops, source)


def _gather_gaps(ops: list[tuple[str, int, int]], source: list[str]) -> list[tuple[str, int, int]]:
    """The same alignment with a match that sits inside a dropped stretch moved to a copy of its
    word at the stretch's edge, so one dropped stretch reads as one gap.

    When the text repeats a word ("... about it. Down it all goes." heard as "... about it."),
    equal-cost alignments may pair the heard word with either copy; pairing it with one inside
    the stretch splits the stretch into short runs that look like recognizer noise. The error
    count is unchanged: only which of two equal words counts as heard.
    """
    ops = list(ops)
    for k in range(len(ops)):
        op, i, h = ops[k]
        if op != MATCH:
            continue
        start, end = k, k
        while start and ops[start - 1][0] == MISSING:
            start -= 1
        while end + 1 < len(ops) and ops[end + 1][0] == MISSING:
            end += 1
        if start == end:
            continue
        # Where the match may sit (itself, or a missing copy of its word), by the longest gap
        # that leaves; the first such place wins ties, so an unchanged alignment stays.
        places = [n for n in range(start, end + 1) if n == k or source[ops[n][1]] == source[i]]
        best = max(places, key=lambda n: (max(n - start, end - n), n == k))
        if best != k:
            words = [ops[n][1] for n in range(start, end + 1)]
            spot = best - start
            gap = [(MISSING, w, -1) for w in words]
            gap[spot] = (MATCH, words[spot], h)
            ops[start : end + 1] = gap
    return ops


@dataclass(frozen=True)
class Scores:
    """How one take compares with its text (word counts after normalization)."""

    source_words: int
    heard_words: int
    errors: int  # substitutions + missing + extra words (near misses count as right)
    # Longest run of source words not heard at all. A misheard word (a substitution) ends a run:
    # the recognizer garbles names in clean takes, while a dropped or cut stretch leaves a gap.
    missing_run: int
    repeated: int  # extra words inside the take that repeat the text (a said-twice phrase)
    trailing: int  # words heard after the last word of the text (speech past its end)
    no_speech: bool  # nothing recognizable was heard

    @property
    def wer(self) -> float:
        """Word error rate against the text (1.0 for an empty text with speech)."""
        if not self.source_words:
            return float(bool(self.heard_words))
        return self.errors / self.source_words


def score(text: str, heard: str, no_speech: bool = False) -> Scores:
    """Score what the recognizer `heard` against the `text` the segment should say."""
    source, words = normalize(text), normalize(heard)
    ops = align(source, words)
    last = max((h for op, _, h in ops if op in (MATCH, NEAR)), default=-1)
    return Scores(
        source_words=len(source),
        heard_words=len(words),
        errors=sum(op in (SUB, MISSING, EXTRA) for op, _, _ in ops),
        missing_run=_longest(ops, (MISSING,), skip=EXTRA),
        repeated=_repeated(ops, source, words, last),
        trailing=len(words) - 1 - last if words else 0,
        no_speech=no_speech or not words,
    )


def _longest(ops: list[tuple[str, int, int]], counted: tuple[str, ...], skip: str) -> int:
    """Longest run of source words whose op is in `counted` (ops equal to `skip` pass over)."""
    best = run = 0
    for op, _, _ in ops:
        if op == skip:
            continue
        run = run + 1 if op in counted else 0
        best = max(best, run)
    return best


def _repeated(
    ops: list[tuple[str, int, int]], source: list[str], heard: list[str], last: int
) -> int:
    """Extra words before the take's last matched word, in runs that share a word pair with the
    text: a stretch spoken twice (the aligner may pair part of it with neighbouring words), as
    opposed to a stray word the recognizer added."""
    total, run = 0, []
    for op, _, h in [*ops, (MATCH, -1, -1)]:
        if op == EXTRA and h <= last:
            run.append(heard[h])
            continue
        if len(run) >= 2 and any(_contains(source, run[k : k + 2]) for k in range(len(run) - 1)):
            total += len(run)
        run = []
    return total


def _contains(words: list[str], phrase: list[str]) -> bool:
    size = len(phrase)
    return any(words[k : k + size] == phrase for k in range(len(words) - size + 1))


def combine(parts: list[Scores]) -> Scores:
    """The scores of takes played one after another (the parts of a re-split segment)."""
    return Scores(
        source_words=sum(p.source_words for p in parts),
        heard_words=sum(p.heard_words for p in parts),
        errors=sum(p.errors for p in parts),
        missing_run=max((p.missing_run for p in parts), default=0),
        repeated=sum(p.repeated for p in parts),
        trailing=max((p.trailing for p in parts), default=0),
        no_speech=any(p.no_speech for p in parts),
    )
