"""The manifest: SQLite schema, connection, row views, and translation of sqlite3 errors."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import urllib.parse
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from narrator.errors import StoreError
from narrator.store.files import MANIFEST
from narrator.store.machine import PENDING, SPLIT

SCHEMA_VERSION = 2
MAX_SPLIT_NESTING = 64  # deeper means a cycle in a damaged manifest

SCHEMA = """
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

# Proof-listening (narrator.verify): one row per take of a segment that was heard back. `sha256`
# names the audio the row judged, so a segment whose stored audio has that digest is verified;
# new audio (a re-synthesis, a repaired file) has none and is heard again. `kept` marks the take
# now stored. Version 1 stores gain this table on open (an additive migration).
TAKES_SCHEMA = """
CREATE TABLE IF NOT EXISTS takes (
    key TEXT NOT NULL, take INTEGER NOT NULL, sha256 TEXT NOT NULL, how TEXT NOT NULL,
    heard TEXT NOT NULL, source_words INTEGER NOT NULL, errors INTEGER NOT NULL,
    missing_run INTEGER NOT NULL, repeated INTEGER NOT NULL, trailing INTEGER NOT NULL,
    no_speech INTEGER NOT NULL, reasons TEXT NOT NULL, kept INTEGER NOT NULL, updated REAL NOT NULL,
    PRIMARY KEY (key, take)
);
CREATE INDEX IF NOT EXISTS takes_sha ON takes (key, sha256);
"""
# schema version -> the script that brings a manifest of that version to the next one
MIGRATIONS = {1: TAKES_SCHEMA}


class Row(NamedTuple):
    key: str
    text: str
    voice: str | None
    params: str | None
    seconds: float
    state: str
    size: int | None
    sha256: str | None
    usage: int
    attempts: int
    error: str | None
    updated: float


ROW_COLUMNS = ", ".join(Row._fields)


class Take(NamedTuple):
    """One heard take of a segment (see TAKES_SCHEMA); `reasons` is '; '-joined, '' = good."""

    key: str
    take: int  # 1, 2, ... per segment; assigned by the store
    sha256: str  # of the take's audio
    how: str  # "first" (the stored take), "fresh" (a new request), "split" (a part of a re-split)
    heard: str
    source_words: int
    errors: int
    missing_run: int
    repeated: int
    trailing: int
    no_speech: bool
    reasons: str
    kept: bool  # this take's audio is the one stored
    updated: float


TAKE_COLUMNS = ", ".join(Take._fields)


class Position(NamedTuple):
    chapter: int
    order: int
    key: str
    boundary: str


class View:
    """Rows read on demand (and cached) while the caller holds the store's lock."""

    def __init__(self, conn: sqlite3.Connection, where: str) -> None:
        self._conn = conn
        self._where = where  # "workspace X", to start messages with
        self._rows: dict[str, Row | None] = {}
        self._parts: dict[str, list[tuple[str, str | None]]] = {}

    def _damaged(self, what: str) -> StoreError:
        return StoreError(
            f"{self._where}: manifest is damaged ({what}); run with --fresh to start over"
        )

    def row(self, key: str) -> Row:
        if key not in self._rows:
            found = self._conn.execute(f"SELECT {ROW_COLUMNS} FROM segments WHERE key = ?", (key,))
            self._rows[key] = Row(*r) if (r := found.fetchone()) else None
        row = self._rows[key]
        if row is None:
            raise self._damaged(f"segment {key[:12]} is missing")
        return row

    def state_or_none(self, key: str) -> str | None:
        found = self._conn.execute("SELECT state FROM segments WHERE key = ?", (key,)).fetchone()
        return found[0] if found else None

    def parts(self, key: str) -> list[tuple[str, str | None]]:
        if key not in self._parts:
            query = "SELECT key, boundary FROM parts WHERE parent = ? ORDER BY idx"
            self._parts[key] = [(k, b) for k, b in self._conn.execute(query, (key,))]
        return self._parts[key]

    def positions(self, chapter: int | None = None) -> list[Position]:
        """The plan in order, or one chapter of it."""
        query = "SELECT chapter, ord, key, boundary FROM plan"
        args: tuple[int, ...] = ()
        if chapter is not None:
            query, args = query + " WHERE chapter = ?", (chapter,)
        return [Position(*r) for r in self._conn.execute(query + " ORDER BY chapter, ord", args)]

    def position_of(self, key: str, depth: int = 0) -> Position:
        """Where `key` first appears in the plan; a split part is where its parent is."""
        query = "SELECT chapter, ord, key, boundary FROM plan WHERE key = ? ORDER BY chapter, ord"
        if found := self._conn.execute(query, (key,)).fetchone():
            return Position(*found)
        query = "SELECT parent, boundary FROM parts WHERE key = ?"
        parent = self._conn.execute(query, (key,)).fetchone()
        if parent is None or depth > MAX_SPLIT_NESTING:
            raise StoreError(
                f"{self._where}: segment {key[:12]} is not in the plan; set the plan first"
            )
        outer = self.position_of(parent[0], depth + 1)
        return outer._replace(key=key, boundary=parent[1] or outer.boundary)

    def ancestors(self, key: str) -> set[str]:
        """`key` and every segment it is (recursively) a part of."""
        found, frontier = {key}, [key]
        while frontier:
            rows = self._conn.execute("SELECT parent FROM parts WHERE key = ?", (frontier.pop(),))
            for (parent,) in rows:
                if parent not in found:
                    found.add(parent)
                    frontier.append(parent)
        return found

    def attempts(self, key: str) -> dict[str, int]:
        """key -> requests sent, for `key` and every part it was (recursively) split into."""
        found: dict[str, int] = {}
        frontier = [key]
        while frontier:
            row = self.row(frontier.pop())
            if row.key not in found:  # also ends a cycle in a damaged manifest
                found[row.key] = row.attempts
                frontier.extend(k for k, _ in self.parts(row.key))
        return found

    def leaves(self, key: str, boundary: str, depth: int = 0) -> Iterator[tuple[Row, str]]:
        """The segments whose audio makes up `key`, in order, with the boundary after each."""
        row = self.row(key)
        if row.state != SPLIT:
            yield row, boundary
            return
        parts = self.parts(key)
        if depth > MAX_SPLIT_NESTING or not parts:
            raise self._damaged(f"split segment {key[:12]} has no usable parts")
        for part, part_boundary in parts:
            yield from self.leaves(part, part_boundary or boundary, depth + 1)


def new_row(
    key: str, text: str, voice: tuple[str, Mapping[str, Any]] | None, seconds: float, now: float
) -> tuple[Any, ...]:
    """Values for a new pending segment row (see the INSERTs in the store)."""
    name, params = (voice[0], params_json(voice[1])) if voice is not None else (None, None)
    return (key, text, name, params, seconds, PENDING, now)


def params_json(params: Mapping[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def connect(workspace: Path, *, read_only: bool) -> sqlite3.Connection:
    """Open the manifest (creating the schema when new) and check its schema version."""
    path = workspace / MANIFEST
    with sqlite_errors(workspace):
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
            check_schema(conn, workspace, create=not read_only)
        except BaseException:
            conn.close()
            raise
    return conn


def check_schema(conn: sqlite3.Connection, workspace: Path, *, create: bool) -> None:
    """Create the schema in an empty manifest; refuse a schema version we do not know."""
    query = "SELECT name FROM sqlite_master WHERE type = 'table'"
    tables = {name for (name,) in conn.execute(query)}
    if not tables and create:
        version = f"INSERT INTO meta VALUES ('schema_version', '{SCHEMA_VERSION}');"
        conn.executescript(f"BEGIN; {SCHEMA} {TAKES_SCHEMA} {version} COMMIT;")
        return
    found = None
    if "meta" in tables:
        found = conn.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
    if found is not None and found[0] in {str(v) for v in MIGRATIONS}:
        if not create:
            return  # read-only (status): an older manifest reads fine, its newer tables are empty
        migrate(conn, int(found[0]))
        return
    if found is None or found[0] != str(SCHEMA_VERSION):
        raise StoreError(
            f"workspace {workspace}: manifest schema version {found[0] if found else 'none'} is "
            f"not {SCHEMA_VERSION} (written by another narrator version); run with --fresh"
        )


def migrate(conn: sqlite3.Connection, version: int) -> None:
    """Bring a manifest from `version` to SCHEMA_VERSION, one transaction per step."""
    while version < SCHEMA_VERSION:
        version += 1
        bump = f"UPDATE meta SET value = '{version}' WHERE name = 'schema_version';"
        conn.executescript(f"BEGIN; {MIGRATIONS[version - 1]} {bump} COMMIT;")


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return conn.execute(query, (name,)).fetchone() is not None


@contextlib.contextmanager
def sqlite_errors(workspace: Path) -> Iterator[None]:
    """Translate sqlite3 errors at the boundary into StoreError naming the workspace."""
    try:
        yield
    except sqlite3.Error as exc:
        detail = str(exc) or type(exc).__name__
        if "not a database" in detail or "malformed" in detail:
            raise StoreError(
                f"workspace {workspace}: manifest is damaged ({detail}); "
                "run with --fresh to start over"
            ) from exc
        raise StoreError(
            f"workspace {workspace}: manifest error ({detail}); "
            "check the disk, or run with --fresh to start over"
        ) from exc
