"""Web articles: what narrator speaks of a saved page against the article a reader expects.

    /work/venv/bin/python bench/articles.py [--all] [--only=READER,...] [PAGES_DIR ...]

Every PAGES_DIR/NAME/ holding source.html and expected.html is one page (default:
tests/data/web, Mozilla Readability's test pages: expected.html is the article Readability.js
extracts). For each page and in total it prints, per reader:
  - recall: the share of the expected article's words that are spoken, in order (the words of
    a difflib alignment of the two normalized word lists);
  - precision: the share of spoken words that the alignment finds in the expected article.
Spoken means everything a listener hears: chapter titles and paragraphs. Words are lowercased
runs of letters and digits. Citation marks ("[6]", "[ edit ]") are removed from the expected
text first: narrator never speaks them, by design (see narrator/sources/article.py).
Totals are word-weighted over all pages. Goal: recall >= 0.97 and precision >= 0.95.

Readers, side by side:
  - narrator: `read_source` with the default `html: auto` (what a user gets);
  - document: `html: document`, the whole page as a book chapter (the reading before articles);
  - readability: readability-lxml's `Document.summary()`, its HTML read by narrator;
  - trafilatura, trafilatura-recall, trafilatura-precision, trafilatura-notables: its HTML
    output with default options, favor_recall, favor_precision, include_tables=False
    (include_comments=False in all).
`--all` shows the per-page lines of every reader (default: narrator's only); `--only=a,b`
runs only the readers named.
"""

from __future__ import annotations

import difflib
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from narrator.sources import ReadOptions, read_source  # noqa: E402
from narrator.sources.article import scrub_markers  # noqa: E402
from narrator.sources.decode import decode_bytes  # noqa: E402
from narrator.sources.html import declared_charset  # noqa: E402
from narrator.sources.htmltext import parse_html, soup_blocks  # noqa: E402

DEFAULT_PAGES = REPO / "tests" / "data" / "web"
_WORD_RE = re.compile(r"\w+")

Reader = Callable[[Path], list[str]]


def words(texts: list[str]) -> list[str]:
    """Normalized words of what is spoken (or expected), in order."""
    return _WORD_RE.findall(" ".join(texts).lower())


def expected_words(path: Path) -> list[str]:
    blocks = soup_blocks(parse_html(path.read_text(encoding="utf-8")), web_page=False)
    return words([scrub_markers(b.text) for b in blocks])


def _source_text(path: Path) -> str:
    data = path.read_bytes()
    return decode_bytes(data, path, declared=declared_charset(data))


def _spoken_chapters(path: Path, html: str) -> list[str]:
    out: list[str] = []
    for chapter in read_source(path, options=ReadOptions(html=html)):
        out.extend([chapter.title or "", *chapter.paragraphs])
    return out


def _fragment_texts(title: str | None, fragment: str | None) -> list[str]:
    if not fragment:
        return [title or ""]
    blocks = soup_blocks(parse_html(fragment), web_page=False)
    return [title or "", *(b.text for b in blocks)]


def read_readability(path: Path) -> list[str]:
    from readability import Document

    doc = Document(_source_text(path))
    return _fragment_texts(doc.short_title(), doc.summary(html_partial=True))


def trafilatura_reader(**options: bool) -> Reader:
    def read(path: Path) -> list[str]:
        import trafilatura

        html = _source_text(path)
        meta = trafilatura.extract_metadata(html)
        fragment = trafilatura.extract(
            html, output_format="html", include_comments=False, **options
        )
        return _fragment_texts(meta.title if meta else None, fragment)

    return read


READERS: dict[str, Reader] = {
    "narrator": lambda p: _spoken_chapters(p, "auto"),
    "document": lambda p: _spoken_chapters(p, "document"),
    "readability": read_readability,
    "trafilatura": trafilatura_reader(),
    "trafilatura-recall": trafilatura_reader(favor_recall=True),
    "trafilatura-precision": trafilatura_reader(favor_precision=True),
    "trafilatura-notables": trafilatura_reader(include_tables=False),
}


@dataclass
class Score:
    expected: int = 0
    spoken: int = 0
    matched: int = 0
    seconds: float = 0.0

    def add(self, other: Score) -> None:
        self.expected += other.expected
        self.spoken += other.spoken
        self.matched += other.matched
        self.seconds += other.seconds

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.spoken if self.spoken else 1.0


def score(expected: list[str], spoken: list[str]) -> int:
    """Words of `expected` found in `spoken` in the same order (a difflib alignment)."""
    matcher = difflib.SequenceMatcher(None, expected, spoken, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks())


def measure(reader: Reader, source: Path, expected: list[str]) -> Score:
    start = time.process_time()
    try:
        spoken = words(reader(source))
    except Exception as exc:  # noqa: BLE001 - a reader failing on a page scores zero there, visibly
        print(f"    ({source.parent.name}: {type(exc).__name__}: {exc})")
        spoken = []
    seconds = time.process_time() - start
    return Score(len(expected), len(spoken), score(expected, spoken), seconds)


def pages(roots: list[Path]) -> list[Path]:
    found = [d for root in roots for d in sorted(root.iterdir()) if (d / "source.html").is_file()]
    return [d for d in found if (d / "expected.html").is_file()]


def main(argv: list[str]) -> None:
    show_all = "--all" in argv
    only = [a.split("=", 1)[1] for a in argv if a.startswith("--only=")]
    readers = {n: r for n, r in READERS.items() if not only or n in only[0].split(",")}
    roots = [Path(a) for a in argv if not a.startswith("--")] or [DEFAULT_PAGES]
    dirs = pages(roots)
    totals = {name: Score() for name in readers}
    print(f"{len(dirs)} pages; recall / precision (words)")
    for page in dirs:
        expected = expected_words(page / "expected.html")
        cells = []
        for name, reader in readers.items():
            result = measure(reader, page / "source.html", expected)
            totals[name].add(result)
            if show_all or name == "narrator":
                cells.append(f"{name} {result.recall:.3f}/{result.precision:.3f}")
        print(f"  {page.name:24} {len(expected):6} words  " + "  ".join(cells))
    print("\ntotal (word-weighted)        recall  precision  cpu s")
    for name, total in totals.items():
        print(f"  {name:26} {total.recall:6.3f}  {total.precision:9.3f}  {total.seconds:5.1f}")
    best = totals.get("narrator")
    if best is not None:
        ok = best.recall >= 0.97 and best.precision >= 0.95
        print(f"\nnarrator goal (recall >= 0.97, precision >= 0.95): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main(sys.argv[1:])
