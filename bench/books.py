"""What the readers make of the real books in tests/data/books, side by side in one run.

Per book and notes mode: chapters (body / front-back matter), words spoken, words listed as
skipped (by kind), notes spoken ("Note N: ..."), words glued to a number ("oar420", "209fallen":
goal 0), and the time to read the book (CPU seconds, best of 3). Run: python bench/books.py
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from narrator.sources import ReadOptions, read_source  # noqa: E402

BOOKS = Path(__file__).resolve().parents[1] / "tests" / "data" / "books"
NAMES = ("time_machine_se.epub", "childrens_literature.epub", "art_of_command_line.md")
GLUED_RE = re.compile(r"\b[A-Za-z]{2,}\d{2,}\b|\b\d{2,}[a-z]{2,}\b")


def measure(path: Path, mode: str) -> str:
    options = ReadOptions(notes=mode)
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        chapters = read_source(path, options=options)
        best = min(best, time.process_time() - start)
    body = sum(c.role == "body" for c in chapters)
    spoken = [p for c in chapters for p in c.paragraphs]
    words = sum(len(p.split()) for p in spoken)
    skipped: Counter[str] = Counter()
    for chapter in chapters:
        for part in chapter.skipped:
            skipped[part.what] += part.words
    notes = sum(p.startswith("Note ") and ": " in p[:12] for p in spoken)
    glued = sum(len(GLUED_RE.findall(p)) for p in spoken)
    listed = ", ".join(f"{k} {v}" for k, v in sorted(skipped.items())) or "-"
    return (
        f"{path.name:28} {mode:16} {body:3} body + {len(chapters) - body:2} other  "
        f"{words:7} words  skipped: {listed:28} notes {notes:3}  glued {glued}  {best:.2f}s"
    )


def main() -> None:
    for name in NAMES:
        for mode in ("end_of_chapter", "end_of_paragraph", "skip"):
            print(measure(BOOKS / name, mode))


if __name__ == "__main__":
    main()
