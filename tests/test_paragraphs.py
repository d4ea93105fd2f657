"""Paragraph splitting: hard wraps joined, blank lines separate, decoration stands alone."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narrator.text.paragraphs import is_decoration, split_paragraphs


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_hard_wrapped_lines_become_one_paragraph_and_blank_lines_separate():
    text = "The rain came down\nover the harbour\n  all night.\n\n   \nMorning was grey.\n"
    assert split_paragraphs(text) == [
        "The rain came down over the harbour all night.",
        "Morning was grey.",
    ]


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\u2028", "\x85"])
def test_every_line_break_convention_wraps_and_separates(newline):
    text = f"one{newline}two{newline}{newline}three"
    assert split_paragraphs(text) == ["one two", "three"]


def test_unicode_paragraph_separator_and_whitespace_only_lines_separate():
    assert split_paragraphs("one\u2029two") == ["one", "two"]
    assert split_paragraphs("one\n\u00a0\t\ntwo\n\x0c\nthree") == ["one", "two", "three"]


def test_decoration_lines_stand_alone_even_without_blank_lines():
    text = "End of a scene.\n* * *\nStart of the next\none.\n\n---\n\nLast."
    assert split_paragraphs(text) == [
        "End of a scene.",
        "* * *",
        "Start of the next one.",
        "---",
        "Last.",
    ]


@pytest.mark.parametrize(
    "line", ["* * *", "***", "---", "#", "=====", "  ~ ~ ~  ", "⁂", "— — —", "_____", ". * ."]
)
def test_decoration(line):
    assert is_decoration(line)


@pytest.mark.parametrize(
    "line", ["", "   ", "...", "* item", "# Heading", "-1", "— he said", "A.", "1. * 2"]
)
def test_not_decoration(line):
    assert not is_decoration(line)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("ab .*-#\n\r\t\u00a0\u2029é"), max_size=200)
    | st.text(max_size=200)
)
def test_nothing_is_lost_and_paragraphs_are_clean(text):
    paragraphs = split_paragraphs(text)
    assert squash("".join(paragraphs)) == squash(text)
    for paragraph in paragraphs:
        assert paragraph and paragraph == paragraph.strip()
        assert not re.search(r"\s\s|[^\S ]", paragraph)  # single plain spaces only
