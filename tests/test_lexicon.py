"""The lexicon: ordered substitutions, whole words, case, regex groups."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from narrator.text.lexicon import LexiconRule, apply_lexicon, map_lexicon


def test_rules_apply_in_order_each_seeing_the_last_result():
    rules = (
        LexiconRule("Dr.", "Doctor"),
        LexiconRule("NASA", "N A S A"),
        LexiconRule("cat", "dog", case_sensitive=False),
        LexiconRule(r"(\d+)%", r"\1 percent", regex=True, whole_word=False),
        LexiconRule("Doctor", "Dr"),  # sees the result of the first rule
    )
    text = "Dr. Smith at NASA; CAT, concat and 50% of cats."
    assert apply_lexicon(rules, text) == "Dr Smith at N A S A; dog, concat and 50 percent of cats."
    assert apply_lexicon(tuple(reversed(rules)), "Dr. Doctor") == "Doctor Dr"


def test_whole_word_respects_letters_digits_and_unicode():
    rule = (LexiconRule("Ana", "Anna"),)
    assert (
        apply_lexicon(rule, "Ana, Anas, Banana, Ana's, Ana2, éAna, Ana.")
        == "Anna, Anas, Banana, Anna's, Ana2, éAna, Anna."
    )
    assert apply_lexicon((LexiconRule("ana", "ANA", whole_word=False),), "Banana") == "BANAna"


def test_case_sensitivity():
    assert apply_lexicon((LexiconRule("nasa", "N A S A"),), "NASA nasa") == "NASA N A S A"
    assert (
        apply_lexicon((LexiconRule("nasa", "N A S A", case_sensitive=False),), "NASA Nasa")
        == "N A S A N A S A"
    )


def test_literal_rules_take_text_as_written():
    # regex metacharacters in find and backslashes in replace are plain text unless regex is on
    rules = (LexiconRule("a.b", r"x\1y", whole_word=False),)
    assert apply_lexicon(rules, "a.b acb") == r"x\1y acb"


def test_regex_alternation_stays_inside_the_word_guards():
    rules = (LexiconRule("Mr|Mrs", "Title", regex=True),)
    # without grouping, the guards would bind to one branch only and hit "Mrsx" and "xMr"
    assert apply_lexicon(rules, "Mr and Mrs, not Mrsx or xMr") == "Title and Title, not Mrsx or xMr"


def test_regex_groups_and_flags():
    rules = (LexiconRule(r"(\d+)\s*km", r"\1 kilometres", regex=True, case_sensitive=False),)
    assert apply_lexicon(rules, "5km, 12 KM, km") == "5 kilometres, 12 kilometres, km"


def test_empty_rules_and_empty_replacement():
    assert apply_lexicon((), "unchanged") == "unchanged"
    assert apply_lexicon((LexiconRule("um", ""),), "so um yes") == "so  yes"


def test_check_rejects_bad_patterns_and_replacements():
    with pytest.raises(re.error):
        LexiconRule("(", "x", regex=True).check()
    with pytest.raises(re.error):
        LexiconRule("(a)", r"\2", regex=True).check()
    LexiconRule("(", "x").check()  # literal: fine
    LexiconRule("(a)", r"\1", regex=True).check()


@given(st.text(max_size=40), st.text(min_size=1, max_size=5), st.text(max_size=5))
def test_literal_substring_rule_equals_str_replace(text, find, replace):
    rule = LexiconRule(find, replace, whole_word=False)
    assert apply_lexicon((rule,), text) == text.replace(find, replace)


rules = st.lists(
    st.builds(
        LexiconRule,
        find=st.sampled_from(["a", "ab", "b a", r"(a)(b)?", r"\s+", "c*", "."]),
        replace=st.sampled_from(["", "x", "yy", r"[\1]", "a"]),
        regex=st.booleans(),
        whole_word=st.booleans(),
        case_sensitive=st.booleans(),
    ).filter(lambda r: r.regex or "\\" not in r.replace),
    max_size=4,
)


@given(st.text(alphabet="abcA .", max_size=30), rules)
def test_mapped_lexicon_speaks_the_same_text_and_maps_back(text, found_rules):
    found_rules = [r for r in found_rules if _valid(r)]
    mapped = map_lexicon(found_rules, text)
    assert mapped.source == text and mapped.text == apply_lexicon(found_rules, text)
    if not found_rules or mapped.text == text:
        assert mapped.source_span(0, len(text)) == (0, len(text))


def _valid(rule: LexiconRule) -> bool:
    try:
        rule.check()
    except (re.error, IndexError):
        return False
    return True


def test_mapped_lexicon_maps_a_replaced_name_to_its_source():
    rules = [LexiconRule("Hermione", "Her-my-oh-nee"), LexiconRule("oh", "o")]
    mapped = map_lexicon(rules, "Ask Hermione now.")
    assert mapped.text == "Ask Her-my-o-nee now."
    start = mapped.text.index("Her")
    assert mapped.source_span(start, start + 3) == (4, 12)
    assert mapped.source_span(mapped.text.index("now"), len(mapped.text)) == (13, 17)
