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
    assert texts[0].startswith("Chapter 1.") and "Text here." in " ".join(texts)


def test_a_heading_reading_opening_is_announced(tmp_path: Path) -> None:
    assert spoken(tmp_path, "intro.md", "# Opening\n\nText here.\n")[0].startswith("Opening.")


def test_stand_in_titles_are_not_announced(tmp_path: Path) -> None:
    assert spoken(tmp_path, "my_notes.txt", "Just text.\n") == ["Just text."]
    texts = spoken(tmp_path, "story.txt", "Before any heading.\n\nCHAPTER I\n\nAfter it.\n")
    assert texts[0] == "Before any heading." and texts[1].startswith("CHAPTER I.")


def test_predicted_length_counts_the_pauses_of_the_job(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(
        "CHAPTER I\n\nOne. Two.\n\nThree.\n\n* * *\n\nFour.\n\nCHAPTER II\n\nFive.\n",
        encoding="utf-8",
    )
    job_file = tmp_path / "book.yaml"
    job_file.write_text("sources: [a.txt]\npauses: {paragraph: 10, scene: 20}\n", encoding="utf-8")
    job = load_job(job_file)
    plan = build_plan(job)
    p = job.pauses
    # chapter I: title | "One. Two." | "Three." (scene) | "Four."; chapter II: title | "Five."
    inside = [p.paragraph * 2 + p.scene, p.paragraph]
    assert plan.chapter_seconds_with(p) == [
        c.seconds + extra for c, extra in zip(plan.chapters, inside)
    ]
    edges = p.lead_in + p.chapter + p.tail
    assert abs(plan.seconds_with(p) - (plan.seconds + sum(inside) + edges)) < 1e-9
