"""The store's side of proof-listening (narrator.verify): leaves, heard takes, better audio.

Kept apart from workspace.py, which it extends: `Store` inherits these methods, which use its
lock and transactions (`_read`, `_write`) and its one state-change function (`_move`).
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from narrator.errors import StoreError
from narrator.store import files
from narrator.store.machine import DONE, check_transition
from narrator.store.manifest import TAKE_COLUMNS, Take, View, has_table
from narrator.wire.protocol import SAMPLE_WIDTH


@dataclass(frozen=True)
class Leaf:
    """A segment whose audio is played, at its place in the plan (splits expanded)."""

    chapter: int
    order: int  # of the planned segment it is (a part of)
    key: str
    text: str
    state: str
    sha256: str | None  # of the stored audio (done only)
    samples: int  # stored (done only)
    boundary: str
    planned: str  # the key of the planned segment (== key unless it was split)


class TakesMixin:
    """Methods of `Store` (see the module docstring)."""

    # What these methods use of the store, all defined by `Store` in workspace.py (declared
    # here so this module need not import it: workspace imports this one).
    workspace: Path
    _conn: sqlite3.Connection
    _read: Callable[[], AbstractContextManager[View]]
    _write: Callable[[], AbstractContextManager[sqlite3.Connection]]
    _move: Callable[..., None]
    pcm_path: Callable[[str], Path]

    def leaves(self) -> list[Leaf]:
        """Every segment whose audio the plan plays, in plan order (a key may recur)."""
        found = []
        with self._read() as view:
            for pos in view.positions():
                for row, boundary in view.leaves(pos.key, pos.boundary):
                    done = row.state == DONE
                    samples = (row.size or 0) // SAMPLE_WIDTH if done else 0
                    sha = row.sha256 if done else None
                    found.append(
                        Leaf(
                            pos.chapter,
                            pos.order,
                            row.key,
                            row.text,
                            row.state,
                            sha,
                            samples,
                            boundary,
                            pos.key,
                        )
                    )
        return found

    def takes(self, keys: Sequence[str] | None = None) -> dict[str, list[Take]]:
        """key -> its heard takes in order, for `keys` or every segment (a manifest older than
        the takes table has none)."""
        found: dict[str, list[Take]] = {}
        query = f"SELECT {TAKE_COLUMNS} FROM takes"
        if keys is not None:
            query += f" WHERE key IN ({', '.join('?' * len(keys))})"
        with self._read():
            if not has_table(self._conn, "takes"):
                return found
            rows = self._conn.execute(query + " ORDER BY key, take", tuple(keys or ()))
            for row in rows:
                take = Take(*row)
                found.setdefault(take.key, []).append(
                    take._replace(no_speech=bool(take.no_speech), kept=bool(take.kept))
                )
        return found

    def record_take(self, take: Take) -> int:
        """Keep the score of one take of `take.key` (numbered next); returns its number.

        A kept take un-keeps the segment's earlier ones: the store holds one take's audio.
        """
        with self._write() as conn:
            query = "SELECT COALESCE(MAX(take), 0) + 1 FROM takes WHERE key = ?"
            number = int(conn.execute(query, (take.key,)).fetchone()[0])
            if take.kept:
                conn.execute("UPDATE takes SET kept = 0 WHERE key = ?", (take.key,))
            row = take._replace(take=number, updated=time.time())
            marks = ", ".join("?" * len(row))
            conn.execute(f"INSERT INTO takes ({TAKE_COLUMNS}) VALUES ({marks})", tuple(row))
        return number

    def replace_audio(self, key: str, pcm: bytes, *, usage: int = 0) -> str:
        """Store a better take of a done segment in place of its audio; returns its sha256.

        The new file replaces the old one atomically, so a crash leaves one whole take; should
        the row still name the old digest, `verify_done` sends the segment back to pending.
        """
        with self._read() as view:
            check_transition(self.workspace, key, view.row(key).state, DONE)
        path = self.pcm_path(key)
        try:
            files.write_atomic(path, pcm)
        except OSError as exc:
            raise StoreError(
                f"workspace {self.workspace}: cannot write {path.name} ({exc.strerror or exc}); "
                "free disk space or choose another workspace"
            ) from exc
        digest = hashlib.sha256(pcm).hexdigest()
        with self._write() as conn:
            used = conn.execute("SELECT usage FROM segments WHERE key = ?", (key,)).fetchone()
            total = (used[0] if used else 0) + usage  # every take was paid for
            self._move(conn, key, DONE, size=len(pcm), sha256=digest, usage=total)
        return digest
