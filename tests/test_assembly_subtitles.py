"""SRT and VTT cues: times from sample positions, text made safe for each format."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from narrator.assembly.subtitles import CueWriter, one_line, timestamp
from narrator.errors import AssemblyError


def test_timestamps_round_to_the_millisecond() -> None:
    assert timestamp(0, ",") == "00:00:00,000"
    assert timestamp(24000 * 3661 + 13, ".") == "01:01:01.001"
    assert timestamp(24000 * 36000, ",") == "10:00:00,000"


def test_srt_cues(tmp_path: Path) -> None:
    path = tmp_path / "a.srt"
    writer = CueWriter(path, "srt")
    writer.cue(12000, 36000, "First line\n\nstill the first cue")
    writer.cue(48000, 60000, "A --> B")
    writer.close()
    assert path.read_text(encoding="utf-8") == (
        "1\n00:00:00,500 --> 00:00:01,500\nFirst line still the first cue\n\n"
        "2\n00:00:02,000 --> 00:00:02,500\nA -> B\n\n"
    )


def test_vtt_cues_escape_markup(tmp_path: Path) -> None:
    path = tmp_path / "a.vtt"
    writer = CueWriter(path, "vtt")
    writer.cue(0, 24000, "Tom & <Jerry>")
    writer.close()
    assert path.read_text(encoding="utf-8") == (
        "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\nTom &amp; &lt;Jerry&gt;\n\n"
    )


def test_one_line() -> None:
    assert one_line("  a\r\n b\tc  ") == "a b c"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_is_one_assembly_error() -> None:
    writer = CueWriter(Path("/dev/full"), "srt")
    with pytest.raises(AssemblyError, match=r"/dev/full: write failed \(No space left on device\)"):
        for n in range(10_000):  # past the buffer, so a write fails, or else the close
            writer.cue(n * 24000, n * 24000 + 12000, "A cue that takes some room on the disk.")
        writer.close()
    writer.abort()  # and cleaning up after it does not raise again
