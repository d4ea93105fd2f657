"""Chunking under the cap: sizes, the held-back final chunk, token usage that adds up."""

from __future__ import annotations

import math

import pytest

from narrator.server.chunks import Chunker, cap_samples, tokens_for


def pcm(samples: int) -> bytes:
    return bytes(range(256)) * (samples * 2 // 256) + bytes(samples * 2 % 256)


def run(pieces: list[int], chunk: int = 12_000, cap: int = 720_000):
    chunker = Chunker(chunk, cap)
    out = [c for size in pieces for c in chunker.feed(pcm(size))]
    return chunker, out, chunker.finish()


def test_cap_samples_is_2000_per_token():
    assert cap_samples(360) == 720_000 and cap_samples(1) == 2000 and cap_samples(7) == 14_000
    assert (
        tokens_for(0) == 0
        and tokens_for(1) == 1
        and tokens_for(2000) == 1
        and tokens_for(2001) == 2
    )


@pytest.mark.parametrize(
    "pieces", [[30_000], [12_000, 12_000], [5, 11_995, 1], [24_000] * 3, [1] * 50]
)
def test_full_chunks_then_a_non_empty_tail(pieces):
    chunker, out, (tail, tail_usage) = run(pieces)
    total = sum(pieces)
    assert all(len(data) == 24_000 for data, _ in out)
    assert 0 < len(tail) <= 24_000
    assert len(out) * 12_000 + len(tail) // 2 == total
    assert sum(u for _, u in out) + tail_usage == math.ceil(total * 12 / 24_000)
    assert not chunker.full


def test_the_cap_cuts_exactly():
    chunker, out, (tail, usage) = run([50_000, 50_000], cap=60_000)
    assert chunker.full and chunker.samples == 60_000
    assert sum(len(d) for d, _ in out) + len(tail) == 120_000
    assert sum(u for _, u in out) + usage == 30


def test_nothing_in_gives_an_empty_final():
    assert run([])[2] == (b"", 0)
