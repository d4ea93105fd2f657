"""Server-wide limits: a capacity counter and per-key token buckets (no I/O, injectable clock)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


class Capacity:
    """At most `limit` interactions synthesize at once; one more is refused, not queued."""

    def __init__(self, limit: int):
        self.limit = limit
        self.active = 0

    def try_acquire(self) -> bool:
        """Take a slot if one is free."""
        if self.active >= self.limit:
            return False
        self.active += 1
        return True

    def release(self) -> None:
        self.active -= 1

    @property
    def load(self) -> float:
        return self.active / self.limit


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """A token bucket per key: `rate` requests/s on average, bursts up to max(1, rate)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = max(1.0, rate)
        self._clock = clock
        self._buckets: dict[int, _Bucket] = {}

    def allow(self, key_id: int) -> bool:
        """Spend one token of `key_id`'s bucket if it has one."""
        now = self._clock()
        bucket = self._buckets.setdefault(key_id, _Bucket(self.burst, now))
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True
