"""What the assembler is asked for (pauses, output options) and the one place their values
are checked.

Every list, limit and rule for these values lives here (name templates in naming.py): the job
file reads YAML into these very dataclasses, uses these limits in its messages and calls these
checks, turning an OutputError into a JobFileError at the same field. Library callers (bench,
`say`, tests) get the same rules from `assemble`.

Where the job file and the assembler once disagreed, the job file's documented limits won:
pauses 0-30 s (a longer silence is a mistake in an audiobook, not a style) and a sample rate of
8-48 kHz for every format (the encoders stop at 48 kHz, and speech at 24 kHz gains nothing from
a WAV above it).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from narrator.assembly.model import SOURCE_RATE
from narrator.assembly.naming import check_template
from narrator.errors import OutputError

AUDIO_FORMATS = ("wav", "mp3", "m4b")
FORMATS = (*AUDIO_FORMATS, "epub")  # epub: the read-along book (see narrator.assembly.epub)
SUBTITLE_FORMATS = ("srt", "vtt")
# The rates both encoders (libmp3lame, aac) accept; a WAV takes any rate in their span.
ENCODER_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
SAMPLE_RATE_RANGE = (ENCODER_RATES[0], ENCODER_RATES[-1])
# MPEG-1 (>= 32 kHz) goes to 320 kbps, MPEG-2 (16-24 kHz) to 160, MPEG-2.5 (<= 12 kHz) to 64.
_MP3_MAX_KBPS = {32000: 320, 16000: 160, 8000: 64}
BITRATE_RANGE = (8, 320)  # kbps
LOUDNESS_RANGE = (-40.0, -5.0)  # LUFS, integrated
TRUE_PEAK_RANGE = (-20.0, 0.0)  # dBTP
PAUSE_RANGE = (0.0, 30.0)  # seconds, each pause
# -24 LUFS: reached by Piper speech (peak-to-loudness about 20-21 dB) under -3 dBTP, which ACX
# asks of audiobooks; -20 is not without a limiter (narrator applies one gain). A job's default.
RECOMMENDED_LOUDNESS = -24.0
_BITRATE = re.compile(r"^(\d+)(k?)$")


@dataclass(frozen=True)
class Pauses:
    """Silence, in seconds, inserted by the assembler (see the rule in narrator.assembly)."""

    sentence: float = 0.35
    paragraph: float = 0.8
    scene: float = 1.6
    chapter: float = 2.0
    lead_in: float = 0.5
    tail: float = 1.0


@dataclass(frozen=True)
class OutputOptions:
    directory: Path  # `output.dir` in a job file
    formats: tuple[str, ...] = ("mp3",)  # any of FORMATS
    per_chapter: bool = True  # one file per chapter
    whole_book: bool = False  # one file for the book, with chapter marks
    name_template: str = "{index:02d} - {title}"  # fields: index, title, book, author
    mp3_bitrate: str = "64k"
    aac_bitrate: str = "64k"
    sample_rate: int = SOURCE_RATE
    loudness: float | None = None  # target LUFS (integrated), None = leave levels alone
    true_peak: float = -3.0  # dBTP ceiling when normalizing
    subtitles: tuple[str, ...] = ("srt",)  # any of srt, vtt
    qc: bool = True
    book_template: str = "{book}"  # the whole-book file's name; same fields
    force: bool = False  # replace files in `directory` that narrator did not write
    timings: bool = False  # a NAME.timings.json sidecar beside each output file

    @property
    def audio_formats(self) -> tuple[str, ...]:
        return tuple(f for f in self.formats if f in AUDIO_FORMATS)


@dataclass(frozen=True)
class Bitrates:
    """The checked bitrates in kbps; 0 for an encoder the options do not use."""

    mp3: int
    aac: int


def check_pauses(pauses: Pauses) -> None:
    """Raise OutputError (field `pauses.<name>`) unless every pause is within PAUSE_RANGE."""
    for name in (f.name for f in dataclasses.fields(pauses)):
        check_range(f"pauses.{name}", getattr(pauses, name), PAUSE_RANGE, " s")


def check_output(options: OutputOptions) -> Bitrates:
    """Catch what the encoders would refuse now, not after hours of synthesis.

    Returns:
        The bitrates the encoders will use.
    Raises:
        OutputError: its field names the option (`output.sample_rate`), its problem the fix.
    """
    _check_choices("output.formats", options.formats, FORMATS, empty=False)
    _check_choices("output.subtitles", options.subtitles, SUBTITLE_FORMATS, empty=True)
    if not (options.per_chapter or options.whole_book):
        raise OutputError(
            "per_chapter and whole_book are both false; set one of them to true", "output"
        )
    check_template(options.name_template)
    check_template(options.book_template, "book_template")
    mp3 = parse_bitrate(options.mp3_bitrate, "mp3_bitrate")
    aac = parse_bitrate(options.aac_bitrate, "aac_bitrate")
    _check_rate(options, mp3)
    if options.loudness is not None:
        check_range("output.loudness", options.loudness, LOUDNESS_RANGE, " LUFS")
    check_range("output.true_peak", options.true_peak, TRUE_PEAK_RANGE, " dBTP")
    # The EPUB carries MP3 when the job writes no MP3 or M4B per chapter.
    uses_mp3 = bool({"mp3", "epub"} & set(options.formats))
    return Bitrates(mp3 if uses_mp3 else 0, aac if "m4b" in options.formats else 0)


def check_range(field: str, value: object, limits: tuple[float, float], unit: str = "") -> None:
    """Raise OutputError unless `value` is a number (not a bool) within `limits`."""
    low, high = limits
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise OutputError(f"must be a number from {low:g} to {high:g}{unit}, got {value!r}", field)


def parse_bitrate(text: str, option: str) -> int:
    """kbps from '64k' or '64000'; OutputError (field `output.<option>`) otherwise."""
    value = str(text).strip()
    match = _BITRATE.match(value)
    low, high = BITRATE_RANGE
    kbps = (int(match[1]) if match[2] else int(match[1]) // 1000) if match else 0
    if not low <= kbps <= high:
        raise OutputError(
            f"{value!r} is not a bitrate from {low}k to {high}k; write it like 64k",
            f"output.{option}",
        )
    return kbps


def mp3_ceiling(rate: int) -> int:
    """The highest MP3 bitrate (kbps) at a sample rate: MPEG-1, 2 and 2.5 differ."""
    return next(top for floor, top in _MP3_MAX_KBPS.items() if rate >= floor)


def _check_rate(options: OutputOptions, mp3_kbps: int) -> None:
    """The sample rate on its own, then with each encoder the formats use."""
    rate = options.sample_rate
    if isinstance(rate, bool) or not isinstance(rate, int):
        raise OutputError(f"must be a whole number of Hz, got {rate!r}", "output.sample_rate")
    check_range("output.sample_rate", rate, SAMPLE_RATE_RANGE, " Hz")
    encoded = [f for f in options.formats if f != "wav"]  # epub carries MP3 or AAC
    if encoded and rate not in ENCODER_RATES:
        nearest = min(ENCODER_RATES, key=lambda r: abs(r - rate))
        raise OutputError(
            f"{rate} Hz cannot be encoded as {'/'.join(encoded)}; use one of "
            f"{', '.join(map(str, ENCODER_RATES))} (nearest: {nearest})",
            "output.sample_rate",
        )
    ceiling = mp3_ceiling(rate)
    if {"mp3", "epub"} & set(options.formats) and mp3_kbps > ceiling:
        raise OutputError(
            f"MP3 at {rate} Hz tops out at {ceiling}k, got {options.mp3_bitrate}; "
            "lower it or set output.sample_rate: 44100",
            "output.mp3_bitrate",
        )


def _check_choices(field: str, chosen: Sequence[str], allowed: Sequence[str], empty: bool) -> None:
    if not chosen and not empty:
        raise OutputError(f"must name at least one of {', '.join(allowed)}", field)
    for index, item in enumerate(chosen):
        if item not in allowed:
            raise OutputError(
                f"unknown value {item!r}; use {', '.join(allowed)}", f"{field}[{index}]"
            )
