"""ffmpeg through a pipe: a real encode, failures and kills (checks: test_assembly_options)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from narrator.assembly.encode import FfmpegPipe, m4b_args, mp3_args
from narrator.errors import AssemblyError


def test_pipe_encodes_an_mp3(tmp_path: Path) -> None:
    out = tmp_path / "a.part"
    pipe = FfmpegPipe("a.mp3", [], [*mp3_args(64, 24000), str(out)])
    tone = (np.sin(np.arange(24000) / 5) * 5000).astype("<i2")
    pipe.write(tone)
    pipe.write(tone)
    pipe.finish()
    data = out.read_bytes()
    assert data[:3] != b"ID3"  # no tag from ffmpeg: mutagen writes them
    assert len(data) == pytest.approx(2 * 64000 / 8, rel=0.15)


def test_m4b_args_map_chapters_only_when_given(tmp_path: Path) -> None:
    inputs, output = m4b_args(64, 24000, tmp_path / "meta")
    assert inputs[-1] == str(tmp_path / "meta") and "-map_chapters" in output
    assert m4b_args(64, 24000, None)[0] == []


def test_failure_names_ffmpegs_complaint(tmp_path: Path) -> None:
    pipe = FfmpegPipe("bad.mp3", [], ["-c:a", "no_such_codec", "-f", "mp3", str(tmp_path / "x")])
    with pytest.raises(
        AssemblyError, match="ffmpeg failed on bad.mp3.*no_such_codec|ffmpeg failed on bad.mp3"
    ):
        for _ in range(200):  # ffmpeg exits at once: a write or the finish reports it
            pipe.write(np.zeros(24000, dtype="<i2"))
        pipe.finish()


def test_abort_kills_and_reaps(tmp_path: Path) -> None:
    pipe = FfmpegPipe("k.mp3", [], [*mp3_args(64, 24000), str(tmp_path / "k")])
    pipe.write(np.zeros(1000, dtype="<i2"))
    pid = pipe._proc.pid
    pipe.abort()
    pipe.abort()
    assert pipe._proc.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
