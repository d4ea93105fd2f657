"""Audio files found without a manifest: the checksum log beside them, and the checks to adopt.

    workspace/checksums      one line per stored file: "<key> <size> <sha256>"

PCM files are named by their segment's content key, so a run whose manifest was deleted (or
never committed) can still tell which planned segment a file belongs to. It adopts a file when
it passes its checks: a whole number of samples, not empty, and, when the log has a line for
the key, the logged size and sha256. The log is appended (not fsync'd) before the manifest
says done; a line lost to an OS crash only means that file is checked by length alone. The
last line for a key wins; a torn line is ignored.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from narrator.store.files import SUMS, sha256_of
from narrator.wire.protocol import SAMPLE_WIDTH

_LINE = re.compile(r"^([0-9a-f]{64}) (\d+) ([0-9a-f]{64})$")


def record_sum(workspace: Path, key: str, size: int, digest: str) -> None:
    """Append the checksum line of a stored file (one write, so lines of concurrent writers never
    mix)."""
    fd = os.open(workspace / SUMS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{key} {size} {digest}\n".encode("ascii"))
    finally:
        os.close(fd)


def load_sums(workspace: Path) -> dict[str, tuple[int, str]]:
    """key -> (size, sha256) from the log; empty when there is none."""
    sums: dict[str, tuple[int, str]] = {}
    with (
        contextlib.suppress(FileNotFoundError),
        open(workspace / SUMS, encoding="ascii", errors="replace") as log,
    ):
        for line in log:
            if found := _LINE.match(line.strip()):
                sums[found[1]] = (int(found[2]), found[3])
    return sums


def adopt_problem(path: Path, logged: tuple[int, str] | None) -> str | None:
    """Why the file at `path` may not be adopted as its key's audio, or None when it may."""
    try:
        size = path.stat().st_size
        if size == 0 or size % SAMPLE_WIDTH:
            return f"{size} bytes is not whole 16-bit audio"
        if logged is not None:
            if size != logged[0]:
                return f"{size} bytes, the log says {logged[0]}"
            if sha256_of(path) != logged[1]:
                return "sha256 differs from the log"
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    return None
