"""`narrator say`: real speech from the embedded server, and exact text with the test voice."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
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


def test_say_retries_retryable_refusals_and_drops(tmp_path, monkeypatch):
    key = "sk-say-test-key-0123456789"
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "narrator.cli",
            "serve",
            "--port",
            "0",
            "--engine",
            "test",
            "--api-key",
            key,
            "--fault-script",
            "RATE_LIMITED,drop,BACKEND_UNAVAILABLE",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = serve.stdout.readline().split("listening on ")[1].split()[0]
        out = tmp_path / "x.wav"
        monkeypatch.setenv("SAY_RETRY_KEY", key)
        code = main(
            [
                "say",
                "Hi there.",
                "-o",
                str(out),
                "--server",
                url,
                "--config-id",
                "test",
                "--api-key-env",
                "SAY_RETRY_KEY",
            ]
        )
        assert code == 0
        assert [d.text for d in decode(read_wav(out)[1].tobytes())] == ["Hi there."]
    finally:
        serve.send_signal(signal.SIGINT)
        serve.communicate(timeout=10)


def test_say_refused_by_the_service_names_what_to_fix(tmp_path, capsys, monkeypatch):
    key = "sk-say-test-key-0123456789"
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "narrator.cli",
            "serve",
            "--port",
            "0",
            "--engine",
            "test",
            "--api-key",
            key,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = serve.stdout.readline().split("listening on ")[1].split()[0]
        out = tmp_path / "x.wav"
        say = ["say", "Hi.", "-o", str(out), "--server", url, "--api-key-env", "SAY_KEY"]
        monkeypatch.setenv("SAY_KEY", key + "-wrong")
        assert main([*say, "--config-id", "test"]) == 3
        err = capsys.readouterr().err
        assert "set SAY_KEY to a valid API key" in err and key not in err
        assert err.count("AUTH_FAILED") == 1 and err.count("\n") == 1  # one line, code once
        monkeypatch.setenv("SAY_KEY", key)
        assert main([*say, "--config-id", "nobody"]) == 3
        assert "--config-id 'nobody' is unknown" in capsys.readouterr().err
        assert not out.exists()
    finally:
        serve.send_signal(signal.SIGINT)
        serve.communicate(timeout=10)


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--server", "http://127.0.0.1:9/", "--config-id", "test"], "not a ws:// or wss:// URL"),
        (["--server", "notaurl", "--config-id", "test"], "not a ws:// or wss:// URL"),
        (["--server", "ws://127.0.0.1:9/"], "--server needs --config-id"),
        (["--config-id", "test", "--language", " "], "--language is empty"),
    ],
)
def test_say_options_are_checked_before_any_request(tmp_path, capsys, options, says):
    out = tmp_path / "x.wav"
    assert main(["say", "Hi.", "-o", str(out), *options]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1 and not out.exists()


def test_say_drops_control_characters_like_a_job_does(tmp_path):
    out = tmp_path / "x.wav"
    assert main(["say", "Hello\x00 world.\x07", "-o", str(out), "--config-id", "test"]) == 0
    assert [d.text for d in decode(read_wav(out)[1].tobytes())] == ["Hello world."]


def _probe(path) -> str:
    """ffmpeg's own description of the file's input format and stream."""
    from narrator.assembly.encode import ffmpeg_exe

    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True)
    return done.stderr.decode("utf-8", "replace")


@pytest.mark.parametrize(
    ("name", "container", "codec"),
    [
        ("x.mp3", "Input #0, mp3,", "Audio: mp3"),
        ("x.m4b", "Input #0, mov,mp4,m4a", "Audio: aac"),
        ("x.M4A", "Input #0, mov,mp4,m4a", "Audio: aac"),
        ("x.wav", "Input #0, wav,", "pcm_s16le"),
    ],
)
def test_say_encodes_by_extension_with_the_umask_permissions(tmp_path, name, container, codec):
    out = tmp_path / name
    old = os.umask(0o022)
    try:
        assert main(["say", "Hello there.", "-o", str(out), "--config-id", "test"]) == 0
    finally:
        os.umask(old)
    described = _probe(out)
    assert container in described and codec in described, described
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temp file left


@pytest.mark.parametrize("name", ["x.ogg", "x", "x.mp3.txt"])
def test_say_refuses_an_unknown_extension_in_one_line(tmp_path, capsys, name):
    out = tmp_path / name
    assert main(["say", "Hi.", "-o", str(out), "--config-id", "test"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ".wav, .mp3, .m4b or .m4a" in err and not out.exists()


def test_say_to_a_closed_port_says_the_fix_at_once(tmp_path, capsys, monkeypatch):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("SAY_KEY", "sk-unused")
    url = f"ws://127.0.0.1:{port}"
    started = time.monotonic()
    code = main(
        [
            "say",
            "Hi.",
            "-o",
            str(tmp_path / "x.wav"),
            "--server",
            url,
            "--config-id",
            "test",
            "--api-key-env",
            "SAY_KEY",
        ]
    )
    took = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 3 and err.count("\n") == 1, err
    assert url in err and "narrator serve" in err and "connection refused" in err
    assert took < 5, f"took {took:.1f} s"  # a short bounded retry, not the full backoff


def test_say_missing_key_names_the_option(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SAY_NO_KEY", raising=False)
    code = main(
        [
            "say",
            "Hi.",
            "-o",
            str(tmp_path / "x.wav"),
            "--server",
            "ws://127.0.0.1:9",
            "--config-id",
            "test",
            "--api-key-env",
            "SAY_NO_KEY",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "SAY_NO_KEY" in err and "--api-key-env" in err and "api_key_env" not in err
