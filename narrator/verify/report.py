"""What verification found, per chapter and for the book, read from the store (no model).

Counts are per planned segment (a segment re-split by a fix counts once): verified when every
piece of its audio has a heard take, flagged when any take of it was ever flagged, fixed when it
was flagged and every piece's stored take is now good, still bad otherwise. A still-bad piece is
listed with its text and where it starts in its chapter's file (lead-in and pauses included).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from narrator.store import DONE, Leaf, Store, Take
from narrator.verify.recognizer import SOURCE_RATE


@dataclass(frozen=True)
class StillBad:
    chapter: int  # 1-based, as in the file names
    segment: int  # 1-based position in the chapter's plan
    at_seconds: float | None  # start in the chapter file; None until every piece is stored
    text: str
    reasons: str


@dataclass(frozen=True)
class ChapterVerification:
    index: int  # 1-based
    title: str
    segments: int
    verified: int
    flagged: int
    fixed: int
    still_bad: int


@dataclass(frozen=True)
class VerifyReport:
    chapters: tuple[ChapterVerification, ...]
    still_bad: tuple[StillBad, ...] = field(default=())

    def total(self, name: str) -> int:
        return sum(getattr(c, name) for c in self.chapters)

    def to_dict(self) -> dict:
        """For the QC JSON: per chapter, the book's totals, every still-bad segment."""
        names = ("segments", "verified", "flagged", "fixed", "still_bad")
        return {
            "book": {name: self.total(name) for name in names},
            "chapters": [asdict(c) for c in self.chapters],
            "still_bad": [asdict(s) for s in self.still_bad],
        }

    def line(self) -> str:
        """One line for `narrator status`."""
        return (
            f"verification: {self.total('verified')}/{self.total('segments')} segments heard, "
            f"{self.total('flagged')} flagged, {self.total('fixed')} fixed, "
            f"{self.total('still_bad')} still bad"
        )

    def table(self) -> str:
        """The end-of-run table: per chapter counts, then each still-bad segment."""
        head = (
            f"{'#':>3}  {'chapter (proof-listening)':<32} {'segs':>5} {'heard':>5} {'flag':>5} "
            f"{'fixed':>5} {'bad':>4}"
        )
        rows = [head, "-" * len(head)]
        for c in self.chapters:
            rows.append(
                f"{c.index:>3}  {c.title[:32]:<32} {c.segments:>5} {c.verified:>5} {c.flagged:>5} "
                f"{c.fixed:>5} {c.still_bad:>4}"
            )
        rows.append(self.line())
        for s in self.still_bad[:20]:
            at = "-" if s.at_seconds is None else _clock(s.at_seconds)
            rows.append(
                f"  still bad: ch {s.chapter} seg {s.segment} at {at} ({s.reasons}): "
                f"{s.text[:70]!r}"
            )
        return "\n".join(rows)


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"


def current_take(leaf: Leaf, takes: list[Take]) -> Take | None:
    """The take that judged the leaf's stored audio (None: not heard yet)."""
    if leaf.state != DONE:
        return None
    return next((t for t in reversed(takes) if t.sha256 == leaf.sha256), None)


def build_report(
    store: Store, lead_in: int = 0, pause_after: Callable[[str], int] = lambda boundary: 0
) -> VerifyReport:
    """The report from the store's leaves and takes.

    Args:
        lead_in: samples of silence before a chapter file's first piece.
        pause_after: samples of silence after a piece followed by `boundary`.
    """
    status = store.status()
    takes = store.takes()
    leaves = store.leaves()
    by_chapter: dict[int, list[Leaf]] = {}
    for leaf in leaves:
        by_chapter.setdefault(leaf.chapter, []).append(leaf)
    chapters, bad = [], []
    for index, chapter in enumerate(status.chapters):
        mine = by_chapter.get(index, [])
        starts = _starts(mine, lead_in, pause_after)
        counts, found = _chapter(mine, starts, takes)
        bad.extend(found)
        chapters.append(ChapterVerification(index + 1, chapter.title, *counts))
    return VerifyReport(tuple(chapters), tuple(bad))


def _starts(
    leaves: list[Leaf], lead_in: int, pause_after: Callable[[str], int]
) -> list[float | None]:
    """Where each piece starts in its chapter file, in seconds (None once a piece is missing)."""
    starts: list[float | None] = []
    position: int | None = lead_in
    for number, leaf in enumerate(leaves):
        starts.append(None if position is None else position / SOURCE_RATE)
        if position is None or leaf.state != DONE:
            position = None
        elif number < len(leaves) - 1:
            position += leaf.samples + pause_after(leaf.boundary)
    return starts


def _chapter(
    leaves: list[Leaf], starts: list[float | None], takes: dict[str, list[Take]]
) -> tuple[tuple[int, int, int, int, int], list[StillBad]]:
    groups: dict[int, list[int]] = {}
    for number, leaf in enumerate(leaves):
        groups.setdefault(leaf.order, []).append(number)
    verified = flagged = fixed = still = 0
    bad: list[StillBad] = []
    for order, numbers in groups.items():
        current = [current_take(leaves[n], takes.get(leaves[n].key, [])) for n in numbers]
        keys = {leaves[n].key for n in numbers} | {leaves[numbers[0]].planned}
        ever = any(t.reasons for k in keys for t in takes.get(k, []))
        heard = all(t is not None for t in current)
        now_bad = [
            (n, t) for n, t in zip(numbers, current, strict=True) if t is not None and t.reasons
        ]
        verified += heard
        flagged += ever
        fixed += ever and heard and not now_bad
        still += bool(now_bad)
        for n, take in now_bad:
            leaf = leaves[n]
            bad.append(StillBad(leaf.chapter + 1, order + 1, starts[n], leaf.text, take.reasons))
    return (len(groups), verified, flagged, fixed, still), bad
