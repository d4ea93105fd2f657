"""narrator.text.markers: illustration markers and letter-spaced display lines."""

from __future__ import annotations

import pytest

from narrator.text.markers import PAUSE, Marked, resolve_illustrations, unspace


@pytest.mark.parametrize(
    ("paragraph", "marked"),
    [
        ("[Illustration]", Marked(PAUSE, ("[Illustration]",))),
        ("[Cover Illustration]", Marked(PAUSE, ("[Cover Illustration]",))),
        ("[Illustration: The Mock Turtle]", Marked("The Mock Turtle", ("[Illustration: ]",))),
        ("[Illustration: _A cat._]", Marked("A cat.", ("[Illustration: __]",))),
        ("He saw [Illustration] it.", Marked("He saw it.", ("[Illustration]",))),
        ("[Frontispiece: The House]", Marked("The House", ("[Frontispiece: ]",))),
        ("[_All rights reserved._]", Marked("[_All rights reserved._]")),
        ("An illustration [1] here.", Marked("An illustration [1] here.")),
    ],
)
def test_illustration_markers(paragraph: str, marked: Marked) -> None:
    assert resolve_illustrations(paragraph) == marked


@pytest.mark.parametrize(
    ("line", "read"),
    [
        ("   N U R E M B E R G", "   NUREMBERG"),
        (
            "P U B L I S H E D   A T   N U R E M B E R G ,   G E R M A N Y",
            "PUBLISHED AT NUREMBERG, GERMANY",
        ),
        ("1 9 4 7", "1947"),
        ("E D I T O R ’ S   N O T E", "EDITOR’S NOTE"),
        ("I N   T H E", "IN THE"),
    ],
)
def test_letter_spaced_lines_read_as_words(line: str, read: str) -> None:
    assert unspace(line) == read


@pytest.mark.parametrize(
    "line", ["I I did not", "A B C", "a b c d e", "* * * *", "I * * *", "X  Y  Z  W", "Hello"]
)
def test_ordinary_lines_stay(line: str) -> None:
    assert unspace(line) == line
