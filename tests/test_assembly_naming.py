"""File names: titles made safe, templates checked, duplicates numbered."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from narrator.assembly.naming import MAX_NAME_BYTES, NameBook, check_template, render_name, safe_component
from narrator.errors import OutputError


@pytest.mark.parametrize(
    ("title", "safe"),
    [("AC/DC", "AC-DC"), ("..", "untitled"), ("../../etc/passwd", "-..-etc-passwd"),
     ("a\\b", "a-b"), ("What? Why: \"now\"", "What Why now"), (" .hidden", "hidden"),
     ("line\nbreak\ttab", "line break tab"), ("", "untitled")],
)
def test_safe_component(title: str, safe: str) -> None:
    assert safe_component(title) == safe


@given(st.text())
def test_any_title_is_one_safe_component(title: str) -> None:
    name = safe_component(title)
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert not name.startswith(".") and name not in ("", ".", "..")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES


def test_template_renders_cleaned_fields() -> None:
    fields = {"index": 3, "title": "A/B", "book": "Book", "author": "Me"}
    assert render_name("{index:02d} - {title}", fields) == "03 - A-B"
    assert render_name("{book}/{author}", fields) == "Book-Me"


@pytest.mark.parametrize("template", ["{chapter}", "{title.upper}", "{index:q}", "{"])
def test_bad_templates_name_the_option(template: str) -> None:
    with pytest.raises(OutputError, match="output.name_template"):
        render_name(template, {"index": 1, "title": "t", "book": "b", "author": "a"})


def test_check_template_accepts_known_fields() -> None:
    check_template("{index} {title} {book} {author}")


def test_duplicates_are_numbered_case_insensitively() -> None:
    names = NameBook()
    assert [names.claim(n) for n in ("Intro", "intro", "Intro", "Other")] == ["Intro", "intro (2)", "Intro (3)", "Other"]
