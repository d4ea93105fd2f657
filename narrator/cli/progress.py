"""Progress on long work: a rich bar on a terminal, plain periodic lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

PLAIN_EVERY_S = 5.0


class SynthesisProgress:
    """Counts segments and audio minutes; shows an ETA. Use as a context manager."""

    def __init__(self, total: int, *, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.total = total
        self.done = 0
        self.audio_seconds = 0.0
        self._stream = stream or sys.stderr
        self._quiet = quiet
        self._bar: Progress | None = None
        self._task = None
        self._started = time.monotonic()
        self._last_line = 0.0
        self._last_done = -1

    def __enter__(self) -> SynthesisProgress:
        if not self._quiet and self._stream.isatty() and self.total:
            self._bar = Progress(
                TextColumn("[bold]synthesizing"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("segments"),
                TextColumn("{task.fields[minutes]:.1f} audio min"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(file=self._stream),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("synth", total=self.total, minutes=0.0)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif not self._quiet and self.total:
            self._line(force=True)

    def advance(self, seconds: float) -> None:
        """One segment finished with `seconds` of audio."""
        self.done += 1
        self.audio_seconds += seconds
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, advance=1, minutes=self.audio_seconds / 60)
        elif not self._quiet:
            self._line()

    def grow(self, extra: int) -> None:
        """A segment was split: `extra` more segments to synthesize than counted at the start."""
        self.total += extra
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, total=self.total)

    def _line(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.done == self._last_done:
            return
        if not force and now - self._last_line < PLAIN_EVERY_S and self.done < self.total:
            return
        self._last_line, self._last_done = now, self.done
        elapsed = now - self._started
        eta = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        print(
            f"synthesized {self.done}/{self.total} segments, "
            f"{self.audio_seconds / 60:.1f} audio min, elapsed {elapsed:.0f} s, ETA {eta:.0f} s",
            file=self._stream,
            flush=True,
        )
