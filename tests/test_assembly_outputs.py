"""Output files: temp names renamed only when complete, resampled WAV, all-or-nothing tracks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from narrator.assembly import ownership
from narrator.assembly.model import Piece
from narrator.assembly.outputs import EncodeSettings, TempFile, Track, TrackSpec, WavSink
from narrator.assembly.pcmstream import Placed
from narrator.assembly.tags import Tags
from narrator.assembly.wav import read_wav_info, read_wav_samples
from narrator.text.boundary import Boundary

SETTINGS = EncodeSettings(24000, 64, 64)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_tempfile_is_hidden_until_commit_and_only_stale_parts_go(tmp_path: Path) -> None:
    host = ownership._host()
    dead = tmp_path / f".a [1].mp3.{_dead_pid()}@{host}.0badf00d.part"
    live = tmp_path / f".a [1].mp3.{os.getppid()}@{host}.0badf00d.part"  # another live run
    old = tmp_path / ".a [1].mp3.0badf00d.part"  # an older naming: only age makes it stale
    aged = tmp_path / ".a [1].mp3.1badf00d.part"
    other = tmp_path / f".b.mp3.{_dead_pid()}@{host}.0badf00d.part"
    for path in (dead, live, old, aged, other):
        path.write_text("left")
    past = time.time() - (ownership.STALE_HOURS + 1) * 3600
    os.utime(aged, (past, past))
    temp = TempFile(tmp_path / "a [1].mp3")
    assert [p.exists() for p in (dead, live, old, aged, other)] == [False, True, True, False, True]
    assert temp.temp.name.startswith(".a [1].mp3.") and temp.temp.name.endswith(".part")
    temp.temp.write_text("new")
    assert not ownership.is_stale(temp.temp)  # this run's own open temp is live
    assert temp.commit().read_text() == "new"
    assert not temp.temp.exists()
    assert ownership.remove_stale_temps(tmp_path) == 1  # `other`; a live run's temp stays
    assert live.exists() and not other.exists()


def test_wav_sink_resamples_to_the_requested_rate(tmp_path: Path) -> None:
    path = tmp_path / "r.wav"
    sink = WavSink(path, 48000)
    tone = (np.sin(np.arange(24000) * 2 * np.pi * 440 / 24000) * 10000).astype("<i2")
    for start in range(0, 24000, 5000):
        sink.write(tone[start : start + 5000])
    sink.finish()
    assert read_wav_info(path).rate == 48000
    assert abs(len(read_wav_samples(path)) - 48000) <= 2


def spec(tmp_path: Path, formats: tuple[str, ...], measure: bool = False) -> TrackSpec:
    return TrackSpec(tmp_path, "Track", formats, ("srt", "vtt"), Tags("T", "B"), measure=measure)


def test_track_writes_all_formats_and_cues(tmp_path: Path) -> None:
    track = Track(spec(tmp_path, ("wav", "mp3"), measure=True), SETTINGS)
    placed = Placed(Piece(tmp_path / "x.pcm", "hello there", Boundary.SENTENCE), 0, 0, 24000)
    track.pad(12000)
    track.write(np.full(24000, 3000, dtype="<i2"), placed, first=True)
    track.pad(12000)
    assert not [p for p in os.listdir(tmp_path) if not p.startswith(".")]
    result = track.finish()
    assert sorted(p.name for p in result.files) == [
        "Track.mp3",
        "Track.srt",
        "Track.vtt",
        "Track.wav",
    ]
    assert "00:00:00,500 --> 00:00:01,500\nhello there" in (tmp_path / "Track.srt").read_text()
    assert result.samples == 48000 and result.silence.longest == 12000
    assert result.loudness.integrated is not None
    assert [p for p in os.listdir(tmp_path) if p.endswith(".part")] == []


def test_track_abort_leaves_nothing(tmp_path: Path) -> None:
    track = Track(spec(tmp_path, ("wav", "mp3", "m4b"), measure=True), SETTINGS)
    track.pad(48000)
    track.abort()
    track.abort()
    assert os.listdir(tmp_path) == []


def test_track_abort_runs_every_step_when_one_fails(tmp_path: Path, monkeypatch) -> None:
    track = Track(spec(tmp_path, ("wav", "mp3", "m4b")), SETTINGS)
    track.pad(48000)
    wav_sink = track._sinks[0][1]
    closing = wav_sink.abort

    def broken() -> None:
        closing()
        raise RuntimeError("wav abort broke")

    monkeypatch.setattr(wav_sink, "abort", broken)
    with pytest.raises(RuntimeError, match="wav abort broke"):
        track.abort()
    assert all(sink._pipe._proc.poll() is not None for _, sink, _ in track._sinks[1:])
    assert os.listdir(tmp_path) == []


def test_track_without_formats_only_measures(tmp_path: Path) -> None:
    track = Track(spec(tmp_path, (), measure=True), SETTINGS)
    track.write(np.full(2400, 5000, dtype="<i2"))
    result = track.finish()
    assert result.files == () and result.silence.peak == 5000
    assert os.listdir(tmp_path) == []
