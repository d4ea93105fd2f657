"""narrator.plan: which chapter titles are spoken, read from real job files."""

from __future__ import annotations

from pathlib import Path

from narrator.jobfile import load_job
from narrator.plan import build_plan


def spoken(tmp_path: Path, name: str, text: str) -> list[str]:
    """The plan's segment texts for a job narrating one source file `name`."""
    (tmp_path / name).write_text(text, encoding="utf-8")
    job = tmp_path / "book.yaml"
    job.write_text(f"sources:\n  - {name}\n", encoding="utf-8")
    return [segment.text for segment in build_plan(load_job(job)).segments]


def test_a_heading_equal_to_the_file_name_is_announced(tmp_path: Path) -> None:
    texts = spoken(tmp_path, "Chapter 1.txt", "Chapter 1\n\nText here.\n")
    assert texts[0].startswith("Chapter one.") and "Text here." in " ".join(texts)


def test_a_heading_reading_opening_is_announced(tmp_path: Path) -> None:
    assert spoken(tmp_path, "intro.md", "# Opening\n\nText here.\n")[0].startswith("Opening.")


def test_stand_in_titles_are_not_announced(tmp_path: Path) -> None:
    assert spoken(tmp_path, "my_notes.txt", "Just text.\n") == ["Just text."]
    texts = spoken(tmp_path, "story.txt", "Before any heading.\n\nCHAPTER I\n\nAfter it.\n")
    assert texts[0] == "Before any heading." and texts[1].startswith("CHAPTER One.")
