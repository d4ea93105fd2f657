"""`narrator say`: real speech from the embedded server, and exact text with the test voice."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from narrator.cli import main
from narrator.server.textcode import decode


def read_wav(path) -> tuple[wave._wave_params, np.ndarray]:
    with wave.open(str(path)) as w:
        return w.getparams(), np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


@pytest.mark.piper
def test_say_speaks_with_the_real_voice_on_the_embedded_server(tmp_path, capsys):
    out = tmp_path / "hello.wav"
    assert main(["say", "Hello from narrator. This is a real voice.", "-o", str(out)]) == 0
    params, samples = read_wav(out)
    assert (params.framerate, params.nchannels, params.sampwidth) == (24_000, 1, 2)
    seconds = len(samples) / 24_000
    assert 1.5 < seconds < 8.0  # about 40 characters of speech
    frames = samples[: len(samples) // 480 * 480].reshape(-1, 480).astype(np.float64)
    rms = np.sqrt((frames**2).mean(axis=1))
    voiced = (rms > 500).mean()
    assert 0.3 < voiced < 0.98  # speech with pauses, not silence and not noise
    assert "wrote" in capsys.readouterr().out


def test_say_with_the_test_voice_splits_long_text_and_keeps_every_word(tmp_path):
    text = " ".join(f"Sentence number {i} is part of a long passage." for i in range(30))
    out = tmp_path / "long.wav"
    assert main(["say", text, "-o", str(out), "--config-id", "test"]) == 0
    _, samples = read_wav(out)
    found = decode(samples.tobytes())
    assert len(found) > 1 and all(d.complete for d in found)
    assert " ".join(d.text for d in found).split() == text.split()


def test_say_overwrites_only_with_force(tmp_path):
    out = tmp_path / "x.wav"
    out.write_bytes(b"precious")
    assert main(["say", "Hi.", "-o", str(out), "--config-id", "test"]) == 2
    assert out.read_bytes() == b"precious"
    assert main(["say", "Hi.", "-o", str(out), "--config-id", "test", "--force"]) == 0
    assert [d.text for d in decode(read_wav(out)[1].tobytes())] == ["Hi."]
