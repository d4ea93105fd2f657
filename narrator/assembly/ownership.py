"""Whose files are in an output folder, and which temp files in it are provably stale.

    <output.dir>/.narrator-outputs.json
        {"files": {name: [size, mtime_ns]},        what narrator put in place, as it left it
         "sets":  {fingerprint: [name, ...]}}      complete assemblies, by their inputs

A run replaces a file only when this record says narrator wrote it and it is unchanged since
(same size and mtime); any other file of the same name is the user's, and the run stops naming
it unless `--force` is given. The record lives in the folder, not in a job's workspace: two
jobs (two workspaces) may share one output folder, and a `--fresh` run or a deleted workspace
must still know narrator's own files. Every rename into place and its record update happen
under an flock on the folder, so concurrent runs take turns there and the later rename wins.

Temp files are named `.<final name>.<pid>@<host>.<random>.part`. One is stale, and may be
removed by any run, when it is older than STALE_HOURS, or when it was made on this host and
its pid is not a running process (or is this process, which no longer has it open). A run
never removes another live run's temp file. Known limit: runs in different pid namespaces
(containers) sharing one folder look dead to each other; their temps then wait for the age rule.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import re
import secrets
import socket
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from narrator import __version__
from narrator.errors import AssemblyError, OutputError

RECORD = ".narrator-outputs.json"
STALE_HOURS = 24
MAX_SETS = 32  # complete assemblies remembered per folder (several jobs may share one)
_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)@(?P<host>[0-9a-f]{6})\.[0-9a-f]{8}\.part$")
_LIVE: set[Path] = set()  # temp files this process has open


def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]


def temp_name(final: Path) -> Path:
    """A fresh temp path beside `final`, unique per process and call; registered as live."""
    temp = final.parent / f".{final.name}.{os.getpid()}@{_host()}.{secrets.token_hex(4)}.part"
    _LIVE.add(temp)
    return temp


def forget(temp: Path) -> None:
    """`temp` is no longer open here (renamed or deleted)."""
    _LIVE.discard(temp)


def is_stale(path: Path, now: float | None = None) -> bool:
    """True when no live run can own the temp file `path` (see the module docstring)."""
    try:
        age = (now or time.time()) - path.stat().st_mtime
    except OSError:
        return False
    if age > STALE_HOURS * 3600:
        return True
    found = _TEMP.match(path.name)
    if found is None or found["host"] != _host():
        return False  # an older naming or another host: only the age tells
    pid = int(found["pid"])
    if pid == os.getpid():
        return path not in _LIVE
    return not _pid_alive(pid)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def remove_stale_temps(directory: Path, name: str | None = None) -> int:
    """Delete the stale `.part` files in `directory` (of one final `name`, or all); how many."""
    pattern = f".{_glob_escape(name)}.*.part" if name else ".*.part"
    removed = 0
    with contextlib.suppress(OSError):  # a folder that is not there has nothing stale
        for path in directory.glob(pattern):
            if is_stale(path):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed += 1
    return removed


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)


# -- the record ------------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[dict[str, Any]]:
    """The folder's record under an exclusive flock on the folder; saved if changed."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise AssemblyError(f"output dir {directory}: cannot open ({exc.strerror})") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        record = _load(directory)
        before = json.dumps(record, sort_keys=True)
        yield record
        if json.dumps(record, sort_keys=True) != before:
            _save(directory, record)
    finally:
        os.close(fd)  # releases the flock


def _load(directory: Path) -> dict[str, Any]:
    """The record; an unreadable one counts as empty (its files then look foreign: safe)."""
    try:
        data = json.loads((directory / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    files = data.get("files")
    sets = data.get("sets")
    return {
        "files": files if isinstance(files, dict) else {},
        "sets": sets if isinstance(sets, dict) else {},
    }


def _save(directory: Path, record: dict[str, Any]) -> None:
    temp = directory / f"{RECORD}.{os.getpid()}.tmp"
    try:
        temp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        os.replace(temp, directory / RECORD)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise AssemblyError(
            f"output dir {directory}: cannot update {RECORD} ({exc.strerror}); "
            "check its free space and permissions"
        ) from exc


def _ours(record: dict[str, Any], path: Path) -> bool:
    """True when `path` is absent, or is what narrator left there (same size and mtime)."""
    try:
        found = path.stat()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return record["files"].get(path.name) == [found.st_size, found.st_mtime_ns]


def _foreign(path: Path) -> OutputError:
    return OutputError(
        f"{path}: exists and was not written by narrator; move it away, "
        "or run with --force to replace it"
    )


def check_replaceable(directory: Path, paths: Iterable[Path], force: bool) -> None:
    """Raise OutputError naming the first of `paths` that holds a file narrator did not write."""
    if force:
        return
    with _locked(directory) as record:
        for path in paths:
            if not _ours(record, path):
                raise _foreign(path)


def put_in_place(temp: Path, final: Path, force: bool) -> Path:
    """Rename `temp` to `final` (refusing to replace a foreign file) and record it as ours."""
    with _locked(final.parent) as record:
        if not force and not _ours(record, final):
            raise _foreign(final)
        try:
            os.replace(temp, final)
            found = final.stat()
        except OSError as exc:
            raise AssemblyError(f"{final}: cannot rename into place ({exc.strerror})") from exc
        forget(temp)
        record["files"][final.name] = [found.st_size, found.st_mtime_ns]
    return final


def mark_complete(directory: Path, fingerprint: str, files: Iterable[Path]) -> None:
    """Remember that `files` are one complete assembly of the inputs named by `fingerprint`."""
    with _locked(directory) as record:
        sets = record["sets"]
        sets.pop(fingerprint, None)
        sets[fingerprint] = [Path(f).name for f in files]
        for old in list(sets)[:-MAX_SETS]:
            del sets[old]


def up_to_date(directory: Path, fingerprint: str) -> list[Path] | None:
    """The files of a complete assembly of `fingerprint`, if every one is still as written."""
    if not (directory / RECORD).is_file():
        return None
    with _locked(directory) as record:
        names = record["sets"].get(fingerprint)
        if not isinstance(names, list) or not names:
            return None
        paths = [directory / str(name) for name in names]
        if all(path.is_file() and _ours(record, path) for path in paths):
            return paths
    return None


def fingerprint(
    book: Any, chapters: Iterable[tuple[str, str, list[tuple[str, str, str]]]], *settings: Any
) -> str:
    """A hash of everything an assembly's output depends on.

    Args:
        book: the BookInfo (its cover is hashed by content).
        chapters: (title, voice label, [(audio sha256, text, boundary), ...]) per chapter.
        settings: further values (pauses, output options) as dataclasses; `force` is left out.
    """
    digest = hashlib.sha256()
    cover = getattr(book, "cover", None)
    parts: list[Any] = [__version__, _plain(book), _file_digest(cover) if cover else None]
    parts += [_plain(value) for value in settings]
    digest.update(json.dumps(parts, sort_keys=True, default=str).encode())
    for title, voice, pieces in chapters:
        digest.update(json.dumps([title, voice, pieces], default=str).encode())
    return digest.hexdigest()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.asdict(value)
        fields.pop("force", None)  # how to treat foreign files does not change the audio
        return fields
    return value


def _file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None
