"""The job store: a resumable workspace holding a SQLite manifest and one PCM file per segment.

    workspace/lock                        flock'd by the one narrator run using the workspace
    workspace/manifest.sqlite3            the manifest (WAL): plan, segments, split parts
    workspace/pcm/<key[:2]>/<key>.pcm     24 kHz mono s16le audio of one segment

A segment is keyed by a hash of (text, voice, params), so re-running a job after an edit only
synthesizes the segments whose text changed, and identical text spoken by the same voice in two
places is synthesized once. The plan (chapter, order) -> key is replaced by each run; segment
rows outlive it (an undone edit reuses them). The store, not memory, is the source of truth.

Segment state machine — this docstring and `TRANSITIONS` are the only place it is written down;
every state change goes through `_move`, which raises StoreError on any other transition:

    pending  --mark_in_flight-->  in_flight  --put_audio-->    done
    failed   --mark_in_flight-->  in_flight  --mark_failed-->  failed    (retried on a later run)
                                  in_flight  --split-->        split     (audio was truncated)
                                  in_flight  --open-->         pending   (stale row of a killed run)
    done     --verify_done-->     pending                       (file missing, short or corrupt)

A `split` segment has no audio of its own: its audio is the concatenation of its parts' audio,
in order. Parts are segments too (they may be done already, or be split again).

Crash safety: audio is written to a temp file in the same directory, fsync'd, renamed and the
directory fsync'd, and only then is the row marked done. So a done row always has a complete
file; a crash in between leaves a complete file without a done row, which `open` adopts (its
key is in flight or pending) or removes. Temp files are removed on open.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from narrator.boundary import Boundary
from narrator.errors import StoreError

PENDING, IN_FLIGHT, DONE, FAILED, SPLIT = "pending", "in_flight", "done", "failed", "split"

# Everything that decides which state changes are legal lives in this table.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    PENDING: frozenset({IN_FLIGHT}),
    IN_FLIGHT: frozenset({DONE, FAILED, SPLIT, PENDING}),
    FAILED: frozenset({IN_FLIGHT}),
    DONE: frozenset({PENDING}),
    SPLIT: frozenset(),
}

SCHEMA_VERSION = 1
MANIFEST = "manifest.sqlite3"
LOCK = "lock"
TEMP_SUFFIX = ".tmp"
SAMPLE_RATE = 24_000
SAMPLE_BYTES = 2  # mono s16le
MAX_SPLIT_NESTING = 64  # deeper means a cycle in a damaged manifest

_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE segments (
    key TEXT PRIMARY KEY, text TEXT NOT NULL, voice TEXT, params TEXT, seconds REAL NOT NULL,
    state TEXT NOT NULL, size INTEGER, sha256 TEXT, usage INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0, outcome TEXT, error TEXT, updated REAL NOT NULL
);
CREATE TABLE chapters (chapter INTEGER PRIMARY KEY, title TEXT NOT NULL);
CREATE TABLE plan (
    chapter INTEGER NOT NULL, ord INTEGER NOT NULL, key TEXT NOT NULL REFERENCES segments(key),
    boundary TEXT NOT NULL, PRIMARY KEY (chapter, ord)
);
CREATE INDEX plan_key ON plan (key);
-- boundary NULL: the last part, which ends where its parent ends (inherits the boundary).
CREATE TABLE parts (
    parent TEXT NOT NULL, idx INTEGER NOT NULL, key TEXT NOT NULL, boundary TEXT,
    PRIMARY KEY (parent, idx)
);
CREATE INDEX parts_key ON parts (key);
"""


def segment_key(text: str, voice: str, params: Mapping[str, Any]) -> str:
    """The content hash that names a segment: same text, voice and params -> same audio."""
    blob = json.dumps([text, voice, params], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PlannedSegment:
    key: str
    chapter: int
    order: int
    text: str
    boundary: str  # a narrator.boundary.Boundary value
    seconds: float  # predicted


@dataclass(frozen=True)
class PlanDiff:
    total: int  # distinct segment keys in the plan
    reused_done: int  # of those, how many already have their audio
    pending: int  # segments still to synthesize (len(Store.pending()))


@dataclass(frozen=True)
class ChapterStatus:
    title: str
    total: int
    done: int
    failed: int
    seconds: float  # audio stored so far
    usage: int


@dataclass(frozen=True)
class StoreStatus:
    chapters: tuple[ChapterStatus, ...]
    errors: tuple[str, ...]  # most recent first, only for segments still failed

    @property
    def total(self) -> int:
        return sum(c.total for c in self.chapters)

    @property
    def done(self) -> int:
        return sum(c.done for c in self.chapters)

    @property
    def failed(self) -> int:
        return sum(c.failed for c in self.chapters)

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.chapters)

    @property
    def usage(self) -> int:
        return sum(c.usage for c in self.chapters)

    def render(self) -> str:
        """An aligned text table: one line per chapter, a total line, then recent errors."""
        rows = [("#", "chapter", "segments", "done", "failed", "audio", "usage")]
        for number, c in enumerate(self.chapters, 1):
            rows.append(_status_cells(str(number), c.title, c))
        total = ChapterStatus("total", self.total, self.done, self.failed, self.seconds, self.usage)
        rows.append(_status_cells("", "total", total))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [
            "  ".join(cell.ljust(w) if i == 1 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
            for row in rows
        ]
        if self.errors:
            lines.append("recent errors:")
            lines.extend(f"  {error}" for error in self.errors)
        return "\n".join(line.rstrip() for line in lines)


def _status_cells(number: str, title: str, c: ChapterStatus) -> tuple[str, ...]:
    audio = f"{c.seconds / 60:.1f} min"
    return (number, title, str(c.total), str(c.done), str(c.failed), audio, str(c.usage))


class _Row(NamedTuple):
    key: str
    text: str
    voice: str | None
    params: str | None
    seconds: float
    state: str
    size: int | None
    sha256: str | None
    usage: int
    error: str | None
    updated: float


_ROW_COLUMNS = ", ".join(_Row._fields)


class _Position(NamedTuple):
    chapter: int
    order: int
    key: str
    boundary: str


class _View:
    """Rows read on demand (and cached) while the caller holds the store's lock."""

    def __init__(self, conn: sqlite3.Connection, where: str) -> None:
        self._conn = conn
        self._where = where
        self._rows: dict[str, _Row | None] = {}
        self._parts: dict[str, list[tuple[str, str | None]]] = {}

    def row(self, key: str) -> _Row:
        if key not in self._rows:
            found = self._conn.execute(f"SELECT {_ROW_COLUMNS} FROM segments WHERE key = ?", (key,))
            self._rows[key] = _Row(*r) if (r := found.fetchone()) else None
        row = self._rows[key]
        if row is None:
            raise StoreError(f"{self._where}: manifest is damaged (segment {key[:12]} is missing); run with --fresh to start over")
        return row

    def parts(self, key: str) -> list[tuple[str, str | None]]:
        if key not in self._parts:
            found = self._conn.execute("SELECT key, boundary FROM parts WHERE parent = ? ORDER BY idx", (key,))
            self._parts[key] = [(k, b) for k, b in found]
        return self._parts[key]

    def leaves(self, key: str, boundary: str, depth: int = 0) -> Iterator[tuple[_Row, str]]:
        """The segments whose audio makes up `key`, in order, with the boundary after each."""
        row = self.row(key)
        if row.state != SPLIT:
            yield row, boundary
            return
        parts = self.parts(key)
        if depth > MAX_SPLIT_NESTING or not parts:
            raise StoreError(f"{self._where}: manifest is damaged (split segment {key[:12]} has no usable parts); run with --fresh to start over")
        for part, part_boundary in parts:
            yield from self.leaves(part, part_boundary or boundary, depth + 1)


class Store:
    """One job's workspace. Open with `Store.open` (exclusive) or `Store.read_only`."""

    def __init__(self, workspace: Path, conn: sqlite3.Connection, lock_fd: int | None) -> None:
        self.workspace = workspace
        self._conn = conn
        self._lock_fd = lock_fd
        self._mutex = threading.Lock()
        self._closed = False

    # -- opening and closing -------------------------------------------------------------------

    @classmethod
    def open(cls, workspace: Path, *, fresh: bool = False) -> Store:
        """Lock `workspace` (creating it), recover from any crash, and return the store.

        Raises:
            StoreError: another run holds the workspace, or the manifest is damaged/unknown.
        """
        workspace = Path(workspace)
        _make_dirs(workspace)
        lock_fd = _acquire_lock(workspace)
        try:
            if fresh:
                _wipe(workspace)
                _make_dirs(workspace)
            conn = _connect(workspace, read_only=False)
            store = cls(workspace, conn, lock_fd)
        except BaseException:
            _release_lock(lock_fd)
            raise
        try:
            store._recover()
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def read_only(cls, workspace: Path) -> Store:
        """Open the manifest without the lock and without writing (for `narrator status`)."""
        workspace = Path(workspace)
        if not (workspace / MANIFEST).is_file():
            raise StoreError(f"workspace {workspace} has no manifest; run the job first")
        return cls(workspace, _connect(workspace, read_only=True), None)

    def close(self) -> None:
        """Close the manifest and release the workspace lock (idempotent)."""
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            if self._lock_fd is not None:
                _release_lock(self._lock_fd)
                self._lock_fd = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the plan ------------------------------------------------------------------------------

    def set_plan(
        self,
        segments: Sequence[PlannedSegment],
        chapters: Sequence[str],
        voice_of: Mapping[str, tuple[str, Mapping[str, Any]]] | None = None,
    ) -> PlanDiff:
        """Replace the recorded plan; segments whose key is already stored keep state and audio.

        Args:
            voice_of: key -> (voice, params), so split parts get real content keys.
        """
        voice_of = voice_of or {}
        now = time.time()
        with self._write() as conn:
            conn.execute("DELETE FROM plan")
            conn.execute("DELETE FROM chapters")
            conn.executemany("INSERT INTO chapters VALUES (?, ?)", enumerate(chapters))
            conn.executemany(
                "INSERT OR IGNORE INTO segments (key, text, voice, params, seconds, state, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (_new_row(s.key, s.text, voice_of.get(s.key), s.seconds, now) for s in segments),
            )
            conn.executemany(
                "UPDATE segments SET voice = ?, params = ? WHERE key = ? AND voice IS NULL",
                ((v, _params_json(p), k) for k, (v, p) in voice_of.items()),
            )
            self._insert_plan(conn, segments)
        return self._diff()

    def _insert_plan(self, conn: sqlite3.Connection, segments: Sequence[PlannedSegment]) -> None:
        try:
            conn.executemany(
                "INSERT INTO plan VALUES (?, ?, ?, ?)",
                ((s.chapter, s.order, s.key, str(s.boundary)) for s in segments),
            )
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"workspace {self.workspace}: the plan has two segments at one position ({exc})") from exc

    def _diff(self) -> PlanDiff:
        with self._read() as view:
            keys = dict.fromkeys(p.key for p in self._positions(view))
            done = sum(all(r.state == DONE for r, _ in view.leaves(k, "")) for k in keys)
        return PlanDiff(total=len(keys), reused_done=done, pending=len(self.pending()))

    def pending(self) -> list[PlannedSegment]:
        """What is left to synthesize, in plan order, each key once (splits expanded)."""
        result: dict[str, PlannedSegment] = {}
        with self._read() as view:
            for pos in self._positions(view):
                for row, boundary in view.leaves(pos.key, pos.boundary):
                    if row.state in (PENDING, FAILED) and row.key not in result:
                        result[row.key] = PlannedSegment(row.key, pos.chapter, pos.order, row.text, boundary, row.seconds)
        return list(result.values())

    def state(self, key: str) -> str:
        """The state of one segment (see the module docstring)."""
        with self._read() as view:
            return view.row(key).state

    # -- state changes -------------------------------------------------------------------------

    def mark_in_flight(self, key: str) -> None:
        """A request for `key` is about to be sent."""
        with self._write() as conn:
            self._move(conn, key, IN_FLIGHT)

    def put_audio(self, key: str, pcm: bytes, *, usage: int = 0) -> None:
        """Store the audio of an in-flight segment durably, then mark it done."""
        with self._read() as view:
            _check_transition(self.workspace, key, view.row(key).state, DONE)
        path = self.pcm_path(key)
        try:
            _write_atomic(path, pcm)
        except OSError as exc:
            raise StoreError(
                f"workspace {self.workspace}: cannot write {path.name} ({exc.strerror or exc}); "
                "free disk space or choose another workspace"
            ) from exc
        digest = hashlib.sha256(pcm).hexdigest()
        with self._write() as conn:
            self._move(conn, key, DONE, size=len(pcm), sha256=digest, usage=usage, error=None)

    def mark_failed(self, key: str, error: str) -> None:
        """Every attempt for `key` failed; a later run retries it."""
        with self._write() as conn:
            self._move(conn, key, FAILED, error=error)

    def record_request(self, key: str, outcome: str) -> None:
        """Count one request for `key` and remember how it ended ("ok" or an error name)."""
        with self._write() as conn:
            conn.execute("UPDATE segments SET attempts = attempts + 1, outcome = ? WHERE key = ?", (outcome, key))

    def split(self, key: str, parts: Sequence[str]) -> list[PlannedSegment]:
        """Record that the in-flight `key` (whose audio was truncated) is made of `parts`.

        Returns the parts as segments at the parent's position: boundary "sentence" except the
        last, which keeps the parent's. Parts already stored keep their state.
        """
        if not parts:
            raise StoreError(f"workspace {self.workspace}: cannot split segment {key[:12]} into no parts")
        with self._write() as conn:
            view = _View(conn, f"workspace {self.workspace}")
            parent = view.row(key)
            position = self._position_of(view, key)
            keys = [_part_key(parent, i, text) for i, text in enumerate(parts)]
            self._refuse_cycle(view, key, keys)
            self._move(conn, key, SPLIT)
            self._insert_parts(conn, parent, parts, keys)
        weights = [max(1, len(t)) for t in parts]
        return [
            PlannedSegment(
                k, position.chapter, position.order, text,
                position.boundary if i == len(parts) - 1 else Boundary.SENTENCE.value,
                parent.seconds * w / sum(weights),
            )
            for i, (k, text, w) in enumerate(zip(keys, parts, weights))
        ]

    def _insert_parts(self, conn: sqlite3.Connection, parent: _Row, parts: Sequence[str], keys: list[str]) -> None:
        now = time.time()
        weights = [max(1, len(t)) for t in parts]
        voice = (parent.voice, json.loads(parent.params)) if parent.voice is not None else None
        for i, (k, text) in enumerate(zip(keys, parts)):
            seconds = parent.seconds * weights[i] / sum(weights)
            conn.execute(
                "INSERT OR IGNORE INTO segments (key, text, voice, params, seconds, state, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                _new_row(k, text, voice, seconds, now),
            )
            boundary = None if i == len(parts) - 1 else Boundary.SENTENCE.value
            conn.execute("INSERT OR REPLACE INTO parts VALUES (?, ?, ?, ?)", (parent.key, i, k, boundary))

    def _refuse_cycle(self, view: _View, key: str, part_keys: list[str]) -> None:
        ancestors = {key}
        frontier = [key]
        while frontier:
            found = self._conn.execute("SELECT parent FROM parts WHERE key = ?", (frontier.pop(),))
            for (parent,) in found:
                if parent not in ancestors:
                    ancestors.add(parent)
                    frontier.append(parent)
        if ancestors.intersection(part_keys):
            raise StoreError(f"workspace {self.workspace}: a part of segment {key[:12]} repeats the segment itself; split it differently")

    def _position_of(self, view: _View, key: str, depth: int = 0) -> _Position:
        """Where `key` first appears in the plan; a part is where its parent is."""
        found = self._conn.execute("SELECT chapter, ord, key, boundary FROM plan WHERE key = ? ORDER BY chapter, ord LIMIT 1", (key,)).fetchone()
        if found:
            return _Position(*found)
        parent = self._conn.execute("SELECT parent, boundary FROM parts WHERE key = ? LIMIT 1", (key,)).fetchone()
        if parent is None or depth > MAX_SPLIT_NESTING:
            raise StoreError(f"workspace {self.workspace}: segment {key[:12]} is not in the plan; set the plan first")
        outer = self._position_of(view, parent[0], depth + 1)
        return outer._replace(key=key, boundary=parent[1] or outer.boundary)

    def _move(self, conn: sqlite3.Connection, key: str, to: str, **columns: Any) -> None:
        """The one place a segment changes state: checks `TRANSITIONS`, then updates the row."""
        found = conn.execute("SELECT state FROM segments WHERE key = ?", (key,)).fetchone()
        if found is None:
            raise StoreError(f"workspace {self.workspace}: unknown segment {key[:12]}; set the plan first")
        _check_transition(self.workspace, key, found[0], to)
        columns.update(state=to, updated=time.time())
        assignments = ", ".join(f"{name} = ?" for name in columns)
        conn.execute(f"UPDATE segments SET {assignments} WHERE key = ?", (*columns.values(), key))

    # -- reading audio back --------------------------------------------------------------------

    def pcm_path(self, key: str) -> Path:
        """Where the audio of `key` lives (whether or not it exists yet)."""
        return self.workspace / "pcm" / key[:2] / f"{key}.pcm"

    def pieces(self, chapter: int) -> Iterator[tuple[Path, str, str]]:
        """(pcm path, text, boundary) of `chapter` in plan order, splits expanded.

        Raises:
            StoreError: naming the first segment that is not done (before yielding anything).
        """
        found: list[tuple[Path, str, str]] = []
        with self._read() as view:
            for pos in self._positions(view, chapter):
                for row, boundary in view.leaves(pos.key, pos.boundary):
                    if row.state != DONE:
                        raise StoreError(
                            f"workspace {self.workspace}: segment {pos.chapter + 1}.{pos.order + 1} "
                            f"is not synthesized ({row.state}); run the job again to finish it"
                        )
                    found.append((self.pcm_path(row.key), row.text, boundary))
        yield from found

    def status(self) -> StoreStatus:
        """Progress per chapter: segments done/failed, audio stored, usage, recent errors."""
        with self._read() as view:
            titles = dict(self._conn.execute("SELECT chapter, title FROM chapters"))
            by_chapter: dict[int, list[list[_Row]]] = {c: [] for c in titles}
            failed: dict[str, tuple[float, str]] = {}
            for pos in self._positions(view):
                leaves = [row for row, _ in view.leaves(pos.key, pos.boundary)]
                by_chapter.setdefault(pos.chapter, []).append(leaves)
                for row in leaves:
                    if row.state == FAILED and row.key not in failed:
                        where = f"segment {pos.chapter + 1}.{pos.order + 1}"
                        failed[row.key] = (row.updated, f"{where}: {row.error}")
        chapters = tuple(
            _chapter_status(titles.get(c, f"Chapter {c + 1}"), positions)
            for c, positions in sorted(by_chapter.items())
        )
        errors = tuple(message for _, message in sorted(failed.values(), reverse=True)[:5])
        return StoreStatus(chapters, errors)

    # -- integrity -----------------------------------------------------------------------------

    def check_integrity(self) -> list[str]:
        """Every problem found (empty = fine): manifest, missing/short/corrupt files, strays."""
        problems: list[str] = []
        with self._read():
            quick = [r[0] for r in self._conn.execute("PRAGMA quick_check")]
            done = self._conn.execute("SELECT key, size, sha256 FROM segments WHERE state = ?", (DONE,)).fetchall()
            dangling = self._conn.execute(
                "SELECT chapter, ord FROM plan WHERE key NOT IN (SELECT key FROM segments)"
                " UNION ALL SELECT -1, idx FROM parts WHERE key NOT IN (SELECT key FROM segments)"
            ).fetchall()
        if quick != ["ok"]:
            problems.append(f"manifest: {'; '.join(quick[:3])}")
        problems.extend(f"manifest: a plan or part entry ({c}, {o}) names no segment" for c, o in dangling)
        for key, size, digest in done:
            problem = _file_problem(self.pcm_path(key), size, digest)
            if problem:
                problems.append(f"segment {key[:12]} (done): {problem}")
        done_keys = {key for key, _, _ in done}
        for path in self._stored_files():
            if path.name.endswith(TEMP_SUFFIX):
                problems.append(f"temp file left behind: {path}")
            elif path.stem not in done_keys:
                problems.append(f"orphan file (no done segment): {path}")
        return problems

    def verify_done(self) -> int:
        """Check every done file (size + sha256); send bad ones back to pending.

        Returns:
            How many segments went back to pending.
        """
        with self._read():
            done = self._conn.execute("SELECT key, size, sha256 FROM segments WHERE state = ?", (DONE,)).fetchall()
        bad = [key for key, size, digest in done if _file_problem(self.pcm_path(key), size, digest)]
        for key in bad:
            with contextlib.suppress(FileNotFoundError):
                self.pcm_path(key).unlink()
        with self._write() as conn:
            for key in bad:
                self._move(conn, key, PENDING, size=None, sha256=None)
        return len(bad)

    def _recover(self) -> None:
        """After a crash: drop temp files, adopt or drop stray audio, un-stick in-flight rows."""
        for path in self._stored_files():
            if path.name.endswith(TEMP_SUFFIX):
                path.unlink(missing_ok=True)
                continue
            with self._read() as view:
                found = self._conn.execute("SELECT state FROM segments WHERE key = ?", (path.stem,)).fetchone()
            state = found[0] if found else None
            if state in (IN_FLIGHT, PENDING):
                self._adopt(path, state)
            elif state != DONE:
                path.unlink(missing_ok=True)
        with self._write() as conn:
            for (key,) in conn.execute("SELECT key FROM segments WHERE state = ?", (IN_FLIGHT,)).fetchall():
                self._move(conn, key, PENDING)

    def _adopt(self, path: Path, state: str) -> None:
        # The file got its final name only after it was complete and fsync'd: it is whole.
        data = path.read_bytes()
        with self._write() as conn:
            if state == PENDING:
                self._move(conn, path.stem, IN_FLIGHT)
            self._move(conn, path.stem, DONE, size=len(data), sha256=hashlib.sha256(data).hexdigest())

    def _stored_files(self) -> list[Path]:
        root = self.workspace / "pcm"
        if not root.is_dir():
            return []
        return sorted(p for d in root.iterdir() if d.is_dir() for p in d.iterdir() if p.is_file())

    # -- access to the manifest ----------------------------------------------------------------

    def _positions(self, view: _View, chapter: int | None = None) -> list[_Position]:
        query = "SELECT chapter, ord, key, boundary FROM plan"
        args: tuple[int, ...] = ()
        if chapter is not None:
            query, args = query + " WHERE chapter = ?", (chapter,)
        return [_Position(*r) for r in self._conn.execute(query + " ORDER BY chapter, ord", args)]

    @contextlib.contextmanager
    def _read(self) -> Iterator[_View]:
        with self._mutex, _sqlite_errors(self.workspace):
            if self._closed:
                raise StoreError(f"workspace {self.workspace}: the store is closed")
            yield _View(self._conn, f"workspace {self.workspace}")

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction under the lock: committed on success, rolled back on any error."""
        if self._lock_fd is None:
            raise StoreError(f"workspace {self.workspace} was opened read-only")
        with self._read():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.rollback()
                raise
            self._conn.execute("COMMIT")


def _chapter_status(title: str, positions: list[list[_Row]]) -> ChapterStatus:
    done_rows = [row for leaves in positions for row in leaves if row.state == DONE]
    return ChapterStatus(
        title=title,
        total=len(positions),
        done=sum(all(r.state == DONE for r in leaves) for leaves in positions),
        failed=sum(any(r.state == FAILED for r in leaves) for leaves in positions),
        seconds=sum((r.size or 0) // SAMPLE_BYTES for r in done_rows) / SAMPLE_RATE,
        usage=sum(r.usage for leaves in positions for r in leaves),
    )


def _check_transition(workspace: Path, key: str, state: str, to: str) -> None:
    if to not in TRANSITIONS.get(state, frozenset()):
        raise StoreError(f"workspace {workspace}: segment {key[:12]} cannot go from {state} to {to}")


def _new_row(key: str, text: str, voice: tuple[str, Mapping[str, Any]] | None, seconds: float, now: float) -> tuple[Any, ...]:
    name, params = voice if voice is not None else (None, None)
    return (key, text, name, _params_json(params) if voice is not None else None, seconds, PENDING, now)


def _params_json(params: Mapping[str, Any] | None) -> str:
    return json.dumps(params or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _part_key(parent: _Row, index: int, text: str) -> str:
    if parent.voice is not None:
        return segment_key(text, parent.voice, json.loads(parent.params or "{}"))
    return hashlib.sha256(f"{parent.key}:{index}:{text}".encode()).hexdigest()


def _file_problem(path: Path, size: int | None, digest: str | None) -> str | None:
    """Why the file at `path` is not the recorded audio, or None when it is."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return f"file missing ({path})"
    except OSError as exc:
        return f"file unreadable ({path}: {exc.strerror})"
    if len(data) != size:
        return f"file has {len(data)} bytes, expected {size} ({path})"
    if hashlib.sha256(data).hexdigest() != digest:
        return f"file is corrupt (sha256 mismatch) ({path})"
    return None


def _write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that `path` is either absent or complete, even after a crash."""
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        _fsync_dir(path.parent.parent)
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
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_dirs(workspace: Path) -> None:
    try:
        (workspace / "pcm").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"workspace {workspace}: cannot create it ({exc.strerror or exc}); choose a writable workspace") from exc


def _acquire_lock(workspace: Path) -> int:
    """Take the exclusive lock on workspace/lock and write our pid into it."""
    fd = os.open(workspace / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise StoreError(
            f"workspace {workspace} is in use by another narrator run (pid {holder}); wait for it or stop it"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _release_lock(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def _wipe(workspace: Path) -> None:
    """Delete the manifest and all audio (we hold the lock)."""
    for name in (MANIFEST, f"{MANIFEST}-wal", f"{MANIFEST}-shm"):
        (workspace / name).unlink(missing_ok=True)
    root = workspace / "pcm"
    if root.is_dir():
        for directory in root.iterdir():
            for path in directory.iterdir() if directory.is_dir() else ():
                path.unlink()
            directory.rmdir() if directory.is_dir() else directory.unlink()


def _connect(workspace: Path, *, read_only: bool) -> sqlite3.Connection:
    """Open the manifest (creating the schema when new) and check its schema version."""
    path = workspace / MANIFEST
    with _sqlite_errors(workspace):
        if read_only:
            uri = f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
        else:
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL: in WAL mode a commit survives a killed process (only an OS crash may lose
            # the last commits). Losing one is safe because the audio file is made durable
            # first: a file without its done row is adopted on the next open.
            conn.execute("PRAGMA synchronous=NORMAL")
        try:
            _check_schema(conn, workspace, create=not read_only)
        except BaseException:
            conn.close()
            raise
    return conn


def _check_schema(conn: sqlite3.Connection, workspace: Path, *, create: bool) -> None:
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables and create:
        conn.executescript(f"BEGIN; {_SCHEMA} INSERT INTO meta VALUES ('schema_version', '{SCHEMA_VERSION}'); COMMIT;")
        return
    found = conn.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone() if "meta" in tables else None
    if found is None or found[0] != str(SCHEMA_VERSION):
        version = found[0] if found else "none"
        raise StoreError(
            f"workspace {workspace}: manifest schema version {version} is not {SCHEMA_VERSION} "
            "(written by another narrator version); run with --fresh"
        )


@contextlib.contextmanager
def _sqlite_errors(workspace: Path) -> Iterator[None]:
    """Translate sqlite3 errors at the boundary into StoreError naming the workspace."""
    try:
        yield
    except sqlite3.Error as exc:
        detail = str(exc) or type(exc).__name__
        if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in detail or "malformed" in detail):
            raise StoreError(f"workspace {workspace}: manifest is damaged ({detail}); run with --fresh to start over") from exc
        raise StoreError(f"workspace {workspace}: manifest error ({detail}); check the disk, or run with --fresh to start over") from exc
