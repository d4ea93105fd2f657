"""What the crash bench (bench/crash.py) and the crash suite (tests/test_crash.py) share.

The local server on a thread of this process (so its interaction log can be read while
`narrator run` subprocesses come and go), and what a killed run left behind: the texts the
store holds as done, and temp files.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from anyio.from_thread import start_blocking_portal

from narrator.assembly import ownership
from narrator.errors import StoreError
from narrator.jobfile import load_job
from narrator.plan import build_plan
from narrator.server import RunningServer, ServerConfig, running_server
from narrator.store import Store

TEMP_SUFFIXES = (".part", ".tmp")


@contextmanager
def threaded_server(config: ServerConfig) -> Iterator[RunningServer]:
    """The local server on its own thread and event loop (its stats readable from here)."""
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(running_server(config)) as srv,
    ):
        yield srv


def done_texts(job_path: Path) -> set[str]:
    """Texts of the planned segments the store holds as done (read-only: no lock, no writes)."""
    job = load_job(job_path)
    keys = [segment.key for segment in build_plan(job).segments]
    try:
        store = Store.read_only(job.workspace)
    except StoreError:  # no manifest yet: killed before the store was created
        return set()
    try:
        done = set()
        for key in keys:
            try:
                segment = store.segment(key)
            except StoreError:  # not in the manifest yet: killed before set_plan
                continue
            if segment.state == "done":
                done.add(segment.text)
        return done
    finally:
        store.close()


def temp_files(*folders: Path) -> list[Path]:
    """Files a run writes under a temporary name (.part, .tmp) left in `folders`."""
    return [p for folder in folders for p in folder.rglob("*") if p.name.endswith(TEMP_SUFFIXES)]


def outputs(folder: Path) -> dict[str, bytes]:
    """The listener's files by name. Not the hidden record of what narrator wrote (see
    narrator.assembly.ownership): it holds each file's write time, so it differs between any
    two runs even when every audio byte is the same."""
    files = (p for p in sorted(folder.iterdir()) if p.is_file() and p.name != ownership.RECORD)
    return {p.name: p.read_bytes() for p in files}
