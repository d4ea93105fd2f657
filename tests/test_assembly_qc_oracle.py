"""QC's edge silence against an independent measure: pydub's silence detection.

narrator measures a segment's leading and trailing silence with numpy over its raw PCM (10 ms
RMS blocks under -50 dBFS). pydub computes the same quantity its own way (audioop RMS per
chunk, dBFS against full scale), so agreeing with it on random signals checks the numpy code
rather than restating it. pydub is a test dependency only: in a book it would copy the whole
audio at every step (PITFALLS.md).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pydub import AudioSegment
from pydub.silence import detect_leading_silence

from narrator.assembly.qc import EDGE_SILENCE_DBFS, edge_silence

RATE = 24_000


def pydub_edges(pcm: np.ndarray) -> tuple[float, float]:
    sound = AudioSegment(data=pcm.tobytes(), sample_width=2, frame_rate=RATE, channels=1)
    lead = detect_leading_silence(sound, silence_threshold=EDGE_SILENCE_DBFS, chunk_size=10)
    trail = detect_leading_silence(
        sound.reverse(), silence_threshold=EDGE_SILENCE_DBFS, chunk_size=10
    )
    return lead / 1000, trail / 1000


@settings(max_examples=60, deadline=None)
@given(
    lead_ms=st.integers(0, 800),
    speech_ms=st.integers(50, 900),
    trail_ms=st.integers(0, 800),
    hiss=st.integers(0, 40),  # background noise well under -50 dBFS (~103 RMS)
    # Speech from just under the -50 dBFS line (sine amplitude 146) to loud; amplitudes within
    # a few percent of the line are left out, where integer RMS rounding may tip a block.
    loudness=st.one_of(st.integers(20, 120), st.integers(180, 20000)),
    seed=st.integers(0, 2**16),
)
def test_edge_silence_agrees_with_pydub(
    tmp_path_factory, lead_ms, speech_ms, trail_ms, hiss, loudness, seed
) -> None:
    rng = np.random.default_rng(seed)
    n = (lead_ms + speech_ms + trail_ms) * RATE // 1000
    pcm = rng.integers(-hiss, hiss + 1, n).astype(np.int32)
    start, stop = lead_ms * RATE // 1000, (lead_ms + speech_ms) * RATE // 1000
    t = np.arange(stop - start)
    pcm[start:stop] += (np.sin(t / 7.0) * loudness).astype(np.int32)
    pcm = pcm.astype("<i2")
    path = tmp_path_factory.mktemp("edge") / "s.pcm"
    pcm.tofile(path)
    ours, theirs = edge_silence(path), pydub_edges(pcm)
    # Both step in 10 ms blocks; pydub counts the trailing blocks from the end, narrator from
    # the start, so the trailing edge may differ by one block.
    assert abs(ours[0] - theirs[0]) <= 0.0105, (ours, theirs)
    assert abs(ours[1] - theirs[1]) <= 0.0205, (ours, theirs)
    if loudness >= 180:  # audible: the lead is where the speech starts
        assert abs(ours[0] - lead_ms / 1000) <= 0.0105
