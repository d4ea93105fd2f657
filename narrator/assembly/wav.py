"""Streamed WAV writing; a file past 4 GiB becomes RF64 (EBU Tech 3306) instead of being refused.

The header is written first with a 28-byte JUNK chunk reserved after `WAVE`. When the file is
closed its sizes are patched in; if the RIFF size no longer fits 32 bits the JUNK chunk is turned
into the `ds64` chunk that carries the 64-bit sizes and `RIFF` becomes `RF64`. So the size need not
be known in advance, and files under 4 GiB stay plain WAV that every reader opens. At 24 kHz mono
16-bit, 4 GiB is about 24.8 hours of audio.
"""

from __future__ import annotations

import contextlib
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from narrator.errors import AssemblyError

U32_MAX = 0xFFFFFFFF
_DS64_SIZE = 28  # riff size, data size, sample count (3 x u64) + table length (u32)
_FMT_SIZE = 16
_DATA_HEADER_AT = 12 + 8 + _DS64_SIZE + 8 + _FMT_SIZE
HEADER_BYTES = _DATA_HEADER_AT + 8


@dataclass(frozen=True)
class WavInfo:
    rate: int
    channels: int
    bits: int
    data_offset: int
    data_size: int
    rf64: bool


class WavWriter:
    """Write 16-bit PCM to `path` block by block; `close()` finalises the header."""

    def __init__(self, path: Path, rate: int, channels: int = 1, limit: int = U32_MAX) -> None:
        self.path, self.rate, self.channels = path, rate, channels
        self._limit = limit  # the 32-bit ceiling; tests lower it to exercise RF64
        self._data = 0
        try:
            self._file: BinaryIO = open(path, "wb")
            self._file.write(self._header())
        except OSError as exc:
            raise AssemblyError(f"{path}: cannot write ({exc.strerror}); check output.dir") from exc

    def _header(self) -> bytes:
        block = self.channels * 2
        fmt = struct.pack("<HHIIHH", 1, self.channels, self.rate, self.rate * block, block, 16)
        return (
            b"RIFF"
            + struct.pack("<I", 0)
            + b"WAVE"
            + b"JUNK"
            + struct.pack("<I", _DS64_SIZE)
            + bytes(_DS64_SIZE)
            + b"fmt "
            + struct.pack("<I", _FMT_SIZE)
            + fmt
            + b"data"
            + struct.pack("<I", 0)
        )

    def write(self, pcm: np.ndarray) -> None:
        """Append int16 samples."""
        try:
            self._file.write(np.ascontiguousarray(pcm, dtype="<i2").data.cast("B"))
        except OSError as exc:
            raise AssemblyError(f"{self.path}: write failed ({exc.strerror})") from exc
        self._data += pcm.size * 2

    def close(self) -> None:
        """Patch the sizes in (turning the file into RF64 when needed) and close it."""
        riff = HEADER_BYTES - 8 + self._data
        try:
            if riff > self._limit or self._data > self._limit:
                self._patch_rf64(riff)
            else:
                self._patch(4, struct.pack("<I", riff))
                self._patch(_DATA_HEADER_AT + 4, struct.pack("<I", self._data))
            self._file.close()
        except OSError as exc:
            raise AssemblyError(f"{self.path}: write failed ({exc.strerror})") from exc

    def _patch_rf64(self, riff: int) -> None:
        frames = self._data // (2 * self.channels)
        self._patch(0, b"RF64" + struct.pack("<I", U32_MAX))
        self._patch(12, b"ds64" + struct.pack("<IQQQI", _DS64_SIZE, riff, self._data, frames, 0))
        self._patch(_DATA_HEADER_AT + 4, struct.pack("<I", U32_MAX))

    def _patch(self, offset: int, data: bytes) -> None:
        self._file.seek(offset)
        self._file.write(data)

    def abort(self) -> None:
        """Close without finalising (the caller deletes the temp file); never raises OSError."""
        # On a full disk close() fails again flushing its buffer; the file is closed all the same.
        with contextlib.suppress(OSError):
            self._file.close()


def read_wav_info(path: Path) -> WavInfo:
    """Parse a WAV or RF64 header: format and where the data chunk lies."""
    with open(path, "rb") as handle:
        head = handle.read(12)
        if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:] != b"WAVE":
            raise AssemblyError(f"{path}: not a WAV file")
        rf64, big_data, fmt = head[:4] == b"RF64", None, None
        while True:
            chunk = handle.read(8)
            if len(chunk) < 8:
                raise AssemblyError(f"{path}: no data chunk")
            kind, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if kind == b"data":
                data = big_data if rf64 and size == U32_MAX and big_data is not None else size
                if fmt is None:
                    raise AssemblyError(f"{path}: data before fmt")
                return WavInfo(fmt[2], fmt[1], fmt[5], handle.tell(), data, rf64)
            body = handle.read(size + (size & 1))
            if kind == b"ds64":
                big_data = struct.unpack("<Q", body[8:16])[0]
            elif kind == b"fmt ":
                fmt = struct.unpack("<HHIIHH", body[:16])


def read_wav_samples(path: Path) -> np.ndarray:
    """All samples of a (small) 16-bit WAV file; for tests and spot checks, not for books."""
    info = read_wav_info(path)
    with open(path, "rb") as handle:
        handle.seek(info.data_offset)
        return np.fromfile(handle, dtype="<i2", count=info.data_size // 2)
