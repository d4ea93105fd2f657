"""Helpers shared by the test files: a job writer, the local server for jobs, waiting with a
deadline, and the ffmpeg processes a run left.

Plain functions rather than fixtures, because module-scoped fixtures, helper classes and
subprocess drivers call them too; conftest.py wraps `job_server` as a fixture for tests.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

from narrator.server import RunningServer, ServerConfig, running_server

KEY_ENV = "NARRATOR_TEST_KEY"  # the variable the jobs written here name for the server's key
# What a test job says unless told otherwise: the test voice, no spoken credit, plain WAV.
JOB_DEFAULTS = {
    "voice": "{config_id: test}",
    "credit": "false",
    "output": "{formats: [wav], loudness: null, subtitles: []}",
}


def write_job(
    folder: Path,
    *,
    name: str = "book.yaml",
    url: str | None = None,
    texts: Mapping[str, str] | None = None,
    extra: str = "",
    **keys: str | None,
) -> Path:
    """Write `texts` into `folder` and a job file beside them; return the job's path.

    Args:
        keys: top-level job keys, each value as YAML text; None leaves a key (or a default
            from JOB_DEFAULTS) out.
        url: adds `server:` with this URL and its key in the KEY_ENV variable.
        extra: YAML lines appended as they are; a default key they set is left out.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for file, text in (texts or {}).items():
        (folder / file).write_text(text, encoding="utf-8")
    values = dict(keys)
    for key, value in JOB_DEFAULTS.items():
        if key not in values and not re.search(rf"^{key}:", extra, re.M):
            values[key] = value
    if url is not None:
        values["server"] = f'{{url: "{url}", api_key_env: {KEY_ENV}}}'
    lines = "".join(f"{key}: {value}\n" for key, value in values.items() if value is not None)
    path = folder / name
    path.write_text(lines + extra, encoding="utf-8")
    return path


@asynccontextmanager
async def job_server(
    monkeypatch: pytest.MonkeyPatch, **config: Any
) -> AsyncIterator[RunningServer]:
    """The local server on 127.0.0.1, port 0 (test voice unless `engines` says), a fresh key
    in the KEY_ENV variable, so jobs from `write_job(url=...)` reach it."""
    key = secrets.token_urlsafe(16)
    monkeypatch.setenv(KEY_ENV, key)
    settings: dict[str, Any] = {"api_keys": (key,), "engines": ("test",), **config}
    async with running_server(ServerConfig(**settings)) as srv:
        yield srv


def wait_for(
    ready: Callable[[], bool],
    what: str,
    timeout: float = 60.0,
    *,
    stop: Callable[[], bool] | None = None,
    every: float = 0.01,
) -> bool:
    """Poll until `ready()` (True) or `stop()` (False); fail after `timeout` s.

    A deadline, never a guess at how long something takes: a loaded machine only makes the
    wait longer. `stop` ends the wait early, e.g. when the process being watched has exited.
    """
    deadline = time.monotonic() + timeout
    while not ready():
        if stop is not None and stop():
            return False
        assert time.monotonic() < deadline, f"no {what} after {timeout} s"
        time.sleep(every)  # the polling interval of this deadline-bounded wait
    return True


async def wait_until(ready: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """`wait_for` inside an event loop: poll `ready()`, letting the loop run in between."""
    deadline = anyio.current_time() + timeout
    while not ready():
        assert anyio.current_time() < deadline, f"no {what} after {timeout} s"
        await anyio.sleep(0.005)  # the polling interval of this deadline-bounded wait


def ffmpeg_children(parent: int) -> list[int]:
    """Process ids of the ffmpeg processes whose parent is `parent` (read from /proc)."""
    return [pid for pid, name, ppid in _processes() if "ffmpeg" in name and ppid == parent]


def process_gone(pid: int) -> bool:
    """The process has exited (reaped, or a zombie nobody has reaped yet)."""
    stat = _stat(Path(f"/proc/{pid}"))
    return stat is None or stat[1][0] == "Z"


def _processes() -> list[tuple[int, str, int]]:
    """(pid, command name, parent pid) of every process, from /proc/PID/stat."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(entry)) is not None:
            name, fields = stat
            found.append((int(entry.name), name, int(fields[1])))
    return found


def _stat(entry: Path) -> tuple[str, list[str]] | None:
    """The command name and the fields after it (state, ppid, ...); None if it has ended."""
    try:
        stat = (entry / "stat").read_text()
    except OSError:
        return None  # ended while we looked
    return stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
