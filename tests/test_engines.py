"""Engines: the test voice spells its text (prefix-exact under a cap); the Piper voice speaks."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import anyio
import numpy as np
import pytest
import soxr

from narrator.server import PiperEngine, SynthesisRequest, TestEngine, textcode
from narrator.server.engines import build_engines, code_pcm

TEXTS = ["", "a", "Hi.", "Grüße, naïve café – ok?", "x" * 700, "ß" * 400 + "end"]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("limit", [None, 0, 1, 240, 241, 242, 5000, 24_000, 720_000])
def test_code_pcm_is_a_prefix_of_the_full_encoding(text, limit):
    full = textcode.encode(text)
    assert code_pcm(text, limit) == (full if limit is None else full[: limit * 2])


@pytest.mark.parametrize("rate", [5.0, 15.0, 40.0])
def test_code_pcm_prefix_holds_at_any_speaking_rate(rate):
    text = "Slow speech, then fast speech, ümlaut included."
    full = textcode.encode(text, rate)
    assert code_pcm(text, 10_000, rate) == full[:20_000]
    assert code_pcm(text, None, rate) == full


def test_code_pcm_of_a_huge_text_stays_small():
    text = "word " * 100_000  # ~9 hours of spelled audio if built whole
    pcm = code_pcm(text, 720_000)
    assert len(pcm) == 1_440_000
    (decoded,) = textcode.decode(pcm)
    assert not decoded.complete and text.startswith(decoded.text) and len(decoded.text) > 400


async def _collect(engine, request: SynthesisRequest) -> list[bytes]:
    return [piece async for piece in engine.stream(request)]


@pytest.mark.anyio
async def test_test_engine_streams_half_second_pieces():
    text = "Seven small boats drifted past the harbour wall at dawn."
    pieces = await _collect(TestEngine(), SynthesisRequest(text, {}, 720_000))
    assert b"".join(pieces) == textcode.encode(text)
    assert all(len(piece) == 24_000 for piece in pieces[:-1])
    assert TestEngine.name == "test"
    slow = await _collect(TestEngine(), SynthesisRequest(text, {"chars_per_second": 5}, 720_000))
    assert b"".join(slow) == textcode.encode(text, 5)
    assert len(b"".join(slow)) == 3 * len(b"".join(pieces))


def test_build_engines_only_builds_what_is_served():
    engines = build_engines(("test",))
    assert list(engines) == ["test"] and isinstance(engines["test"], TestEngine)
    assert isinstance(build_engines(("joe", "test"))["joe"], PiperEngine)


@dataclass
class _FakeChunk:
    audio_int16_array: np.ndarray


class _FakeVoice:
    """Stands in for PiperVoice: a fixed 22,050 Hz signal cut into uneven 'sentences'."""

    config = SimpleNamespace(sample_rate=22_050)

    def __init__(self, signal: np.ndarray, cuts: list[int]):
        self.signal, self.cuts = signal, cuts

    def synthesize(self, text: str, config=None):
        edges = [0, *self.cuts, len(self.signal)]
        for start, end in itertools.pairwise(edges):
            yield _FakeChunk(self.signal[start:end])


@pytest.mark.anyio
async def test_piper_engine_resamples_sentence_joins_seamlessly():
    t = np.arange(22_050 * 2) / 22_050
    signal = (8000 * np.sin(2 * np.pi * 440 * t) * np.sin(2 * np.pi * 1.5 * t)).astype(np.int16)
    fake = _FakeVoice(signal, [1000, 1001, 15_000, 30_333])
    loads = []
    engine = PiperEngine(Path("fake.onnx"), loader=lambda path, threads: loads.append(path) or fake)
    pieces = await _collect(engine, SynthesisRequest("four sentences"))
    await _collect(engine, SynthesisRequest("again"))
    streamed = np.frombuffer(b"".join(pieces), dtype="<i2").astype(np.int32)
    whole = soxr.resample(signal, 22_050, 24_000).astype(np.int32)
    assert len(streamed) == len(whole) == 48_000
    assert np.max(np.abs(streamed - whole)) <= 4  # rounding only
    # Resampling each sentence on its own would click at the joins: the check can tell.
    edges = [0, *fake.cuts, len(signal)]
    naive = np.concatenate(
        [soxr.resample(signal[a:b], 22_050, 24_000) for a, b in itertools.pairwise(edges)]
    ).astype(np.int32)
    n = min(len(naive), len(whole))
    assert np.max(np.abs(naive[:n] - whole[:n])) > 100
    assert loads == [Path("fake.onnx")]  # loaded once, reused


@pytest.mark.piper
@pytest.mark.anyio
async def test_piper_engine_speaks_24_khz():
    text = "The tide came in slowly. Gulls argued over the nets. Then the bell rang twice."
    engine = PiperEngine()
    pieces = await _collect(engine, SynthesisRequest(text, {"language": "English"}))
    pcm = np.frombuffer(b"".join(pieces), dtype="<i2")
    seconds = len(pcm) / 24_000
    assert 3.0 < seconds < 12.0
    assert np.sqrt(np.mean(pcm.astype(np.float64) ** 2)) > 300
    voice = await engine.voice()
    # Piper speaks at its own rate; the engine's output is that audio at 24 kHz.
    native = sum(len(c.audio_int16_array) for c in voice.synthesize("The tide came in slowly."))
    assert native > 0.5 * voice.config.sample_rate and voice.config.sample_rate == 22_050


def test_the_test_voices_rate_param_is_checked_only_for_the_test_voice():
    from narrator.errors import RemoteProtocolError

    PiperEngine().check({"chars_per_second": "fast", "style": {"calm": True}})  # passes through
    with pytest.raises(RemoteProtocolError, match="chars_per_second"):
        TestEngine().check({"chars_per_second": "fast"})


class _BarrierVoice:
    """A fake Piper voice whose synthesis waits until `parties` syntheses run at once."""

    def __init__(self, barrier):
        self.barrier = barrier
        self.config = type("Config", (), {"sample_rate": 22_050, "length_scale": 1.0})()

    def synthesize(self, text: str, config=None):
        self.barrier.wait(timeout=10)  # BrokenBarrierError unless the other lane runs too
        yield _FakeChunk(np.zeros(2205, dtype=np.int16))


@pytest.mark.anyio
async def test_piper_lanes_synthesize_requests_in_parallel():
    import threading

    barrier = threading.Barrier(2)
    threads = []
    engine = PiperEngine(
        Path("fake.onnx"),
        loader=lambda path, n: threads.append(n) or _BarrierVoice(barrier),
        lanes=2,
        threads=1,
    )
    results = []
    async with anyio.create_task_group() as tg:
        for text in ("one", "two"):
            tg.start_soon(lambda t=text: _collect_into(engine, t, results))
    assert len(results) == 2 and all(results)
    assert threads == [1, 1]  # two lanes, each a single-thread session


async def _collect_into(engine, text, results):
    results.append(b"".join(await _collect(engine, SynthesisRequest(text))))


class _OverlapVoice:
    """Records how many syntheses run at once; each waits a moment for company."""

    def __init__(self):
        import threading

        self.lock, self.active, self.most = threading.Lock(), 0, 0
        self.company = threading.Event()
        self.config = type("Config", (), {"sample_rate": 22_050, "length_scale": 1.0})()

    def synthesize(self, text: str, config=None):
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
            if self.active > 1:
                self.company.set()
        self.company.wait(timeout=0.3)  # a second lane would join within this
        with self.lock:
            self.active -= 1
        yield _FakeChunk(np.zeros(2205, dtype=np.int16))


@pytest.mark.anyio
async def test_one_lane_runs_one_request_at_a_time():
    voice = _OverlapVoice()
    engine = PiperEngine(Path("fake.onnx"), loader=lambda path, n: voice, lanes=1)
    results = []
    async with anyio.create_task_group() as tg:
        for text in ("one", "two"):
            tg.start_soon(lambda t=text: _collect_into(engine, t, results))
    assert len(results) == 2 and voice.most == 1


def test_speaking_rate_is_checked_for_the_piper_voice():
    from narrator.errors import RemoteProtocolError

    PiperEngine().check({"speaking_rate": 1.25})
    for bad in ("fast", 0.1, 3, True):
        with pytest.raises(RemoteProtocolError, match="speaking_rate"):
            PiperEngine().check({"speaking_rate": bad})


def test_lanes_default_from_the_machine_and_the_options():
    from narrator.server.config import ServerConfig
    from narrator.server.engines import default_lanes

    assert default_lanes(2) == (2, 1)
    assert default_lanes(1) == (1, 1)
    assert default_lanes(16) == (4, 4)  # capped for memory; threads share the cores
    lanes, threads = ServerConfig(piper_lanes=1, piper_threads=3).lanes()
    assert (lanes, threads) == (1, 3)
