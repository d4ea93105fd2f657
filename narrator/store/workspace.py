"""The job store: a resumable workspace holding a SQLite manifest and one PCM file per segment.

    workspace/lock                        flock'd by the one narrator run using the workspace
    workspace/manifest.sqlite3            the manifest (WAL): plan, segments, split parts
    workspace/pcm/<key[:2]>/<key>.pcm     24 kHz mono s16le audio of one segment
    workspace/checksums                   size and sha256 of each stored file (`adopt`)

A segment is keyed by a hash of (text, voice, params), so re-running a job after an edit only
synthesizes the segments whose text changed, and identical text spoken by the same voice in two
places is synthesized once. The plan (chapter, order) -> key is replaced by each run; segment
rows outlive it (an undone edit reuses them). The store, not memory, is the source of truth.
The segment state machine is written down in `narrator.store.machine`.

Crash safety: audio is written to a temp file in the same directory, fsync'd, renamed and the
directory fsync'd, and only then is the row marked done. So a done row always has a complete
file; a crash in between leaves a complete file without a done row, which `open` adopts (its
key is in flight or pending) or removes. Temp files are removed on open. A manifest that is
gone (deleted, or never committed) loses no audio: files of planned segments that pass their
checks are adopted by `set_plan` (see `narrator.store.adopt`).

Threads: one sqlite connection shared by threads, every use under one lock; each write is one
transaction. Every method blocks (a commit may checkpoint the WAL and fsync under that lock), so
async callers run them in a thread, never on the event loop (see `narrator.scheduler`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from narrator.errors import StoreError
from narrator.plan import PlannedSegment, part_key
from narrator.store import adopt, files
from narrator.store.machine import (
    DONE,
    FAILED,
    IN_FLIGHT,
    PENDING,
    SPLIT,
    TO_SYNTHESIZE,
    check_transition,
)
from narrator.store.manifest import (
    Position,
    Row,
    View,
    connect,
    new_row,
    params_json,
    sqlite_errors,
)
from narrator.store.status import StoreStatus, chapter_status
from narrator.store.takes import TakesMixin
from narrator.text.boundary import Boundary
from narrator.wire.client import secret_names
from narrator.wire.protocol import SAMPLE_WIDTH


@dataclass(frozen=True)
class StoredSegment:
    key: str
    text: str
    state: str  # see narrator.store.machine
    path: Path | None  # the audio file, only when done
    samples: int  # 24 kHz mono s16 samples stored (0 unless done)
    usage: int  # what the service billed for the stored audio
    attempts: int  # requests sent for this segment (record_request), over all runs


@dataclass(frozen=True)
class PlanDiff:
    total: int  # distinct segment keys in the plan
    reused_done: int  # of those, how many already have their audio
    pending: int  # segments still to synthesize (len(Store.pending()))
    new: int  # keys this plan added to the manifest (never seen by an earlier run)
    adopted: int = 0  # audio files found without a manifest and adopted (see `adopt`)


class Store(TakesMixin):
    """One job's workspace. Open with `Store.open` (exclusive) or `Store.read_only`."""

    def __init__(self, workspace: Path, conn: sqlite3.Connection, lock_fd: int | None) -> None:
        self.workspace = workspace
        self._conn = conn
        self._lock_fd = lock_fd
        self._mutex = threading.Lock()
        self._closed = False
        # Set by `_recover` when the manifest has no segments (deleted or never committed): audio
        # files it finds are kept until `set_plan` can adopt the ones the plan names.
        self._keep_strays = False

    # -- opening and closing -------------------------------------------------------------------

    @classmethod
    def open(cls, workspace: Path, *, fresh: bool = False) -> Store:
        """Lock `workspace` (creating it), recover from any crash, and return the store.

        Raises:
            StoreError: another run holds the workspace, or the manifest is damaged/unknown.
        """
        workspace = Path(workspace)
        files.make_dirs(workspace)
        lock_fd = files.acquire_lock(workspace)
        try:
            if fresh:
                files.wipe(workspace)
                files.make_dirs(workspace)
            conn = connect(workspace, read_only=False)
            store = cls(workspace, conn, lock_fd)
        except BaseException:
            files.release_lock(lock_fd)
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
        if not (workspace / files.MANIFEST).is_file():
            raise StoreError(f"workspace {workspace} has no manifest; run the job first")
        return cls(workspace, connect(workspace, read_only=True), None)

    def close(self) -> None:
        """Close the manifest and release the workspace lock (idempotent)."""
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            if self._lock_fd is not None:
                files.release_lock(self._lock_fd)
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
            voice_of: key -> (voice, params); split parts then get real content keys
                (`segment_key(part_text, voice, params)`), so a part is reused wherever the
                same text is spoken. Without it, parts are keyed by parent key + index + text.
        """
        voice_of = voice_of or {}
        self._refuse_secrets(voice_of)
        now = time.time()
        with self._write() as conn:
            before = self._count_segments(conn)
            conn.execute("DELETE FROM plan")
            conn.execute("DELETE FROM chapters")
            conn.executemany("INSERT INTO chapters VALUES (?, ?)", enumerate(chapters))
            conn.executemany(
                "INSERT OR IGNORE INTO segments (key, text, voice, params, seconds, state, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (new_row(s.key, s.text, voice_of.get(s.key), s.seconds, now) for s in segments),
            )
            conn.executemany(
                "UPDATE segments SET voice = ?, params = ? WHERE key = ? AND voice IS NULL",
                ((v, params_json(p), k) for k, (v, p) in voice_of.items()),
            )
            self._insert_plan(conn, segments)
            new = self._count_segments(conn) - before
        adopted = self._adopt_strays() if self._keep_strays else 0
        return self._diff(new, adopted)

    def _refuse_secrets(self, voice_of: Mapping[str, tuple[str, Mapping[str, Any]]]) -> None:
        for voice, params in voice_of.values():
            if found := secret_names(params):
                raise StoreError(
                    f"workspace {self.workspace}: the params of voice {voice!r} include "
                    f"{found[0]!r}, which the store will not keep; pass the API key through "
                    "the environment, not the voice params"
                )

    @staticmethod
    def _count_segments(conn: sqlite3.Connection) -> int:
        return int(conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0])

    def _insert_plan(self, conn: sqlite3.Connection, segments: Sequence[PlannedSegment]) -> None:
        try:
            conn.executemany(
                "INSERT INTO plan VALUES (?, ?, ?, ?)",
                ((s.chapter, s.order, s.key, str(s.boundary)) for s in segments),
            )
        except sqlite3.IntegrityError as exc:
            raise StoreError(
                f"workspace {self.workspace}: the plan has two segments at one position ({exc})"
            ) from exc

    def _diff(self, new: int, adopted: int = 0) -> PlanDiff:
        with self._read() as view:
            keys = dict.fromkeys(p.key for p in view.positions())
            done = sum(all(r.state == DONE for r, _ in view.leaves(k, "")) for k in keys)
        pending = len(self.pending())
        return PlanDiff(len(keys), done, pending, new, adopted)

    def _adopt_strays(self) -> int:
        """Adopt the kept audio files of planned pending segments that pass `adopt`'s checks."""
        self._keep_strays = False
        sums = adopt.load_sums(self.workspace)
        adopted = 0
        with files.os_errors(self.workspace, "adopt audio found without a manifest"):
            for segment in self.pending():
                path = self.pcm_path(segment.key)
                if not path.is_file():
                    continue
                if adopt.adopt_problem(path, sums.get(segment.key)) is None:
                    self._adopt(path, PENDING)
                    adopted += 1
                else:
                    path.unlink(missing_ok=True)
        return adopted

    def pending(self) -> list[PlannedSegment]:
        """What is left to synthesize, in plan order, each key once (splits expanded)."""
        result: dict[str, PlannedSegment] = {}
        with self._read() as view:
            for pos in view.positions():
                for row, boundary in view.leaves(pos.key, pos.boundary):
                    if row.state in TO_SYNTHESIZE and row.key not in result:
                        result[row.key] = PlannedSegment(
                            row.key, pos.chapter, pos.order, row.text, boundary, row.seconds
                        )
        return list(result.values())

    def count_stored(self, segments: Sequence[PlannedSegment]) -> int:
        """How many distinct keys of `segments` have all their audio (a split one: every part)."""
        with self._read() as view:
            return sum(
                all(row.state == DONE for row, _ in view.leaves(key, "sentence"))
                for key in dict.fromkeys(segment.key for segment in segments)
            )

    def state(self, key: str) -> str:
        """The state of one segment (see `narrator.store.machine`)."""
        with self._read() as view:
            return view.row(key).state

    def segment(self, key: str) -> StoredSegment:
        """What the manifest holds for one segment.

        Raises:
            StoreError: no segment has this key.
        """
        with self._read() as view:
            row = view.row(key)
        done = row.state == DONE
        return StoredSegment(
            key=row.key,
            text=row.text,
            state=row.state,
            path=self.pcm_path(key) if done else None,
            samples=(row.size or 0) // SAMPLE_WIDTH if done else 0,
            usage=row.usage,
            attempts=row.attempts,
        )

    # -- state changes -------------------------------------------------------------------------

    def mark_in_flight(self, key: str) -> None:
        """A request for `key` is about to be sent."""
        with self._write() as conn:
            self._move(conn, key, IN_FLIGHT)

    def claim(self, key: str) -> bool:
        """Mark `key` in flight if it is pending or failed; False if it is not (taken or done).

        Check and move are one transaction, so two workers that meet the same key (a split part
        whose text is also planned elsewhere) never both send it.
        """
        return bool(self.claim_many([key]))

    def claim_many(self, keys: Sequence[str]) -> dict[str, str]:
        """`claim` each of `keys` in one transaction; returns those claimed, each with the state
        it had (pending or failed), for `release`."""
        claimed: dict[str, str] = {}
        with self._write() as conn:
            for key in keys:
                found = conn.execute("SELECT state FROM segments WHERE key = ?", (key,)).fetchone()
                if found is not None and found[0] not in TO_SYNTHESIZE:
                    continue
                self._move(conn, key, IN_FLIGHT)  # raises StoreError for an unknown key
                claimed[key] = found[0]
        return claimed

    def release(self, claimed: Mapping[str, str]) -> None:
        """Give back claimed segments that were never sent: each still in flight returns to the
        state `claim_many` found it in (a failed one keeps its error)."""
        with self._write() as conn:
            view = View(conn, f"workspace {self.workspace}")
            for key, before in claimed.items():
                if view.state_or_none(key) == IN_FLIGHT:
                    self._move(conn, key, before)

    def put_audio(self, key: str, pcm: bytes, *, usage: int = 0) -> None:
        """Store the audio of an in-flight segment durably, then mark it done."""
        with self._read() as view:
            check_transition(self.workspace, key, view.row(key).state, DONE)
        path = self.pcm_path(key)
        digest = hashlib.sha256(pcm).hexdigest()
        try:
            files.write_atomic(path, pcm)
            adopt.record_sum(self.workspace, key, len(pcm), digest)
        except OSError as exc:
            raise StoreError(
                f"workspace {self.workspace}: cannot write {path.name} ({exc.strerror or exc}); "
                "free disk space or choose another workspace"
            ) from exc
        # Only now, with the file durable, may the row say done. A crash before this commit
        # leaves a complete file beside an in-flight row: the next open adopts it.
        with self._write() as conn:
            self._move(conn, key, DONE, size=len(pcm), sha256=digest, usage=usage, error=None)

    def mark_failed(self, key: str, error: str) -> None:
        """Every attempt for `key` failed; a later run retries it."""
        with self._write() as conn:
            self._move(conn, key, FAILED, error=error)

    def record_request(self, key: str, outcome: str) -> None:
        """Count one request for `key` and remember how it ended ("ok" or an error name)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE segments SET attempts = attempts + 1, outcome = ? WHERE key = ?",
                (outcome, key),
            )

    def split(self, key: str, parts: Sequence[str]) -> list[PlannedSegment]:
        """Record that `key` (in flight or done; its audio was truncated) is made of `parts`.

        Returns the parts as segments at the parent's position: boundary "sentence" except the
        last, which keeps the parent's. Parts already stored keep their state. A done parent's
        file is deleted after the commit (a crash before that leaves a stray removed on open).
        """
        if not parts:
            raise StoreError(
                f"workspace {self.workspace}: cannot split segment {key[:12]} into no parts"
            )
        with self._write() as conn:
            view = View(conn, f"workspace {self.workspace}")
            parent = view.row(key)
            position = view.position_of(key)
            keys = [
                part_key(parent.key, parent.voice, parent.params, i, text)
                for i, text in enumerate(parts)
            ]
            if view.ancestors(key).intersection(keys):
                raise StoreError(
                    f"workspace {self.workspace}: a part of segment {key[:12]} repeats the segment "
                    "itself; split it differently"
                )
            self._move(conn, key, SPLIT)
            boundaries = _part_boundaries(position, len(parts))
            shares = _shares(parent.seconds, parts)
            planned = [
                PlannedSegment(k, position.chapter, position.order, text, boundary, seconds)
                for k, text, boundary, seconds in zip(keys, parts, boundaries, shares, strict=True)
            ]
            self._insert_parts(conn, parent, planned)
        if parent.state == DONE:
            self.pcm_path(key).unlink(missing_ok=True)
        return planned

    @staticmethod
    def _insert_parts(conn: sqlite3.Connection, parent: Row, parts: list[PlannedSegment]) -> None:
        now = time.time()
        voice = None
        if parent.voice is not None:
            voice = (parent.voice, json.loads(parent.params or "{}"))
        for index, part in enumerate(parts):
            conn.execute(
                "INSERT OR IGNORE INTO segments (key, text, voice, params, seconds, state, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                new_row(part.key, part.text, voice, part.seconds, now),
            )
            # NULL: the last part ends where its parent ends, wherever the parent is placed.
            boundary = None if index == len(parts) - 1 else part.boundary
            conn.execute(
                "INSERT OR REPLACE INTO parts VALUES (?, ?, ?, ?)",
                (parent.key, index, part.key, boundary),
            )

    def _move(self, conn: sqlite3.Connection, key: str, to: str, **columns: Any) -> None:
        """The one place a segment changes state: checks `TRANSITIONS`, then updates the row."""
        found = conn.execute("SELECT state FROM segments WHERE key = ?", (key,)).fetchone()
        if found is None:
            raise StoreError(
                f"workspace {self.workspace}: unknown segment {key[:12]}; set the plan first"
            )
        check_transition(self.workspace, key, found[0], to)
        columns.update(state=to, updated=time.time())
        assignments = ", ".join(f"{name} = ?" for name in columns)
        conn.execute(f"UPDATE segments SET {assignments} WHERE key = ?", (*columns.values(), key))

    # -- reading audio back --------------------------------------------------------------------

    def pcm_path(self, key: str) -> Path:
        """Where the audio of `key` lives (whether or not it exists yet)."""
        return files.pcm_path(self.workspace, key)

    def pieces(self, chapter: int) -> Iterator[tuple[Path, str, str]]:
        """(pcm path, text, boundary) of `chapter` in plan order, splits expanded.

        Raises:
            StoreError: naming the first segment that is not done (before yielding anything).
        """
        for _, path, text, boundary in self.segment_pieces(chapter):
            yield path, text, boundary

    def segment_pieces(self, chapter: int) -> Iterator[tuple[int, Path, str, str]]:
        """`pieces`, each with the plan order of the segment it belongs to (a split segment's
        parts share it), so read-along can map a part back to its segment's source text.

        Raises:
            StoreError: naming the first segment that is not done (before yielding anything).
        """
        found: list[tuple[int, Path, str, str]] = []
        with self._read() as view:
            for pos in view.positions(chapter):
                for row, boundary in view.leaves(pos.key, pos.boundary):
                    if row.state != DONE:
                        where = f"segment {pos.chapter + 1}.{pos.order + 1}"
                        raise StoreError(
                            f"workspace {self.workspace}: {where} is not synthesized "
                            f"({row.state}); run the job again to finish it"
                        )
                    found.append((pos.order, self.pcm_path(row.key), row.text, boundary))
        yield from found

    def audio_digests(self, chapter: int) -> list[tuple[str, str, str]]:
        """(audio sha256, text, boundary) of `chapter`'s pieces in plan order, splits expanded.

        What the assembled audio of the chapter depends on (for skipping up-to-date outputs).
        """
        with self._read() as view:
            return [
                (row.sha256 or "", row.text, boundary)
                for pos in view.positions(chapter)
                for row, boundary in view.leaves(pos.key, pos.boundary)
            ]

    def status(self) -> StoreStatus:
        """Progress per chapter: segments done/failed, audio stored, usage, recent errors."""
        with self._read() as view:
            damaged = self._damaged_files()
            titles = dict(self._conn.execute("SELECT chapter, title FROM chapters"))
            by_chapter: dict[int, list[list[Row]]] = {c: [] for c in titles}
            requests: dict[int, dict[str, int]] = {}
            failed: dict[str, tuple[float, str]] = {}
            redo: dict[str, str] = {}
            for pos in view.positions():
                leaves = [row for row, _ in view.leaves(pos.key, pos.boundary)]
                for row in leaves:
                    if row.key in damaged and row.key not in redo:
                        where = f"segment {pos.chapter + 1}.{pos.order + 1}"
                        redo[row.key] = f"{where}: {damaged[row.key]}"
                # What run would redo is not done, whatever the manifest says.
                leaves = [r._replace(state=PENDING) if r.key in damaged else r for r in leaves]
                by_chapter.setdefault(pos.chapter, []).append(leaves)
                # Requests for a split segment were spent too: count every node of the tree.
                requests.setdefault(pos.chapter, {}).update(view.attempts(pos.key))
                for row in leaves:
                    if row.state == FAILED and row.key not in failed:
                        where = f"segment {pos.chapter + 1}.{pos.order + 1}"
                        failed[row.key] = (row.updated, f"{where}: {row.error}")
        chapters = tuple(
            chapter_status(
                titles.get(c, f"Chapter {c + 1}"), positions, sum(requests.get(c, {}).values())
            )
            for c, positions in sorted(by_chapter.items())
        )
        errors = tuple(message for _, message in sorted(failed.values(), reverse=True)[:5])
        return StoreStatus(chapters, errors, tuple(redo.values()), checked=True)

    def _damaged_files(self) -> dict[str, str]:
        """key -> problem for done segments whose file fails the size check run applies first.

        Only sizes (a stat per file): status stays fast on a big book; run also checks sha256.
        """
        return {
            key: problem
            for key, size, _ in self._done_rows()
            if (problem := files.size_problem(self.pcm_path(key), size)) is not None
        }

    # -- integrity -----------------------------------------------------------------------------

    def check_integrity(self) -> list[str]:
        """Every problem found (empty = fine): manifest, missing/short/corrupt files, strays."""
        problems: list[str] = []
        with self._read():
            quick = [r[0] for r in self._conn.execute("PRAGMA quick_check")]
            done = self._done_rows()
            dangling = self._conn.execute(
                "SELECT chapter, ord FROM plan WHERE key NOT IN (SELECT key FROM segments)"
                " UNION ALL SELECT -1, idx FROM parts WHERE key NOT IN (SELECT key FROM segments)"
            ).fetchall()
        if quick != ["ok"]:
            problems.append(f"manifest: {'; '.join(quick[:3])}")
        problems.extend(f"manifest: entry ({c}, {o}) names no segment" for c, o in dangling)
        for key, size, digest in done:
            problem = files.file_problem(self.pcm_path(key), size, digest)
            if problem:
                problems.append(f"segment {key[:12]} (done): {problem}")
        done_keys = {key for key, _, _ in done}
        with files.os_errors(self.workspace, "list its audio files"):
            stored = files.stored_files(self.workspace)
        for path in stored:
            if path.name.endswith(files.TEMP_SUFFIX):
                problems.append(f"temp file left behind: {path}")
            elif path.stem not in done_keys or path != self.pcm_path(path.stem):
                problems.append(f"orphan file (no done segment): {path}")
        return problems

    def verify_done(self) -> int:
        """Check every done file (size + sha256); send bad ones back to pending.

        Returns:
            How many segments went back to pending.
        """
        with self._read():
            done = self._done_rows()
        bad = [k for k, size, digest in done if files.file_problem(self.pcm_path(k), size, digest)]
        # File first, then row: were the row reset first, a crash in between would leave a bad
        # file beside a pending row, which the next open would adopt as good audio.
        with files.os_errors(self.workspace, "remove a damaged audio file"):
            for key in bad:
                self.pcm_path(key).unlink(missing_ok=True)
        with self._write() as conn:
            for key in bad:
                self._move(conn, key, PENDING, size=None, sha256=None)
        return len(bad)

    def _recover(self) -> None:
        """After a crash: drop temp files, adopt or drop stray audio, un-stick in-flight rows."""
        with self._read():
            self._keep_strays = self._count_segments(self._conn) == 0
        with files.os_errors(self.workspace, "clean up after the last run"):
            for path in files.stored_files(self.workspace):
                self._recover_file(path)
        with self._write() as conn:
            query = "SELECT key FROM segments WHERE state = ?"
            stale = conn.execute(query, (IN_FLIGHT,)).fetchall()
            for (key,) in stale:
                self._move(conn, key, PENDING)

    def _recover_file(self, path: Path) -> None:
        state, named = None, path == self.pcm_path(path.stem)  # not a temp file, nor a stranger
        if named:
            with self._read() as view:
                state = view.state_or_none(path.stem)
        if state in (IN_FLIGHT, PENDING):
            self._adopt(path, state)
        elif state is None and named and self._keep_strays:
            return  # no manifest says whose it is: `set_plan` adopts it if planned
        elif state != DONE:
            path.unlink(missing_ok=True)

    def _adopt(self, path: Path, state: str) -> None:
        # The file got its final name only after it was complete and fsync'd: it is whole.
        data = path.read_bytes()
        with self._write() as conn:
            if state == PENDING:
                self._move(conn, path.stem, IN_FLIGHT)
            digest = hashlib.sha256(data).hexdigest()
            self._move(conn, path.stem, DONE, size=len(data), sha256=digest)

    # -- access to the manifest ----------------------------------------------------------------

    def _done_rows(self) -> list[tuple[str, int, str]]:
        query = "SELECT key, size, sha256 FROM segments WHERE state = ?"
        return self._conn.execute(query, (DONE,)).fetchall()

    @contextlib.contextmanager
    def _read(self) -> Iterator[View]:
        with self._mutex, sqlite_errors(self.workspace):
            if self._closed:
                raise StoreError(f"workspace {self.workspace}: the store is closed")
            yield View(self._conn, f"workspace {self.workspace}")

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


def _part_boundaries(position: Position, count: int) -> list[str]:
    return [Boundary.SENTENCE.value] * (count - 1) + [position.boundary]


def _shares(seconds: float, parts: Sequence[str]) -> list[float]:
    """Split a predicted duration between parts by their length."""
    weights = [max(1, len(text)) for text in parts]
    return [seconds * w / sum(weights) for w in weights]
