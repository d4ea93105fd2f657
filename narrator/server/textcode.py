"""The `test` voice's audio code: PCM that spells its own text, so tests can read audio back.

A segment's PCM (24 kHz mono int16 LE) is: a short silent lead, a START marker sample, one
data sample per UTF-8 byte of the text (value 256 + byte) each followed by silent padding, an
END marker sample, and a silent tail. Its length is about 1/15 s per character, a realistic
speaking rate, so a long text reaches the 30 s cap just as real speech would.

Decoding finds the markers again: silence inserted between segments (pauses) is ignored, and
a segment cut short (no END marker) is reported as incomplete.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from narrator.wire.protocol import SAMPLE_RATE

CHARS_PER_SECOND = 15.0
EDGE = 240  # 10 ms of silence at each end, so fades at joins never touch data
START, END = 30_000, 30_001
_BYTE_BASE = 256


def samples_for(text: str, chars_per_second: float = CHARS_PER_SECOND) -> int:
    """Number of samples `encode` produces for `text` spoken at `chars_per_second`."""
    nbytes = len(text.encode("utf-8"))
    per_char = int(SAMPLE_RATE / chars_per_second)
    return max(max(len(text), 1) * per_char, 2 * EDGE + 2 + nbytes)


def encode(text: str, chars_per_second: float = CHARS_PER_SECOND) -> bytes:
    """The PCM the `test` voice speaks for `text` (a slower rate makes longer audio)."""
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int16) + _BYTE_BASE
    total = samples_for(text, chars_per_second)
    pcm = np.zeros(total, dtype="<i2")
    body = total - 2 * EDGE - 2
    step = body // len(data) if len(data) else 0
    pcm[EDGE] = START
    if len(data):
        pcm[EDGE + 1 : EDGE + 1 + step * len(data) : step] = data
    pcm[total - EDGE - 1] = END
    return pcm.tobytes()


@dataclass(frozen=True)
class Decoded:
    text: str
    complete: bool  # False when the END marker never came (audio cut short)
    start: int  # sample index of the START marker in the decoded stream
    end: int  # sample index just past the END marker (or the last data sample)


def decode(pcm: bytes) -> list[Decoded]:
    """Every segment spelled in `pcm`, in order (silence and padding are skipped)."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2")
    where = np.flatnonzero(samples)
    values = samples[where]
    found: list[Decoded] = []
    current: bytearray | None = None
    begin = 0
    for index, value in zip(where.tolist(), values.tolist(), strict=True):
        if value == START:
            if current is not None:
                found.append(_finish(current, False, begin, index))
            current, begin = bytearray(), index
        elif value == END and current is not None:
            found.append(_finish(current, True, begin, index + 1))
            current = None
        elif current is not None and _BYTE_BASE <= value < _BYTE_BASE + 256:
            current.append(value - _BYTE_BASE)
    if current is not None:
        found.append(_finish(current, False, begin, len(samples)))
    return found


def _finish(raw: bytearray, complete: bool, start: int, end: int) -> Decoded:
    return Decoded(raw.decode("utf-8", errors="replace"), complete, start, end)


def decode_text(pcm: bytes, sep: str = " ") -> str:
    """The texts of all segments in `pcm`, joined with `sep`."""
    return sep.join(d.text for d in decode(pcm))
