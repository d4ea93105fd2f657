"""Capacity slots and per-key token buckets, on a fake clock."""

from __future__ import annotations

from narrator.server.limits import Capacity, RateLimiter


def test_capacity_refuses_one_more_and_frees_on_release():
    capacity = Capacity(2)
    assert capacity.try_acquire() and capacity.try_acquire()
    assert not capacity.try_acquire() and capacity.load == 1.0
    capacity.release()
    assert capacity.try_acquire() and capacity.active == 2


def test_token_bucket_allows_bursts_then_the_rate_per_key():
    now = [100.0]
    limiter = RateLimiter(4.0, clock=lambda: now[0])
    assert [limiter.allow(0) for _ in range(5)] == [True] * 4 + [False]
    assert limiter.allow(1)  # another key has its own bucket
    now[0] += 0.25
    assert limiter.allow(0) and not limiter.allow(0)
    now[0] += 10.0  # refills only up to the burst
    assert sum(limiter.allow(0) for _ in range(10)) == 4


def test_slow_rates_still_allow_one_request():
    now = [0.0]
    limiter = RateLimiter(0.5, clock=lambda: now[0])
    assert limiter.allow(0) and not limiter.allow(0)
    now[0] += 2.0
    assert limiter.allow(0)
