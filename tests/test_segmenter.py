"""Segmenter: nothing lost, nothing doubled, order kept, every segment under the budget."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narrator.errors import SegmenterError
from narrator.text.boundary import Boundary
from narrator.text.paragraphs import is_decoration, split_paragraphs
from narrator.text.segmenter import (
    Segment,
    SegmenterSettings,
    predict_seconds,
    resolve_language,
    segment_chapter,
    split_text,
)
from narrator.text.sentences import _locate, inside_word, sentence_spans, windows

SHORT = SegmenterSettings(max_seconds=4.0)  # 60 characters: forces splitting in small tests


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def spoken(paragraphs: list[str]) -> str:
    return squash("".join(p for p in paragraphs if not is_decoration(p)))


def token_at(text: str, at: int) -> str:
    """The whitespace-delimited token a cut at `at` falls in."""
    return re.search(r"\S*$", text[:at]).group() + re.match(r"\S*", text[at:]).group()


def assert_sound(paragraphs: list[str], segments: list[Segment], config: SegmenterSettings) -> None:
    assert squash("".join(s.text for s in segments)) == spoken(paragraphs)
    last = (-1, 0)
    for seg in segments:
        para = paragraphs[seg.paragraph]
        assert seg.text == para[seg.start : seg.end] == seg.text.strip() != ""
        assert (seg.paragraph, seg.start) >= last  # ordered, never overlapping
        last = (seg.paragraph, seg.end)
        assert seg.seconds <= config.budget_seconds + 1e-9
        assert seg.seconds == pytest.approx(predict_seconds(seg.text, config))
        for cut in (seg.start, seg.end):  # inside a word only for a token longer than a request
            assert not inside_word(para, cut) or len(token_at(para, cut)) > config.budget_chars


def assert_boundaries(paragraphs: list[str], segments: list[Segment]) -> None:
    for seg, after in zip(segments, [*segments[1:], None], strict=False):  # empty: no pairs
        if after is None:
            expected = Boundary.CHAPTER
        elif after.paragraph == seg.paragraph:
            expected = Boundary.SENTENCE
        elif any(is_decoration(p) for p in paragraphs[seg.paragraph + 1 : after.paragraph]):
            expected = Boundary.SCENE
        else:
            expected = Boundary.PARAGRAPH
        assert seg.boundary is expected


words = st.text(
    alphabet=st.characters(categories=("L", "N", "M"), max_codepoint=0x2FFF),
    min_size=1,
    max_size=12,
)
punct = st.sampled_from(
    [
        ".",
        "!",
        "?",
        "!!",
        "??",
        "...",
        "…",
        ",",
        ";",
        ":",
        " — ",
        "—",
        "”",
        '"',
        "(",
        ")",
        "Dr.",
        "e.g.",
        "U.S.",
        "\n",
        "a)",
        "1.",
        "$5.50",
    ]
)
sentence = st.lists(st.one_of(words, words, punct), min_size=1, max_size=30).map(" ".join)
glued = st.lists(st.one_of(words, punct), min_size=1, max_size=12).map("".join)  # no spaces at all
paragraph = st.one_of(
    st.lists(sentence, min_size=1, max_size=8).map(" ".join),
    glued,
    st.sampled_from(
        ["* * *", "***", "---", "#", "====", "  leading space. Then more!!  ", "", "   "]
    ),
)
budgets = st.sampled_from([SHORT, SegmenterSettings(max_seconds=1.0), SegmenterSettings()])


@settings(max_examples=200, deadline=None)
@given(st.lists(paragraph, min_size=0, max_size=6), budgets)
def test_segments_cover_the_text_in_order_fit_the_budget_and_keep_words_whole(paragraphs, config):
    segments = segment_chapter(paragraphs, config)
    assert_sound(paragraphs, segments, config)
    assert_boundaries(paragraphs, segments)
    assert segment_chapter(paragraphs, config) == segments  # deterministic


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=500))
def test_any_text_at_all_is_covered(text):
    paragraphs = split_paragraphs(text)
    segments = segment_chapter(paragraphs, SHORT)
    assert_sound(paragraphs, segments, SHORT)
    assert_boundaries(paragraphs, segments)


@settings(max_examples=100, deadline=None)
@given(st.lists(paragraph, min_size=1, max_size=6), st.data())
def test_editing_one_paragraph_changes_only_its_segments(paragraphs, data):
    index = data.draw(st.integers(0, len(paragraphs) - 1))
    edited = [*paragraphs[:index], data.draw(paragraph), *paragraphs[index + 1 :]]
    key = lambda segs: [(s.paragraph, s.start, s.end, s.text) for s in segs if s.paragraph != index]  # noqa: E731
    assert key(segment_chapter(paragraphs, SHORT)) == key(segment_chapter(edited, SHORT))


def test_boundaries_sentence_paragraph_scene_chapter():
    paragraphs = ["First sentence is here. " * 4, "Short one.", "* * *", "After the break.", "***"]
    segments = segment_chapter(paragraphs, SHORT)
    assert [s.boundary for s in segments] == [
        Boundary.SENTENCE,
        Boundary.PARAGRAPH,
        Boundary.SCENE,
        Boundary.CHAPTER,
    ]
    assert [s.text for s in segments][2:] == ["Short one.", "After the break."]
    assert segment_chapter(["* * *", "---", "  "], SHORT) == []


def test_sentences_are_packed_greedily_but_never_across_paragraphs():
    segments = segment_chapter(["One. Two. Three.", "Four."])
    assert [s.text for s in segments] == ["One. Two. Three.", "Four."]
    assert [s.boundary for s in segments] == [Boundary.PARAGRAPH, Boundary.CHAPTER]
    text = "The cat sat on the mat today. It was warm. The dog barked at the cat. Then both slept."
    packed = segment_chapter([text], SHORT)
    assert [s.text for s in packed] == [
        "The cat sat on the mat today. It was warm.",
        "The dog barked at the cat. Then both slept.",
    ]


def test_abbreviations_do_not_end_a_segment():
    text = "We met Mr. Smith at 5 p.m. yesterday near the U.S. border. " * 3
    ends = [s.text for s in segment_chapter([text], SegmenterSettings(max_seconds=5.0))]
    assert all(e.endswith("border.") for e in ends)


def test_long_sentence_splits_at_clauses_then_words_and_never_joins_a_previous_sentence():
    clauses = "Hi. " + "; ".join(f"clause number {i} goes on for a while" for i in range(6)) + "."
    segments = segment_chapter([clauses], SHORT)
    assert segments[0].text == "Hi."  # not "Hi. clause number 0 ...;": ends at a sentence end
    assert all(s.text.endswith((";", ".")) for s in segments)
    words_only = " ".join(["word"] * 40)
    cut = segment_chapter([words_only], SHORT)
    assert len(cut) > 2 and all(s.text.startswith("word") and s.text.endswith("word") for s in cut)


def test_a_token_longer_than_a_request_is_cut_with_a_warning(caplog):
    url = "https://example.invalid/" + "/".join(["segment"] * 30)
    with caplog.at_level("WARNING", logger="narrator.text.segmenter"):
        segments = segment_chapter([f"See {url} now."], SHORT)
    assert_sound([f"See {url} now."], segments, SHORT)
    assert "longer than one request" in caplog.text
    assert all(s.text.endswith(("/", "now.")) for s in segments[1:])  # cut after a slash


def test_newlines_inside_a_paragraph_do_not_split_sentences():
    text = "I met Mr.\nSmith and his\ndog. They were\nfine."
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "I met Mr.\nSmith and his\ndog.",
        "They were\nfine.",
    ]


def test_chinese_splits_at_its_own_punctuation_without_warnings(caplog):
    text = "我们今天去公园散步，天气很好。" * 12
    config = SegmenterSettings(language="Chinese")
    with caplog.at_level("WARNING", logger="narrator.text.segmenter"):
        segments = segment_chapter([text], config)
    assert_sound([text], segments, config)
    assert len(segments) > 1 and all(s.text.endswith(("。", "，")) for s in segments)
    assert caplog.text == ""


def test_text_pysbd_alters_or_drops_is_split_simply_without_loss():
    chunk = "One here. Two there! Three, four. Five."
    # pysbd returned an altered sentence (Two...) and lost the last one: both fall to the gap
    spans = _locate(chunk, ["One here.", "Two there !", "Three, four."])
    assert [chunk[a:b] for a, b in spans] == ["One here.", "Two there!", "Three, four.", "Five."]
    # a short sentence found far ahead must not swallow what lies between
    long = "Yes. " + "x " * 200 + "Yes."
    spans = _locate(long, ["Yes.", "Yes."])
    assert squash("".join(long[a:b] for a, b in spans)) == squash(long)
    tricky = "  Wait!! What?? Really... yes!!!  No? ?? !! ok."
    assert squash("".join(s.text for s in segment_chapter([tricky], SHORT))) == squash(tricky)


def test_windows_are_bounded_and_cut_at_sentence_ends():
    text = "This is a sentence. " * 2000  # 40 KB, no blank line
    cuts = windows(text, 8000)
    assert all(b - a <= 8000 for a, b in cuts)
    assert cuts[0][0] == 0 and cuts[-1][1] == len(text)
    assert all(text[b - 2 : b] == ". " for _, b in cuts[:-1])
    assert len(sentence_spans(text)) == 2000
    glued = "x" * 20_000  # nowhere safe to cut: windows cut anyway, spans mend the word
    assert sentence_spans(glued) == [(0, 20_000)]


def test_a_200kb_paragraph_is_linear_and_complete():
    unit = "Words follow words, and Dr. Moore follows them; nobody stops. "
    small, big = unit * 400, unit * 3300  # 25 KB and 207 KB
    started = time.process_time()
    segment_chapter([small])
    small_time = time.process_time() - started
    started = time.process_time()
    segments = segment_chapter([big])
    big_time = time.process_time() - started
    assert squash("".join(s.text for s in segments)) == squash(big)
    assert max(s.seconds for s in segments) <= 20.0
    assert big_time < 3 * (len(big) / len(small)) * small_time + 0.5  # quadratic would be ~8x


def test_split_text_prefers_the_middle_sentence_end():
    text = "The first half is right here. And the second half comes after it."
    assert split_text(text, SegmenterSettings()) == [
        "The first half is right here.",
        "And the second half comes after it.",
    ]
    clause = "The first half runs on and on, and the second half follows it closely"
    assert split_text(clause, SegmenterSettings()) == [
        "The first half runs on and on,",
        "and the second half follows it closely",
    ]
    one = "a-very-long-single-sentence without any punctuation at all in it anywhere"
    parts = split_text(one, SegmenterSettings(), parts=3)
    assert len(parts) == 3 and " ".join(parts) == one
    assert split_text("word", SegmenterSettings()) == ["word"]
    assert (
        len(
            split_text(
                "我们今天去公园散步。天气很好，我们很开心。", SegmenterSettings(language="zh")
            )
        )
        == 2
    )


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(st.text(max_size=300), st.lists(paragraph, max_size=3).map(" ".join)),
    st.integers(2, 5),
)
def test_split_text_keeps_every_character_and_splits_two_words(text, parts):
    got = split_text(text, SegmenterSettings(), parts)
    assert squash(" ".join(got)) == squash(text)
    assert all(p == p.strip() for p in got) and len(got) <= parts
    if len(text.split()) >= 2:
        assert len(got) >= 2


@pytest.mark.parametrize(
    "language, code, noted",
    [
        ("English", "en", False),
        ("German", "de", False),
        ("fr", "fr", False),
        ("Auto", "en", True),
        ("Klingon", "en", True),
        ("pt-BR", "en", True),
        ("es-ES", "es", False),
        ("zh_CN", "zh", False),
        ("", "en", True),
    ],
)
def test_language_resolution(language, code, noted):
    got, note = resolve_language(language)
    assert got == code and (note is not None) is noted


def test_predicted_seconds_follow_the_language_rate_and_the_ceiling():
    assert predict_seconds("x" * 150, SegmenterSettings()) == pytest.approx(10.0)
    assert predict_seconds(
        "  a \n\n b  ", SegmenterSettings(chars_per_second=3.0)
    ) == pytest.approx(1.0)
    assert predict_seconds("x" * 140, SegmenterSettings(language="German")) == pytest.approx(10.0)
    assert SegmenterSettings(max_seconds=40).budget_chars == 450  # hard ceiling 30 s
    assert SegmenterSettings(max_seconds=40, ceiling_seconds=10).budget_chars == 150


@pytest.mark.parametrize("field", ["max_seconds", "ceiling_seconds", "chars_per_second"])
@pytest.mark.parametrize("value", [0, -1.0, float("nan"), float("inf")])
def test_bad_settings_name_the_field(field, value):
    with pytest.raises(SegmenterError, match=field):
        SegmenterSettings(**{field: value})


def test_real_transcript_is_covered_bounded_and_cut_at_sentences(transcript_path):
    paragraphs = split_paragraphs(transcript_path.read_text(encoding="utf-8"))
    config = SegmenterSettings()
    segments = segment_chapter(paragraphs, config)
    assert_sound(paragraphs, segments, config)
    assert_boundaries(paragraphs, segments)
    # where a paragraph had to be cut, the cut is at a sentence end, else at a clause (this
    # transcript has many sentences longer than 20 s), and only rarely between two words
    inner = [s for s in segments if s.boundary is Boundary.SENTENCE]
    assert len(inner) > 1000
    at_sentence = sum(1 for s in inner if s.text.endswith(tuple('.?!"”)')))
    at_clause = sum(1 for s in inner if s.text.endswith((",", ";", ":", "-", "—")))
    assert at_sentence > 0.65 * len(inner) and at_sentence + at_clause > 0.97 * len(inner)


def test_a_book_on_one_line_is_cut_at_sentence_ends_never_after_an_abbreviation():
    sentences = [
        "Mr. Smith met Dr. Jones at No. 5 Baker Street.",
        "J. Edgar Hoover said nothing, and the meeting went on for a long time.",
        '"It is over," she said. "We leave at dawn."',
        "Was it true? Nobody knew!",
        "The war ended in 1945. Then the trials began at Nuremberg, before the Tribunal.",
    ]
    line = " ".join(sentences * 200)  # about 55 KB, one paragraph: the long-run path
    assert len(line) > 8_000
    segments = segment_chapter([line])
    budget = SegmenterSettings().budget_chars
    assert squash(" ".join(s.text for s in segments)) == squash(line)
    assert all(len(s.text) <= budget for s in segments)
    for segment in segments:
        assert not re.search(r"\b(Mr|Dr|No|J)\.$", segment.text), segment.text
        assert segment.text.endswith((".", "!", '"')), segment.text  # whole sentences


def test_a_long_single_sentence_in_a_long_line_is_cut_at_clauses():
    clause = "the river ran on past the mill, the bridge and the old church"
    line = "; ".join([clause] * 300) + "."  # one sentence of 19 KB: no sentence end inside
    segments = segment_chapter([line])
    assert squash(" ".join(s.text for s in segments)) == squash(line)
    assert all(len(s.text) <= SegmenterSettings().budget_chars for s in segments)
    assert all(s.text.endswith((";", ",", ".")) for s in segments)


def test_segment_chapter_reports_every_character_once():
    paragraphs = ["Short one.", "* * *", " ".join(["A sentence here."] * 8_000)]  # 136 KB
    counted: list[int] = []
    segment_chapter(paragraphs, progress=counted.append)
    assert sum(counted) == sum(len(p) for p in paragraphs) and len(counted) > 3
