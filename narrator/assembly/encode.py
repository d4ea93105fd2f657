"""ffmpeg (the binary shipped by imageio-ffmpeg) fed raw PCM through a pipe.

Each process runs in its own session so a Ctrl-C aimed at narrator does not reach it half-way
through a file; narrator stops it itself (`abort`) and deletes the temp file. stderr goes to an
anonymous temp file (never a pipe that could fill up and stall ffmpeg); its tail names the failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from narrator.assembly.model import SOURCE_RATE
from narrator.errors import AssemblyError

PCM_INPUT = ("-f", "s16le", "-ar", str(SOURCE_RATE), "-ac", "1", "-i", "pipe:0")


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """Path of imageio-ffmpeg's static ffmpeg binary."""
    import imageio_ffmpeg

    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        raise AssemblyError(f"ffmpeg not available from imageio-ffmpeg: {exc}") from exc


def mp3_args(kbps: int, rate: int) -> list[str]:
    """Output arguments for a CBR MP3 without tags (mutagen writes them)."""
    return [
        "-map_metadata",
        "-1",
        "-c:a",
        "libmp3lame",
        "-b:a",
        f"{kbps}k",
        "-ar",
        str(rate),
        "-id3v2_version",
        "0",
        "-write_id3v1",
        "0",
        "-f",
        "mp3",
    ]


def m4b_args(kbps: int, rate: int, ffmetadata: Path | None) -> tuple[list[str], list[str]]:
    """(extra inputs, output arguments) for an AAC M4B; chapters come from `ffmetadata`."""
    inputs: list[str] = []
    maps = ["-map", "0:a", "-map_metadata", "-1"]
    if ffmetadata is not None:
        inputs = ["-f", "ffmetadata", "-i", str(ffmetadata)]
        maps = ["-map", "0:a", "-map_metadata", "1", "-map_chapters", "1"]
    return inputs, [
        *maps,
        "-c:a",
        "aac",
        "-b:a",
        f"{kbps}k",
        "-ar",
        str(rate),
        "-movflags",
        "+faststart",
        "-f",
        "ipod",
    ]


@dataclass(frozen=True)
class Finished:
    stderr: str


class FfmpegPipe:
    """One ffmpeg process reading 24 kHz mono s16le on stdin."""

    def __init__(self, label: str, extra_inputs: list[str], output: list[str]) -> None:
        self.label = label
        self._log = tempfile.TemporaryFile()
        command = [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostats",
            "-loglevel",
            "info",
            "-y",
            *PCM_INPUT,
            *extra_inputs,
            *output,
        ]
        try:
            self._proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._log,
                start_new_session=True,
            )
        except OSError as exc:
            self._log.close()
            raise AssemblyError(f"ffmpeg could not start for {label}: {exc}") from exc
        assert self._proc.stdin is not None  # stdin=PIPE
        self._stdin = self._proc.stdin

    def write(self, pcm: np.ndarray) -> None:
        """Feed samples; AssemblyError if ffmpeg has died."""
        try:
            self._stdin.write(np.ascontiguousarray(pcm, dtype="<i2").data.cast("B"))
        except OSError as exc:  # BrokenPipeError: ffmpeg exited early
            self._proc.wait()
            message = _last_line(self._read_log())
            self.abort()
            raise AssemblyError(f"ffmpeg failed on {self.label}: {message}") from exc

    def finish(self) -> Finished:
        """Close stdin, wait for ffmpeg, raise AssemblyError unless it succeeded."""
        try:
            self._stdin.close()
        except OSError:
            pass  # the exit status below says what happened
        code = self._proc.wait()
        text = self._read_log()
        self._log.close()
        if code != 0:
            raise AssemblyError(f"ffmpeg failed on {self.label} (exit {code}): {_last_line(text)}")
        return Finished(text)

    def abort(self) -> None:
        """Kill ffmpeg (its whole session) and reap it; safe to call twice."""
        if self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self._stdin.close()
        except OSError:
            pass
        self._proc.wait()
        self._log.close()

    def _read_log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode("utf-8", errors="replace")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "rror" in line or "nvalid" in line]
    return (errors or lines or ["no message"])[-1][:300]
