"""File names: titles made safe, Windows device names avoided, templates checked, duplicates
numbered."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from narrator.assembly.naming import (
    MAX_NAME_BYTES,
    NameBook,
    check_template,
    render_name,
    safe_component,
)
from narrator.errors import OutputError


@pytest.mark.parametrize(
    ("title", "safe"),
    [
        ("AC/DC", "AC-DC"),
        ("..", "untitled"),
        ("../../etc/passwd", "-\u2026-etc-passwd"),
        ("Wait... what?", "Wait\u2026 what"),
        ("x....y", "x\u2026y"),
        ("a\\b", "a-b"),
        ('What? Why: "now"', "What Why now"),
        (" .hidden", "hidden"),
        ("line\nbreak\ttab", "line break tab"),
        ("", "untitled"),
    ],
)
def test_safe_component(title: str, safe: str) -> None:
    assert safe_component(title) == safe


@pytest.mark.parametrize(
    ("title", "safe"),
    [
        ("Con", "Con_"),
        ("con.mp3", "con_.mp3"),
        ("NUL ", "NUL_"),
        ("aux.", "aux_"),
        ("prn. . .", "prn_"),
        ("con .mp3", "con_ .mp3"),
        ("COM1", "COM1_"),
        ("lpt9.txt", "lpt9_.txt"),
        ("Com\u00b9", "Com\u00b9_"),
        ("CONOUT$", "CONOUT$_"),
        # not devices: a longer word, a number past 9, a device name after the first dot or
        # before a space
        ("Console", "Console"),
        ("COM10", "COM10"),
        ("x.con", "x.con"),
        ("Con Air", "Con Air"),
    ],
)
def test_windows_device_names_get_an_underscore(title: str, safe: str) -> None:
    assert safe_component(title) == safe


@given(st.text())
def test_any_title_is_one_safe_component(title: str) -> None:
    name = safe_component(title)
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert not name.startswith(".") and name not in ("", ".", "..") and ".." not in name
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES


@given(
    st.sampled_from(["con", "Aux", "nul", "COM3", "lpt1"]),
    st.text(alphabet=" .", max_size=4),
    st.sampled_from(["", ".mp3", ".tar.gz", " .m4b"]),
)
def test_device_names_with_any_case_dots_and_extension_are_avoided(
    device: str, trail: str, ext: str
) -> None:
    name = safe_component(device + trail + ext)
    base = name.partition(".")[0].rstrip(" ")  # what Windows compares with its device names
    assert base.upper() != device.upper() and base.startswith(device)


def test_template_renders_cleaned_fields() -> None:
    fields = {"index": 3, "title": "A/B", "book": "Book", "author": "Me"}
    assert render_name("{index:02d} - {title}", fields) == "03 - A-B"
    assert render_name("{book}/{author}", fields) == "Book-Me"


def test_only_the_whole_name_is_checked_for_device_names() -> None:
    fields = {"index": 1, "title": "Con", "book": "Nul", "author": "Me"}
    assert render_name("{book}", fields) == "Nul_"
    assert render_name("{index:02d} - {title}", fields) == "01 - Con"


@pytest.mark.parametrize("template", ["{chapter}", "{title.upper}", "{index:q}", "{"])
def test_bad_templates_name_the_option(template: str) -> None:
    with pytest.raises(OutputError, match="output.name_template"):
        render_name(template, {"index": 1, "title": "t", "book": "b", "author": "a"})


def test_check_template_accepts_known_fields() -> None:
    check_template("{index} {title} {book} {author}")


def test_duplicates_are_numbered_case_insensitively() -> None:
    names = NameBook()
    assert [names.claim(n) for n in ("Intro", "intro", "Intro", "Other")] == [
        "Intro",
        "intro (2)",
        "Intro (3)",
        "Other",
    ]


@pytest.mark.parametrize(
    ("count", "names"),
    [
        (9, ["01 - A", "09 - A"]),
        (99, ["01 - A", "99 - A"]),
        (140, ["001 - A", "140 - A"]),
        (1200, ["0001 - A", "1200 - A"]),
    ],
)
def test_zero_padded_index_widens_to_the_chapter_count(count: int, names: list[str]) -> None:
    rendered = [
        render_name("{index:02d} - {title}", {"index": i, "title": "A"}, count=count)
        for i in (1, count)
    ]
    assert rendered == names


def test_names_of_a_long_book_sort_in_reading_order() -> None:
    names = [
        render_name("{index:02d} - {title}", {"index": i, "title": t}, count=140)
        for i, t in enumerate(["Zed", "Alpha"] * 70, 1)
    ]
    assert sorted(names) == names


@pytest.mark.parametrize(
    ("template", "widened"),
    [
        ("{index:03d}", "{index:03d}"),  # already wide enough
        ("{index} {title}", "{index} {title}"),  # not zero-padded: as written
        ("{index:2d}", "{index:2d}"),
        ("{{index:02d}} {index:02d}", "{{index:02d}} {index:03d}"),
    ],
)
def test_widen_index_touches_only_zero_padded_index_fields(template: str, widened: str) -> None:
    from narrator.assembly.naming import widen_index

    assert widen_index(template, 140) == widened
