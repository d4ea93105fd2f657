"""Word normalization, alignment and scores: each mis-speaking leaves its own mark (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from narrator.server.faults import (
    REPEAT_SENTENCE,
    SKIP_SENTENCE,
    STOP_HALF,
    WRONG_TEXT,
    mis_speak,
)
from narrator.verify.align import MATCH, MISSING, NEAR, align, combine, normalize, score
from narrator.verify.policy import badness, reasons
from narrator.verify.recognizer import joined_words

TEXT = (
    "One morning, when Gregor Samsa woke from troubled dreams, he found himself transformed. "
    "He lay on his armour-like back. He could see his brown belly, slightly domed."
)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Mr. Samsa paid 1,200 marks.", "mister samsa paid one thousand two hundred marks"),
        ("On the 3rd day, 3.5% more!", "on the third day three point five percent more"),
        ("“Don’t,” he said — armour-like.", "dont he said armour like"),
        ("", ""),
        ("Seven o'clock", "seven oclock"),
        ("7 o 'clock, already", "seven oclock already"),  # how Whisper's word pieces join
    ],
)
def test_normalize_spells_numbers_and_drops_punctuation(text: str, words: str) -> None:
    assert normalize(text) == words.split()


def test_the_recognizers_spelling_of_a_name_is_a_near_miss_not_a_gap() -> None:
    heard = TEXT.replace("Gregor Samsa", "Greater Sansa").replace("armour", "armor")
    scores = score(TEXT, heard)
    assert scores.missing_run <= 1 and scores.repeated == scores.trailing == 0
    assert reasons(scores) == ()
    ops = [op for op, _, _ in align(["samsa", "woke"], ["sansa", "woke"])]
    assert ops == [NEAR, MATCH]


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (SKIP_SENTENCE, "missing"),
        (REPEAT_SENTENCE, "repeated"),
        (WRONG_TEXT, "WER"),
        (STOP_HALF, "missing"),
    ],
)
def test_each_mis_speaking_is_flagged_for_what_it_did(kind: str, reason: str) -> None:
    scores = score(TEXT, mis_speak(kind, TEXT))
    assert any(reason in why for why in reasons(scores)), (kind, scores)


def test_speech_past_the_end_and_silence_are_flagged() -> None:
    assert "3 words past the end" in reasons(
        score("He lay on his back.", "He lay on his back, and then some")
    )
    assert reasons(score("He lay on his back.", "", no_speech=True))[0] == "no speech"
    assert reasons(score("", "")) == ()


def test_a_short_text_is_not_flagged_for_a_misheard_word() -> None:
    assert reasons(score("Gregor, listen!", "Greta, listen!")) == ()
    assert reasons(score("Gregor, listen!", "")) == ("no speech",)


def test_a_good_take_beats_a_flagged_one_and_fewer_errors_beat_more() -> None:
    good, bad = score(TEXT, TEXT), score(TEXT, mis_speak(STOP_HALF, TEXT))
    worse = score(TEXT, mis_speak(WRONG_TEXT, TEXT))
    assert badness(good) < badness(bad) < badness(worse)
    assert combine([good, bad]).errors == bad.errors
    assert combine([good, good]).source_words == 2 * good.source_words


@given(
    st.lists(st.sampled_from(["a", "b", "cat", "dog", "the"]), max_size=12),
    st.lists(st.sampled_from(["a", "b", "cat", "dog", "the", "x"]), max_size=12),
)
def test_alignment_covers_both_sides_in_order(source: list[str], heard: list[str]) -> None:
    ops = align(source, heard)
    assert [s for _, s, _ in ops if s >= 0] == list(range(len(source)))
    assert [h for _, _, h in ops if h >= 0] == list(range(len(heard)))
    assert all((op == MISSING) == (h < 0) for op, s, h in ops if s >= 0)
    assert all(source[s] == heard[h] for op, s, h in ops if op == MATCH)


@pytest.mark.parametrize(
    ("text", "heard", "gap"),
    [
        # Dropped stretches that hold a second copy of a word said next to them (bench/verify.py,
        # seed 4): the heard word may pair with either copy; the gap must read as one run.
        (
            "Some day he may ask me about it. Down it all goes.",
            "Someday he may ask me about it.",
            4,
        ),
        (
            '"No, dear," I said; "I don\'t know him; who is it?"',
            "No, dear, I know him, who is it?",
            3,
        ),
        (
            "it is I who would have to go to keep them company.",
            "It is I who to keep them company.",
            4,
        ),
    ],
)
def test_a_dropped_stretch_is_one_gap_when_a_word_repeats_in_it(text, heard, gap) -> None:
    scores = score(text, heard)
    assert scores.missing_run == gap and scores.errors == len(normalize(text)) - len(
        normalize(heard)
    )
    assert "words missing" in " ".join(reasons(scores))


def test_a_takes_text_keeps_whispers_word_pieces_together() -> None:
    # Timed words as faster-whisper gives them: a new word starts with a space, a piece not.
    pieces = [" 7", " o", "'clock,", " half", "-past", " six."]
    assert joined_words(pieces) == "7 o'clock, half-past six."
    assert normalize(joined_words(pieces)) == normalize("seven o'clock, half past six")
