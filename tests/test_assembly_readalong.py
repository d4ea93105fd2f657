"""Read-along: timings, the EPUB 3 with media overlays, and what a reading system would do with it.

End to end through the real local server and the `test` voice (its PCM spells its text), so a
clip cut out of the WAV at the SMIL's clipBegin/clipEnd can be decoded back into the words its
<par> highlights.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import anyio
import numpy as np
import pytest
import support
from support import KEY_ENV

from narrator.assembly.encode import ffmpeg_exe
from narrator.assembly.model import Piece, SourceRef
from narrator.assembly.readalong import chapter_text, clock, xhtml
from narrator.assembly.timings import Timing, part_sources, split_span
from narrator.assembly.wav import read_wav_samples
from narrator.errors import JobFileError
from narrator.jobfile import load_job
from narrator.pipeline import RunOptions, run_job
from narrator.server.textcode import EDGE, decode
from narrator.text.boundary import Boundary

REPO = Path(__file__).resolve().parents[1]
BOOKS = REPO / "tests" / "data" / "books"
RATE = 24_000
MP3_FRAME = 576  # samples per MPEG-2 layer III frame (24 kHz)
NS = {"s": "http://www.w3.org/ns/SMIL", "h": "http://www.w3.org/1999/xhtml"}
JAVA = shutil.which("java")


# -- helpers ----------------------------------------------------------------------------------


def run_book(folder: Path, job_text: str) -> list[Path]:
    """Run a job through a real local server (test voice); the files it wrote."""

    async def main() -> list[Path]:
        async with support.job_server(patch) as srv:
            job = folder / "book.yaml"
            # The test voice's audio decodes to the spoken text: with normalization off it
            # is the text as written, which the clips are checked against.
            text = "normalize: false\n" + job_text.replace("URL", srv.url)
            job.write_text(text.replace("KEY", KEY_ENV), encoding="utf-8")
            summary = await run_job(load_job(job), RunOptions())
        assert summary.complete
        return list(summary.files)

    with pytest.MonkeyPatch.context() as patch:  # the server's key, for this run only
        return anyio.run(main)


def seconds_of(value: str) -> float:
    hours, minutes, secs = value.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(secs)


def samples_of(value: str) -> int:
    return round(seconds_of(value) * RATE)


@dataclass(frozen=True)
class Par:
    fragment: str
    audio: str
    begin: int
    end: int


def overlay(book: zipfile.ZipFile, stem: str) -> list[Par]:
    root = ElementTree.fromstring(book.read(f"EPUB/{stem}.smil"))
    pars = []
    for par in root.iter(f"{{{NS['s']}}}par"):
        text, audio = par.find("s:text", NS), par.find("s:audio", NS)
        pars.append(
            Par(
                text.get("src").split("#")[1],
                audio.get("src"),
                samples_of(audio.get("clipBegin")),
                samples_of(audio.get("clipEnd")),
            )
        )
    return pars


def fragments(book: zipfile.ZipFile, stem: str) -> dict[str, str]:
    root = ElementTree.fromstring(book.read(f"EPUB/{stem}.xhtml"))
    return {e.get("id"): "".join(e.itertext()) for e in root.iter() if e.tag.endswith("span")}


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def decode_audio(data: bytes, folder: Path, suffix: str = ".mp3") -> np.ndarray:
    """Decode with ffmpeg, which honours LAME's gapless header and MP4's edit list."""
    path = folder / f"probe{suffix}"
    path.write_bytes(data)
    pcm = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(pcm, dtype="<i2")


def epubcheck(paths: list[Path]) -> list[str]:
    """EPUBCheck's report for each EPUB (the JVMs run side by side: each takes a while)."""
    jar = shutil.which("epubcheck")
    assert jar, "EPUBCheck is missing: apt-get install epubcheck (see .ci/run)"
    runs = [
        subprocess.Popen(
            [JAVA, "-XX:TieredStopAtLevel=1", "-jar", os.path.realpath(jar), str(p)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for p in paths
    ]
    return [run.communicate(timeout=240)[0] for run in runs]


def clean(report: str) -> bool:
    return "0 fatals / 0 errors / 0 warnings" in report or "No errors or warnings" in report


# -- a ~300-segment book, run once for the module ---------------------------------------------

SENTENCES = 5
PARAGRAPHS = 20
PARTS = 3


def many_segments_markdown() -> str:
    out = []
    for part in range(1, PARTS + 1):
        out.append(f"# Part {part}\n")
        for p in range(PARAGRAPHS):
            said = [f"Bell {part}.{p}.{s} rang." for s in range(SENTENCES)]
            out.append(" ".join(said) + "\n")
    return "\n".join(out)


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> tuple[Path, list[Path]]:
    folder = tmp_path_factory.mktemp("many")
    (folder / "bells.md").write_text(many_segments_markdown(), encoding="utf-8")
    files = run_book(
        folder,
        """title: Bells
author: A. Ringer
narrator: Test Voice
sources: [{path: bells.md, split: headings}]
voice: {config_id: test}
server: {url: "URL", api_key_env: KEY}
synthesis: {concurrency: 4, max_segment_seconds: 1}
output: {formats: [wav, mp3, epub], loudness: null, subtitles: [srt, vtt], timings: true}
""",
    )
    return folder, files


def test_every_clip_of_a_300_segment_book_decodes_to_its_fragment(many) -> None:
    _, files = many
    book = zipfile.ZipFile(next(f for f in files if f.suffix == ".epub"))
    wavs = sorted(f for f in files if f.suffix == ".wav")
    assert len(wavs) == PARTS
    checked = 0
    for number, wav in enumerate(wavs, 1):
        pcm = read_wav_samples(wav)
        shown = fragments(book, f"c{number:03d}")
        pars = overlay(book, f"c{number:03d}")
        for par in pars:
            found = decode(pcm[par.begin : par.end].tobytes())
            assert found and all(d.complete for d in found), f"{par} cuts a segment"
            assert words(" ".join(d.text for d in found)) == words(shown[par.fragment])
        checked += len(pars)
        # The clips tile the chapter file: no gap, no overlap, and they end where it ends.
        assert pars[0].begin == 0 and pars[-1].end == len(pcm)
        assert all(a.end == b.begin for a, b in itertools.pairwise(pars))
    assert checked >= 300


def test_the_title_is_the_one_heading_even_after_the_opening_credit(many) -> None:
    """Chapter 1 speaks the credit, then its title: the page shows the credit, then the title
    as its only heading (not a second, unhighlighted copy of it)."""
    _, files = many
    book = zipfile.ZipFile(next(f for f in files if f.suffix == ".epub"))
    for number in (1, 2):
        root = ElementTree.fromstring(book.read(f"EPUB/c{number:03d}.xhtml"))
        section = next(e for e in root.iter() if e.tag.endswith("section"))
        blocks = [(e.tag.split("}")[1], words("".join(e.itertext()))) for e in section]
        headings = [text for tag, text in blocks if tag == "h1"]
        assert headings == [f"Part {number}."], blocks[:3]
        if number == 1:
            assert blocks[0][0] == "p" and "A. Ringer" in blocks[0][1]  # the credit
            assert blocks[1] == ("h1", "Part 1.")


def test_clips_sum_to_each_file_and_the_epub_mp3_matches_the_wav(many, tmp_path) -> None:
    _, files = many
    epub = next(f for f in files if f.suffix == ".epub")
    book = zipfile.ZipFile(epub)
    opf = book.read("EPUB/content.opf").decode()
    total = 0
    for number, wav in enumerate(sorted(f for f in files if f.suffix == ".wav"), 1):
        stem = f"c{number:03d}"
        samples = len(read_wav_samples(wav))
        pars = overlay(book, stem)
        assert abs(sum(p.end - p.begin for p in pars) - samples) < MP3_FRAME
        declared = re.search(rf'refines="#{stem}-overlay">([^<]+)<', opf).group(1)
        assert abs(samples_of(declared) - samples) < MP3_FRAME
        inside = book.read(f"EPUB/{pars[0].audio}")
        assert inside == wav.with_suffix(".mp3").read_bytes()  # the chapter's own MP3, as is
        assert abs(len(decode_audio(inside, tmp_path)) - samples) < MP3_FRAME
        total += samples
    declared = re.search(r'<meta property="media:duration">([^<]+)<', opf).group(1)
    assert abs(samples_of(declared) - total) < MP3_FRAME
    assert "media:active-class" in opf and ">Test Voice</dc:contributor>" in opf


def test_timings_sidecar_holds_the_exact_samples(many) -> None:
    _, files = many
    wav = min(f for f in files if f.suffix == ".wav")
    sidecar = json.loads(wav.with_suffix(".timings.json").read_text(encoding="utf-8"))
    found = decode(read_wav_samples(wav).tobytes())
    entries = sidecar["segments"]
    assert sidecar["samples"] == len(read_wav_samples(wav)) and len(entries) == len(found)
    for entry, spoken in zip(entries, found, strict=True):
        # The test voice puts its START marker EDGE samples into a segment, END as far from its end.
        assert spoken.start == entry["start_sample"] + EDGE
        assert spoken.end == entry["end_sample"] - EDGE
        assert spoken.text == entry["spoken_text"] == entry["source_text"]
        assert entry["start_seconds"] == round(entry["start_sample"] / RATE, 6)
        assert entry["chapter"] == 1 and entry["source"]["file"].endswith("bells.md")
    srt = wav.with_suffix(".srt").read_text(encoding="utf-8")
    assert srt.count(" --> ") == len(entries)
    assert f"\n{entries[1]['source_text']}\n" in srt


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian chromium")
def test_chromium_renders_a_chapter_without_console_errors(many, tmp_path) -> None:
    _, files = many
    with zipfile.ZipFile(next(f for f in files if f.suffix == ".epub")) as book:
        book.extractall(tmp_path / "book")
    page = tmp_path / "book" / "EPUB" / "c001.xhtml"
    result = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'id="s0001"' in result.stdout and ">Bell 1.0.0<" in result.stdout, result.stdout[:800]
    assert "parsererror" not in result.stdout
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line]
    assert not console, console


# -- EPUBCheck on the lantern sample and a real book -------------------------------------------

LANTERN = REPO / "sample_texts" / "lantern"


def lantern_job(folder: Path) -> str:
    cover = folder / "cover.png"
    cover.write_bytes(_png())
    sources = "\n".join(
        f"  - {LANTERN / name}"
        for name in ("01-arrival.txt", "02-market.md", "03-river.html", "04-night.epub")
    )
    return f"""title: The Lantern Bridge
author: narrator sample texts
cover: cover.png
sources:
{sources}
voice: {{config_id: test}}
server: {{url: "URL", api_key_env: KEY}}
synthesis: {{concurrency: 4}}
lexicon:
  - {{find: Halloway, replace: Hallo-way}}
  - {{find: '(\\d+)%', replace: '\\1 percent', regex: true, whole_word: false}}
output: {{formats: [m4b, epub], loudness: null, subtitles: [vtt], timings: true}}
"""


def real_book_job(folder: Path) -> str:
    text = (BOOKS / "pg5200_metamorphosis.txt").read_text(encoding="utf-8")
    paragraphs = re.split(r"\r?\n\s*\r?\n", text.strip())
    (folder / "I.txt").write_text("\n\n".join(["I", *paragraphs[:4]]), encoding="utf-8")
    (folder / "II.txt").write_text("\n\n".join(["II", *paragraphs[4:7]]), encoding="utf-8")
    return """title: Metamorphosis
author: Franz Kafka
sources: [{path: I.txt, title: I}, {path: II.txt, title: II}]
voice: {config_id: test, language: en}
server: {url: "URL", api_key_env: KEY}
synthesis: {concurrency: 4}
output: {formats: [wav, epub], loudness: null, subtitles: []}
"""


def _png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x80\x40\x20" * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.mark.skipif(JAVA is None, reason="EPUBCheck needs Java")
def test_epubcheck_passes_the_lantern_sample_and_a_real_book(tmp_path) -> None:
    lantern, real = tmp_path / "lantern", tmp_path / "real"
    lantern.mkdir()
    real.mkdir()
    lantern_files = run_book(lantern, lantern_job(lantern))
    real_files = run_book(real, real_book_job(real))
    books = [next(f for f in fs if f.suffix == ".epub") for fs in (lantern_files, real_files)]
    with zipfile.ZipFile(books[0]) as book:
        names = book.namelist()
        assert names[0] == "mimetype" and "EPUB/cover.png" in names
        assert sum(n.endswith(".m4a") for n in names) == 4  # the job's own AAC chapters
        for n in range(1, 5):
            pars = overlay(book, f"c{n:03d}")
            aac = decode_audio(book.read(f"EPUB/{pars[0].audio}"), tmp_path, ".m4a")
            assert abs(len(aac) - pars[-1].end) < 1024  # one AAC frame
    with zipfile.ZipFile(books[1]) as book:
        assert sum(n.endswith(".mp3") for n in book.namelist()) == 2  # encoded for the EPUB
    assert not [p for p in real.glob("out/**/*") if ".epub.mp3" in p.name]
    for path, report in zip(books, epubcheck(books), strict=True):
        assert clean(report), f"{path.name}:\n{report}"


# -- the pieces ----------------------------------------------------------------------------------


def test_clock_values_carry_microseconds_so_samples_come_back_exactly() -> None:
    assert clock(0) == "0:00:00.000000"
    assert clock(24_000 * 3661 + 1) == "1:01:01.000042"
    for samples in (1, 23, 24_001, 86_400 * 24_000 - 1):
        assert samples_of(clock(samples)) == samples


def test_split_parts_get_their_own_words_or_share_the_segment() -> None:
    paragraph = "Intro. The long sentence, cut in two here, ends now. Outro."
    where = (3, 7, 52)
    found = part_sources(
        "a.txt", paragraph, where, 5, ["The long sentence,", "cut in two here, ends now."]
    )
    assert [paragraph[r.start : r.end] for r in found] == [
        "The long sentence,",
        "cut in two here, ends now.",
    ]
    assert [(r.part, r.parts, r.segment, r.paragraph) for r in found] == [
        (0, 2, 5, 3),
        (1, 2, 5, 3),
    ]
    # Words the lexicon changed cannot be found: each part keeps the whole segment's span.
    shared = part_sources("a.txt", paragraph, where, 5, ["The long sentence,", "cut in 2 here"])
    assert {(r.start, r.end) for r in shared} == {(7, 52)}
    assert split_span("a b", 0, ["a", ""]) is None
    assert part_sources("a.txt", paragraph, where, 0, ["x"]) == [
        SourceRef("a.txt", 3, 7, 52, paragraph[7:52], 0, 0, 1)
    ]


def test_job_file_accepts_epub_and_timings(tmp_path) -> None:
    (tmp_path / "a.txt").write_text("Hello.", encoding="utf-8")
    job = tmp_path / "job.yaml"
    job.write_text(
        "sources: [a.txt]\nnarrator: Jo\noutput: {formats: [epub], timings: true}\n",
        encoding="utf-8",
    )
    loaded = load_job(job)
    assert loaded.output.formats == ("epub",) and loaded.output.timings and loaded.narrator == "Jo"
    job.write_text("sources: [a.txt]\noutput: {formats: [epub], timings: 3}\n", encoding="utf-8")
    with pytest.raises(JobFileError, match="output.timings"):
        load_job(job)


def test_overlapping_spans_become_one_fragment_and_clips_tile_the_file() -> None:
    text = ("Title.", "Dr. Lee came. He sat.", "End.")

    def timed(n: int, where: tuple[int, int, int], start: int, end: int) -> Timing:
        paragraph, a, b = where
        ref = SourceRef("f", paragraph, a, b, text[paragraph][a:b], n)
        return Timing(1, "T", Piece(Path("x"), "spoken", Boundary.SENTENCE, "", ref), start, end)

    # The lexicon rewrote paragraph 1, so both of its segments carry the whole paragraph.
    timings = [
        timed(0, (0, 0, 6), 100, 200),
        timed(1, (1, 0, 21), 300, 400),
        timed(2, (1, 0, 21), 500, 600),
        timed(3, (2, 0, 4), 700, 800),
    ]
    chapter = chapter_text("T", text, 0, timings, 1000)
    assert [(f.paragraph, f.start, f.end, f.clip_begin, f.clip_end) for f in chapter.fragments] == [
        (0, 0, 6, 0, 300),
        (1, 0, 21, 300, 700),
        (2, 0, 4, 700, 1000),
    ]
    page = xhtml(chapter, "en")
    assert '<h1><span id="s0001">Title.</span></h1>' in page
    assert '<p><span id="s0002">Dr. Lee came. He sat.</span></p>' in page
    assert page.count("<span") == 3
    # Without a text as written, the spoken words are shown (and still timed).
    bare = chapter_text("T", (), None, timings, 1000)
    assert "<h1>T</h1>" in xhtml(bare, "en") and len(bare.fragments) == 4


def test_segments_split_at_synthesis_are_highlighted_part_by_part(tmp_path) -> None:
    # The voice speaks three times slower than predicted: segments come back cut at the cap
    # and are re-split, so stored pieces no longer match planned segments one to one.
    text = " ".join(f"Sentence number {i} is here to take up time." for i in range(40))
    (tmp_path / "long.txt").write_text(text, encoding="utf-8")
    files = run_book(
        tmp_path,
        """title: Long
sources: [{path: long.txt, title: Long}]
voice: {config_id: test, params: {chars_per_second: 5}}
server: {url: "URL", api_key_env: KEY}
output: {formats: [wav, epub], loudness: null, subtitles: [], timings: true}
""",
    )
    wav = next(f for f in files if f.suffix == ".wav")
    entries = json.loads(wav.with_suffix(".timings.json").read_text(encoding="utf-8"))["segments"]
    split = [e for e in entries if e["source"]["parts"] > 1]
    assert split, "the voice was meant to force re-splits"
    for entry in entries:  # every part found its own words in the source
        assert entry["source_text"] == entry["spoken_text"].strip()
    pcm = read_wav_samples(wav)
    with zipfile.ZipFile(next(f for f in files if f.suffix == ".epub")) as book:
        shown, pars = fragments(book, "c001"), overlay(book, "c001")
    assert len(pars) == len(entries)
    for par in pars:
        found = decode(pcm[par.begin : par.end].tobytes())
        assert words(" ".join(d.text for d in found)) == words(shown[par.fragment])


@pytest.mark.parametrize(
    ("formats", "per_chapter", "whole_book"),
    [(("epub",), True, False), (("wav", "epub"), False, True)],
)
def test_an_epub_without_mp3_outputs_gets_its_own_mp3_and_leaves_nothing_else(
    tmp_path, formats, per_chapter, whole_book
) -> None:
    from narrator.assembly import BookInfo, ChapterAudio, OutputOptions, Pauses, assemble
    from narrator.server.textcode import encode

    said = ["One.", "Two words.", "Three more words."]
    for n, text in enumerate(said):
        (tmp_path / f"{n}.pcm").write_bytes(encode(text))

    def pieces():
        for n, text in enumerate(said):
            yield Piece(tmp_path / f"{n}.pcm", text, Boundary.SENTENCE)

    out = tmp_path / "out"
    options = OutputOptions(
        out, formats=formats, per_chapter=per_chapter, whole_book=whole_book, qc=False
    )
    chapters = [ChapterAudio("A", pieces), ChapterAudio("B", pieces)]
    result = assemble(BookInfo("Book"), chapters, Pauses(), options)
    expected = {"Book.epub"} | ({"Book.wav", "Book.srt"} if whole_book else set())
    assert (
        {p.name for p in out.iterdir()} - {".narrator-outputs.json"}
        == expected
        == {p.name for p in result.files}
    )
    with zipfile.ZipFile(out / "Book.epub") as book:
        assert [n for n in book.namelist() if n.endswith(".mp3")] == [
            "EPUB/c001.mp3",
            "EPUB/c002.mp3",
        ]
        assert words(" ".join(fragments(book, "c002").values())) == " ".join(said)
