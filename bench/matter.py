"""What a listener hears of each real book, by role: spoken words vs words set aside, side by side.

    /work/venv/bin/python bench/matter.py

For every plain-text and Markdown book in tests/data (and the trial transcript), prints the
chapters found per role and the words of each role, then the share of the file's words spoken
by default (`matter: body`), the share set aside (license, contents, front/back matter), and
the share found nowhere (must be 0.000: every word is spoken or listed as skipped). The
reading time (CPU seconds) is printed too.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

from narrator.sources import read_source

REPO = Path(__file__).resolve().parents[1]
BOOKS = (
    REPO / "tests" / "data" / "books" / "pg345_dracula.txt",
    REPO / "tests" / "data" / "books" / "pg5200_metamorphosis.txt",
    REPO / "tests" / "data" / "nuremberg_trial_vol8.txt",
    REPO / "tests" / "data" / "books" / "art_of_command_line.md",
)


def words(*texts: str) -> Counter[str]:
    return Counter(w for t in texts for w in re.findall(r"\w+", t.casefold()))


def main() -> None:
    print(
        f"{'book':<28} {'body ch':>7} {'other ch':>8} {'spoken':>7} {'aside':>6} {'lost':>6} "
        f"{'cpu s':>6}"
    )
    for path in BOOKS:
        start = time.process_time()
        chapters = read_source(path)
        cpu = time.process_time() - start
        by_role: dict[str, Counter[str]] = {}
        for c in chapters:
            title = () if c.fallback_title or not c.title else (c.title,)
            text = words(*title, *c.paragraphs, *(s.text for s in c.skipped))
            by_role[c.role] = by_role.get(c.role, Counter()) + text
        source = words(path.read_text(encoding="utf-8", errors="replace"))
        total = sum(source.values())
        spoken = sum(by_role.get("body", Counter()).values())
        aside = sum(sum(v.values()) for k, v in by_role.items() if k != "body")
        lost = sum((source - sum(by_role.values(), Counter())).values())
        body = sum(c.role == "body" for c in chapters)
        print(
            f"{path.name:<28} {body:>7} {len(chapters) - body:>8} {spoken / total:>7.3f} "
            f"{aside / total:>6.3f} {lost / total:>6.3f} {cpu:>6.2f}"
        )
        roles = ", ".join(f"{k} {sum(v.values()):,}" for k, v in by_role.items())
        print(f"{'':<28} words by role: {roles}")


if __name__ == "__main__":
    main()
