"""Streamed WAV: plain RIFF under the limit, RF64 over it, readable by the stdlib and our reader."""

from __future__ import annotations

import errno
import os
import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from narrator.assembly.wav import HEADER_BYTES, WavWriter, read_wav_info, read_wav_samples
from narrator.errors import AssemblyError


def write(path: Path, blocks: list[np.ndarray], limit: int = 0xFFFFFFFF) -> None:
    writer = WavWriter(path, 24000, limit=limit)
    for block in blocks:
        writer.write(block)
    writer.close()


def test_plain_wav_opens_in_the_stdlib(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    data = np.arange(-500, 500, dtype="<i2")
    write(path, [data[:300], data[300:]])
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (24000, 1, 2)
        assert np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").tolist() == data.tolist()
    info = read_wav_info(path)
    assert not info.rf64 and info.data_offset == HEADER_BYTES and info.data_size == 2000


def test_past_the_limit_the_file_becomes_rf64(tmp_path: Path) -> None:
    path = tmp_path / "big.wav"
    data = np.arange(5000, dtype="<i2")
    write(path, [data], limit=4000)
    raw = path.read_bytes()
    assert raw[:4] == b"RF64" and struct.unpack("<I", raw[4:8])[0] == 0xFFFFFFFF
    assert raw[12:16] == b"ds64"
    riff, size, frames = struct.unpack("<QQQ", raw[20:44])
    assert (riff, size, frames) == (len(raw) - 8, 10000, 5000)
    info = read_wav_info(path)
    assert info.rf64 and info.data_size == 10000
    assert read_wav_samples(path).tolist() == data.tolist()


def test_unwritable_path_and_garbage_are_reported(tmp_path: Path) -> None:
    with pytest.raises(AssemblyError, match="cannot write"):
        WavWriter(tmp_path / "missing" / "a.wav", 24000)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not a wav at all")
    with pytest.raises(AssemblyError, match="not a WAV"):
        read_wav_info(junk)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_abort_after_a_full_disk_does_not_raise_again() -> None:
    writer = WavWriter(Path("/dev/full"), 24000)
    with pytest.raises(AssemblyError, match=os.strerror(errno.ENOSPC)):
        writer.write(np.zeros(24000, dtype="<i2"))
    writer.abort()
    writer.abort()
