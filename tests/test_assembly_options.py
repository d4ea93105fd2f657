"""The assembler's options and their one set of rules, for the job file and library callers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from narrator.assembly.options import (
    Bitrates,
    OutputOptions,
    Pauses,
    check_output,
    check_pauses,
    parse_bitrate,
)
from narrator.errors import JobFileError, OutputError
from narrator.jobfile import load_job


@pytest.mark.parametrize(("text", "kbps"), [("64k", 64), ("128000", 128), (" 96k ", 96)])
def test_bitrates_parse(text: str, kbps: int) -> None:
    assert parse_bitrate(text, "mp3_bitrate") == kbps


@pytest.mark.parametrize("text", ["fast", "64kbps", "1k", "999k", ""])
def test_bad_bitrates_name_the_option_and_the_fix(text: str) -> None:
    with pytest.raises(OutputError) as caught:
        parse_bitrate(text, "mp3_bitrate")
    assert caught.value.field == "output.mp3_bitrate"
    assert str(caught.value).startswith("output.mp3_bitrate: ")
    assert "from 8k to 320k; write it like 64k" in caught.value.problem


def test_the_checked_bitrates_are_those_the_formats_use(tmp_path: Path) -> None:
    assert check_output(OutputOptions(tmp_path, mp3_bitrate="160k")) == Bitrates(160, 0)
    both = OutputOptions(tmp_path, formats=("mp3", "m4b"), sample_rate=44100, mp3_bitrate="320k")
    assert check_output(both) == Bitrates(320, 64)
    assert check_output(OutputOptions(tmp_path, formats=("epub",))) == Bitrates(64, 0)
    assert check_output(OutputOptions(tmp_path, formats=("wav",), sample_rate=23000)) == Bitrates(
        0, 0
    )


@pytest.mark.parametrize(
    ("options", "field", "words"),
    [
        ({"mp3_bitrate": "192k"}, "output.mp3_bitrate", "tops out at 160k"),
        ({"mp3_bitrate": "96k", "sample_rate": 12000}, "output.mp3_bitrate", "tops out at 64k"),
        ({"sample_rate": 23500}, "output.sample_rate", "nearest: 24000"),
        ({"formats": ("m4b",), "sample_rate": 12345}, "output.sample_rate", "as m4b"),
        ({"formats": ("wav",), "sample_rate": 96000}, "output.sample_rate", "8000 to 48000"),
        ({"formats": ("wav",), "sample_rate": 24000.5}, "output.sample_rate", "whole number"),
        ({"formats": ()}, "output.formats", "at least one of wav, mp3, m4b, epub"),
        ({"formats": ("mp3", "ogg")}, "output.formats[1]", "use wav, mp3, m4b, epub"),
        ({"subtitles": ("ass",)}, "output.subtitles[0]", "use srt, vtt"),
        ({"whole_book": False, "per_chapter": False}, "output", "set one of them to true"),
        ({"book_template": "../{book}"}, "output.book_template", "unsafe"),
        ({"loudness": -3.0}, "output.loudness", "from -40 to -5 LUFS"),
        ({"true_peak": math.nan}, "output.true_peak", "from -20 to 0 dBTP"),
    ],
)
def test_each_refusal_names_its_field_and_the_fix(
    tmp_path: Path, options: dict, field: str, words: str
) -> None:
    with pytest.raises(OutputError) as caught:
        check_output(OutputOptions(tmp_path, **options))
    assert caught.value.field == field and words in caught.value.problem
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("seconds", [-0.1, 30.01, math.inf, math.nan, True, "1"])
def test_pauses_are_zero_to_thirty_seconds(seconds: object) -> None:
    check_pauses(Pauses(sentence=0, chapter=30))
    with pytest.raises(OutputError) as caught:
        check_pauses(Pauses(scene=seconds))  # type: ignore[arg-type]
    assert caught.value.field == "pauses.scene" and "from 0 to 30 s" in caught.value.problem


@pytest.mark.parametrize(
    "output",
    [
        "{mp3_bitrate: 192k}",
        "{sample_rate: 23500}",
        "{name_template: '../{title}'}",
        "{per_chapter: false}",
        "{aac_bitrate: fast, formats: [m4b]}",
    ],
)
def test_the_job_file_reports_the_assemblers_own_message(tmp_path: Path, output: str) -> None:
    (tmp_path / "a.txt").write_text("Hello.\n", encoding="utf-8")
    job = tmp_path / "book.yaml"
    job.write_text(f"title: T\nsources: [a.txt]\noutput: {output}\n", encoding="utf-8")
    with pytest.raises(JobFileError) as caught:
        load_job(job)
    refusal = caught.value.__cause__
    assert isinstance(refusal, OutputError)
    assert str(caught.value) == f"{job}: {refusal}"
