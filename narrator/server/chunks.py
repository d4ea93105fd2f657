"""Cutting an engine's PCM into protocol-sized chunks under the max_new_tokens cap (pure).

The last full chunk is held back until more audio or the end arrives, so the final message
carries the tail audio rather than nothing. Usage is counted in whole audio tokens so that the
usages of all messages add up to ceil(total seconds * 12).
"""

from __future__ import annotations

import math

from narrator.wire.protocol import SAMPLE_RATE, SAMPLE_WIDTH, TOKENS_PER_SECOND


def cap_samples(max_new_tokens: int) -> int:
    """Samples of audio that `max_new_tokens` tokens allow (2,000 per token at 24 kHz)."""
    return max_new_tokens * SAMPLE_RATE // TOKENS_PER_SECOND


def tokens_for(samples: int) -> int:
    """Audio tokens that `samples` samples represent, rounded up."""
    return math.ceil(samples * TOKENS_PER_SECOND / SAMPLE_RATE)


class Chunker:
    """Feed PCM in, take chunks of `chunk_samples` out; nothing past `max_samples` is kept."""

    def __init__(self, chunk_samples: int, max_samples: int):
        self._chunk_bytes = max(1, chunk_samples) * SAMPLE_WIDTH
        self._max_bytes = max_samples * SAMPLE_WIDTH
        self._buffer = bytearray()
        self._taken = 0  # bytes accepted so far (sent or buffered)
        self._sent_samples = 0

    @property
    def full(self) -> bool:
        """True once the cap is reached: the rest of the text is cut."""
        return self._taken >= self._max_bytes

    @property
    def samples(self) -> int:
        """Samples accepted so far."""
        return self._taken // SAMPLE_WIDTH

    def feed(self, pcm: bytes) -> list[tuple[bytes, int]]:
        """Accept PCM; return the chunks now ready, each with its usage in tokens."""
        room = self._max_bytes - self._taken
        piece = pcm[: max(0, room)]
        self._buffer += piece
        self._taken += len(piece)
        ready = []
        while len(self._buffer) > self._chunk_bytes:
            ready.append(self._take(self._chunk_bytes))
        return ready

    def finish(self) -> tuple[bytes, int]:
        """The tail audio (possibly empty) for the final message, with its usage."""
        return self._take(len(self._buffer) // SAMPLE_WIDTH * SAMPLE_WIDTH)

    def _take(self, size: int) -> tuple[bytes, int]:
        chunk = bytes(self._buffer[:size])
        del self._buffer[:size]
        before = self._sent_samples
        self._sent_samples += size // SAMPLE_WIDTH
        return chunk, tokens_for(self._sent_samples) - tokens_for(before)
