"""When a take is bad, and which of two takes is better: the thresholds, set by measurement.

bench/verify.py measured them on real prose spoken by the `joe` voice and heard by tiny.en
(numbers in README.md, "Proof-listening"): a clean take's recognizer noise is mostly single
misheard words (names, rare words), while each injected fault leaves a run of at least three
wrong words, or extra words that repeat the text, or words past its end.
"""

from __future__ import annotations

from dataclasses import dataclass

from narrator.verify.align import Scores

MODES = ("off", "report", "fix")


@dataclass(frozen=True)
class Thresholds:
    """A take is flagged when any limit is reached (each chosen from bench/verify.py)."""

    missing_run: int = 3  # source words in a row not heard
    repeated: int = 4  # extra words that repeat the text
    trailing: int = 3  # words heard after the text's last word
    wer: float = 0.5  # word error rate, for texts of at least `min_words` words
    min_words: int = 4  # shorter texts are judged on silence, repeats and words past the end


DEFAULT = Thresholds()


def reasons(scores: Scores, limits: Thresholds = DEFAULT) -> tuple[str, ...]:
    """Why a take is bad (empty: it is good), in words a report can show."""
    found = []
    if scores.source_words and scores.no_speech:
        found.append("no speech")
    # A text of a few words cannot lose a run of them; one misheard word is recognizer noise.
    if scores.source_words >= limits.min_words and scores.missing_run >= limits.missing_run:
        found.append(f"{scores.missing_run} words missing")
    if scores.repeated >= limits.repeated:
        found.append(f"{scores.repeated} words repeated")
    if scores.trailing >= limits.trailing:
        found.append(f"{scores.trailing} words past the end")
    if scores.source_words >= limits.min_words and scores.wer > limits.wer:
        found.append(f"WER {scores.wer:.0%}")
    return tuple(dict.fromkeys(found))


def badness(scores: Scores, limits: Thresholds = DEFAULT) -> tuple[int, int, int]:
    """Sort key, lower is better: flagged or not, then wrong words, then the longest gap."""
    return (bool(reasons(scores, limits)), scores.errors, scores.missing_run)
