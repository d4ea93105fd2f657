"""The workspace on disk: layout, the run lock, atomic audio files and their checks."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from narrator.errors import StoreError, WorkspaceBusy

MANIFEST = "manifest.sqlite3"
LOCK = "lock"
PCM = "pcm"
SUMS = "checksums"  # see narrator.store.adopt
TEMP_SUFFIX = ".tmp"


def pcm_path(workspace: Path, key: str) -> Path:
    """workspace/pcm/<key[:2]>/<key>.pcm: 256 subdirectories keep directories small."""
    return workspace / PCM / key[:2] / f"{key}.pcm"


def stored_files(workspace: Path) -> list[Path]:
    """Every file under workspace/pcm (audio and temp files)."""
    root = workspace / PCM
    if not root.is_dir():
        return []
    return sorted(p for d in root.iterdir() if d.is_dir() for p in d.iterdir() if p.is_file())


def file_problem(path: Path, size: int | None, digest: str | None) -> str | None:
    """Why the file at `path` is not the recorded audio, or None when it is."""
    try:
        found = path.stat().st_size
        if found != size:  # cheap, and catches the usual damage (a short file) without reading
            return f"file has {found} bytes, expected {size} ({path})"
        if sha256_of(path) != digest:
            return f"file is corrupt (sha256 mismatch) ({path})"
    except FileNotFoundError:
        return f"file missing ({path})"
    except OSError as exc:
        return f"file unreadable ({path}: {exc.strerror})"
    return None


def size_problem(path: Path, size: int | None) -> str | None:
    """The cheap half of `file_problem`: the file is there with the recorded size (no read)."""
    try:
        found = path.stat().st_size
    except FileNotFoundError:
        return f"file missing ({path})"
    except OSError as exc:
        return f"file unreadable ({path}: {exc.strerror})"
    return None if found == size else f"file has {found} bytes, expected {size} ({path})"


def sha256_of(path: Path) -> str:
    """The sha256 hex digest of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that `path` is either absent or complete, even after a crash."""
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        fsync_dir(path.parent.parent)
    temp = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}{TEMP_SUFFIX}")
    try:
        with open(temp, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new entry in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def os_errors(workspace: Path, doing: str) -> Iterator[None]:
    """Translate OSError from file work in the workspace into StoreError naming it."""
    try:
        yield
    except OSError as exc:
        raise StoreError(
            f"workspace {workspace}: cannot {doing} ({exc.strerror or exc}: {exc.filename}); "
            "check its permissions and free space"
        ) from exc


def make_dirs(workspace: Path) -> None:
    """Create workspace/pcm (and the workspace)."""
    try:
        (workspace / PCM).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"workspace {workspace}: cannot create it ({exc.strerror or exc}); "
            "choose a writable workspace"
        ) from exc


def acquire_lock(workspace: Path) -> int:
    """Take the exclusive lock on workspace/lock and write our pid into it."""
    try:
        fd = os.open(workspace / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(
            f"workspace {workspace}: cannot open its lock file ({exc.strerror}); check permissions"
        ) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise WorkspaceBusy(
            f"workspace {workspace} is in use by another narrator run (pid {holder}); "
            "wait for it or stop it"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def release_lock(fd: int) -> None:
    """Unlock and close the lock file (the pid is cleared so no stale pid is ever shown)."""
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def wipe(workspace: Path) -> None:
    """Delete the manifest and all audio (the caller holds the lock)."""
    try:
        # The WAL goes first: a stale WAL beside a new, empty manifest would be replayed into it.
        for name in (f"{MANIFEST}-wal", f"{MANIFEST}-shm", MANIFEST, SUMS):
            (workspace / name).unlink(missing_ok=True)
        if (workspace / PCM).exists():
            shutil.rmtree(workspace / PCM)
    except OSError as exc:
        raise StoreError(
            f"workspace {workspace}: cannot clear it for --fresh ({exc}); check permissions"
        ) from exc
