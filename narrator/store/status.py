"""What `narrator status` shows: progress per chapter, as values and as an aligned table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from narrator.store.machine import DONE, FAILED
from narrator.store.manifest import Row
from narrator.wire.protocol import SAMPLE_RATE, SAMPLE_WIDTH

_HEADER = (
    "#",
    "chapter",
    "segments",
    "done",
    "failed",
    "audio h:mm:ss",
    "usage tokens",
    "requests",
)


@dataclass(frozen=True)
class ChapterStatus:
    title: str
    total: int  # positions in the plan
    done: int  # positions whose audio is complete (all parts of a split)
    failed: int  # positions with a failed segment
    seconds: float  # audio stored so far
    usage: int  # summed service usage, each distinct segment once
    requests: int  # requests sent (split segments and their parts included), over all runs


@dataclass(frozen=True)
class StoreStatus:
    chapters: tuple[ChapterStatus, ...]
    errors: tuple[str, ...]  # most recent first, only for segments that are still failed
    redo: tuple[str, ...] = ()  # done segments whose stored file fails the size check
    checked: bool = False  # stored files were size-checked (done counts exclude the damaged)

    @property
    def total(self) -> int:
        return sum(c.total for c in self.chapters)

    @property
    def done(self) -> int:
        return sum(c.done for c in self.chapters)

    @property
    def failed(self) -> int:
        return sum(c.failed for c in self.chapters)

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.chapters)

    @property
    def usage(self) -> int:
        return sum(c.usage for c in self.chapters)

    @property
    def requests(self) -> int:
        return sum(c.requests for c in self.chapters)

    def render(self) -> str:
        """An aligned text table: one line per chapter, a total line, then recent errors."""
        total = ChapterStatus(
            "total", self.total, self.done, self.failed, self.seconds, self.usage, self.requests
        )
        rows = [_HEADER, *(_cells(str(n), c) for n, c in enumerate(self.chapters, 1))]
        rows.append(_cells("", total))
        widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
        lines = [_line(row, widths) for row in rows]
        if self.errors:
            lines.append("recent errors:")
            lines.extend(f"  {error}" for error in self.errors)
        lines.extend(self._file_check())
        return "\n".join(lines)

    def _file_check(self) -> list[str]:
        if not self.checked:
            return ["stored audio files: not checked"]
        if not self.redo:
            return ["stored audio files: sizes checked, all as recorded (run also checks sha256)"]
        shown = [f"  {line}" for line in self.redo[:10]]
        more = len(self.redo) - len(shown)
        return [
            f"stored audio files: {len(self.redo)} damaged or missing, "
            "counted as not done; `narrator run` synthesizes them again:",
            *shown,
            *([f"  ... and {more} more"] if more > 0 else []),
        ]


def chapter_status(
    title: str, positions: Sequence[Sequence[Row]], requests: int = 0
) -> ChapterStatus:
    """Summarize one chapter from the leaf segments (splits expanded) of each plan position."""
    distinct = {row.key: row for leaves in positions for row in leaves}
    audio_bytes = sum(row.size or 0 for leaves in positions for row in leaves if row.state == DONE)
    return ChapterStatus(
        title=title,
        total=len(positions),
        done=sum(all(r.state == DONE for r in leaves) for leaves in positions),
        failed=sum(any(r.state == FAILED for r in leaves) for leaves in positions),
        seconds=audio_bytes // SAMPLE_WIDTH / SAMPLE_RATE,
        usage=sum(row.usage for row in distinct.values()),
        requests=requests,
    )


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    # Titles (column 1) align left, numbers right.
    padded = (
        c.ljust(w) if i == 1 else c.rjust(w)
        for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    )
    return "  ".join(padded).rstrip()


def _cells(number: str, c: ChapterStatus) -> tuple[str, ...]:
    counts = (str(c.total), str(c.done), str(c.failed))
    return (number, c.title, *counts, _clock(c.seconds), str(c.usage), str(c.requests))


def _clock(seconds: float) -> str:
    whole = int(seconds + 0.5)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
