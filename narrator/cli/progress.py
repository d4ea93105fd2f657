"""Progress on long work: a rich bar on a terminal, plain periodic lines otherwise.

A run shows one meter over synthesis and assembly with one overall ETA: the synthesis part
comes from the pace so far, the assembly part from the book's predicted length at
ASSEMBLY_SPEED until assembly has run long enough to measure its own pace.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from narrator.pipeline import Workload

PLAIN_EVERY_S = 5.0
# Seconds of book per second of assembly, before assembly has measured itself: streaming to
# MP3 and the book file runs at about 100x real time on these 2 cores (2.2 h in about 80 s).
ASSEMBLY_SPEED = 100.0
_MEASURED_AFTER = 0.02  # assembly fraction after which its own pace predicts the rest


def _clock(seconds: float) -> str:
    seconds = int(max(seconds, 0) + 0.5)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class RunProgress:
    """One meter for a run (synthesis, then assembly). Use as a context manager."""

    def __init__(self, work: Workload, *, stream: TextIO | None = None, quiet: bool = False):
        self.total, self.done, self.audio_seconds = work.segments, 0, 0.0
        self.fraction = 0.0  # of assembly
        self._work = work
        self._stream = stream or sys.stderr
        self._quiet = quiet
        self._lock = threading.Lock()  # assembly reports from its worker thread
        self._bar: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._started = self._synth_end = self._asm_start = time.monotonic()
        self._last_line = 0.0
        self._last_said: tuple = ()

    def __enter__(self) -> RunProgress:
        if not self._quiet and self._stream.isatty() and (self.total or self._work.assemble):
            self._bar = Progress(
                TextColumn("[bold]{task.description:<12}"),
                BarColumn(),
                TextColumn("{task.fields[count]}"),
                TimeElapsedColumn(),
                TextColumn("ETA {task.fields[eta]}"),
                console=Console(file=self._stream),
            )
            self._bar.start()
            if self.total:
                self._add("synthesizing", self.total, f"0/{self.total} segments")
            if self._work.assemble:
                self._add("assembling", 1.0, "0%")
        return self

    def _add(self, name: str, total: float, count: str) -> None:
        assert self._bar is not None
        self._tasks[name] = self._bar.add_task(name, total=total, count=count, eta=self._eta())

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif not self._quiet:
            if self.total and self.fraction == 0.0:
                self._synth_line(force=True)
            elif self.fraction:
                self._assembly_line(force=True)

    # -- synthesis -------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """One segment finished with `seconds` of audio."""
        with self._lock:
            self.done += 1
            self.audio_seconds += seconds
            self._synth_end = time.monotonic()
            self._show_synthesis()

    def grow(self, extra: int) -> None:
        """A segment was split: `extra` more segments to synthesize than counted at the start."""
        with self._lock:
            self.total += extra
            self._show_synthesis()

    def _show_synthesis(self) -> None:
        if self._bar is not None and "synthesizing" in self._tasks:
            count = f"{self.done}/{self.total} segments, {self.audio_seconds / 60:.1f} audio min"
            self._bar.update(
                self._tasks["synthesizing"],
                completed=self.done,
                total=self.total,
                count=count,
                eta=self._eta(),
            )
        elif not self._quiet:
            self._synth_line()

    # -- assembly --------------------------------------------------------------------------

    def assembling(self, fraction: float) -> None:
        """Assembly is `fraction` (0..1) done."""
        with self._lock:
            if self.fraction == 0.0:
                self._asm_start = time.monotonic()
                if self._bar is None and not self._quiet and self.total:
                    self._synth_line(force=True)
            self.fraction = max(fraction, 1e-9)
            if self._bar is not None and "assembling" in self._tasks:
                self._bar.update(
                    self._tasks["assembling"],
                    completed=fraction,
                    count=f"{fraction:.0%}",
                    eta=self._eta(),
                )
                for name in ("synthesizing",) if "synthesizing" in self._tasks else ():
                    self._bar.update(self._tasks[name], eta=self._eta())
            elif not self._quiet:
                self._assembly_line()

    # -- the overall ETA -------------------------------------------------------------------

    def remaining(self) -> float:
        """Seconds left over synthesis and assembly together."""
        now = time.monotonic()
        synth = 0.0
        if self.done and self.done < self.total:
            synth = (now - self._started) / self.done * (self.total - self.done)
        elif self.total and not self.done:
            synth = float("nan")  # no pace yet
        assembly = 0.0
        if self._work.assemble:
            if self.fraction >= _MEASURED_AFTER:
                assembly = (now - self._asm_start) / self.fraction * (1 - self.fraction)
            else:
                assembly = self._work.book_seconds / ASSEMBLY_SPEED * (1 - self.fraction)
        return synth + assembly

    def _eta(self) -> str:
        left = self.remaining()
        return "?" if math.isnan(left) else _clock(left)

    # -- plain lines (not a terminal) ------------------------------------------------------

    def _synth_line(self, force: bool = False) -> None:
        said = ("synth", self.done, self.total)
        if said == self._last_said or not self._due(force or self.done >= self.total):
            return
        self._last_said = said
        elapsed = time.monotonic() - self._started
        left = self.remaining()
        eta = "?" if math.isnan(left) else f"{left:.0f} s"
        self._print(
            f"synthesized {self.done}/{self.total} segments, {self.audio_seconds / 60:.1f} audio "
            f"min, elapsed {elapsed:.0f} s, ETA {eta}"
        )

    def _assembly_line(self, force: bool = False) -> None:
        said = ("asm", round(self.fraction, 2))
        if said == self._last_said or not self._due(force or self.fraction >= 1.0):
            return
        self._last_said = said
        elapsed = time.monotonic() - self._started
        self._print(
            f"assembled {self.fraction:.0%}, elapsed {elapsed:.0f} s, ETA {self.remaining():.0f} s"
        )

    def _due(self, force: bool) -> bool:
        now = time.monotonic()
        if not force and now - self._last_line < PLAIN_EVERY_S:
            return False
        self._last_line = now
        return True

    def _print(self, line: str) -> None:
        print(line, file=self._stream, flush=True)


class SynthesisProgress(RunProgress):
    """The meter for synthesis alone: `total` segments, no assembly."""

    def __init__(self, total: int, *, stream: TextIO | None = None, quiet: bool = False):
        super().__init__(Workload(total, 0.0, False), stream=stream, quiet=quiet)


class PlanProgress:
    """Characters segmented out of the total, for plans long enough to be worth watching.

    Silent for the first SHOW_AFTER_S seconds, so a short plan prints nothing extra.
    """

    SHOW_AFTER_S = 2.0

    def __init__(self, *, stream: TextIO | None = None, quiet: bool = False) -> None:
        self._stream = stream or sys.stderr
        self._quiet = quiet
        self._started = time.monotonic()
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._last_line = self._started
        self._ended = False

    def __call__(self, done: int, total: int) -> None:
        """`done` of `total` characters planned."""
        now = time.monotonic()
        if self._quiet or now - self._started < self.SHOW_AFTER_S or not total or self._ended:
            return
        self._ended = done >= total
        if self._stream.isatty():
            if self._bar is None:
                self._bar = Progress(
                    TextColumn("[bold]planning"),
                    BarColumn(),
                    TextColumn("{task.percentage:>3.0f}% of {task.fields[mb]:.1f} MB"),
                    TimeElapsedColumn(),
                    console=Console(file=self._stream),
                )
                self._bar.start()
                self._task = self._bar.add_task("plan", total=total, mb=total / 1e6)
            if self._task is not None:
                self._bar.update(self._task, completed=done)
            if done >= total:  # finished: the run's own bar may follow (one live display)
                self.close()
        elif now - self._last_line >= PLAIN_EVERY_S or done >= total:
            self._last_line = now
            print(
                f"planning: {done / total:.0%} of {total / 1e6:.1f} MB of text, "
                f"elapsed {now - self._started:.0f} s",
                file=self._stream,
                flush=True,
            )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
