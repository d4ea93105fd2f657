"""assemble() end to end: sample-exact pauses read back through the test voice's audio code,
chapter marks and tags read back with mutagen, all-or-nothing files, and one-line errors."""

from __future__ import annotations

import errno
import io
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from mutagen.id3 import ID3
from mutagen.mp4 import MP4
from support import ffmpeg_children, process_gone, wait_for

from narrator.assembly import (
    AssemblyResult,
    BookInfo,
    ChapterAudio,
    OutputOptions,
    Pauses,
    Piece,
    assemble,
    encode,
    loudness,
    wav,
)
from narrator.assembly.wav import read_wav_samples
from narrator.errors import AssemblyError, OutputError
from narrator.server import textcode
from narrator.text.boundary import Boundary

RATE = 24_000
PAUSES = Pauses(sentence=0.25, paragraph=0.5, scene=1.0, chapter=1.5, lead_in=0.3, tail=0.7)
ORDER = (Boundary.SENTENCE, Boundary.PARAGRAPH, Boundary.SCENE, Boundary.SENTENCE, Boundary.CHAPTER)
PAUSE_OF = {Boundary.SENTENCE: 0.25, Boundary.PARAGRAPH: 0.5, Boundary.SCENE: 1.0}
JPEG = b"\xff\xd8\xff\xe0" + bytes(60) + b"\xff\xd9"
REPO = Path(__file__).resolve().parents[1]


def make_chapters(root: Path, count: int = 2, per: int = 5) -> list[ChapterAudio]:
    """Chapters of test-voice pieces, each spelling its own chapter and position."""
    root.mkdir(parents=True, exist_ok=True)
    chapters = []
    for c in range(count):
        pieces = []
        for i in range(per):
            text = f"Chapter {c + 1}, piece {i + 1}: the lamp by the window kept burning."
            path = root / f"c{c}p{i}.pcm"
            path.write_bytes(textcode.encode(text))
            pieces.append(Piece(path, text, ORDER[i] if i < per - 1 else Boundary.CHAPTER))
        chapters.append(ChapterAudio(f"Part {c + 1}", lambda pieces=tuple(pieces): iter(pieces)))
    return chapters


def expected_layout(
    chapters: list[ChapterAudio], start: int
) -> tuple[list[tuple[str, int, int]], int]:
    """(text, START-marker sample, sample after END) for each piece of `chapters` laid end to end
    from `start`, using the documented rule; returns the position after the last body too."""
    found, position = [], start
    for number, chapter in enumerate(chapters):
        if number:
            position += round(PAUSES.chapter * RATE)
        pieces = list(chapter.pieces())
        for index, piece in enumerate(pieces):
            length = len(textcode.encode(piece.text)) // 2
            found.append((piece.text, position + textcode.EDGE, position + length - textcode.EDGE))
            position += length
            if index < len(pieces) - 1:
                position += round(PAUSE_OF[piece.boundary] * RATE)
    return found, position


def decoded(pcm: np.ndarray) -> list[tuple[str, int, int]]:
    return [(d.text, d.start, d.end) for d in textcode.decode(pcm.tobytes()) if d.complete]


def ffmpeg_decode(path: Path) -> np.ndarray:
    run = subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-i",
            str(path),
            "-f",
            "s16le",
            "-ac",
            "1",
            "-ar",
            str(RATE),
            "-",
        ],
        capture_output=True,
        check=True,
    )
    return np.frombuffer(run.stdout, dtype="<i2")


def run(tmp_path: Path, **options) -> tuple[AssemblyResult, list[ChapterAudio]]:
    chapters = make_chapters(tmp_path / "store")
    cover = tmp_path / "cover.jpg"
    cover.write_bytes(JPEG)
    book = BookInfo("The Lamp", "A. Writer", cover=cover, year="2024", genre="Fiction")
    opts = OutputOptions(tmp_path / "out", **options)
    return assemble(book, chapters, PAUSES, opts), chapters


def test_chapter_wav_has_every_piece_at_its_sample(tmp_path: Path) -> None:
    result, chapters = run(tmp_path, formats=("wav",), subtitles=())
    wavs = [p for p in result.files if p.suffix == ".wav"]
    assert [p.name for p in wavs] == ["01 - Part 1.wav", "02 - Part 2.wav"]
    for path, chapter in zip(wavs, chapters, strict=True):
        pcm = read_wav_samples(path)
        expected, body_end = expected_layout([chapter], round(PAUSES.lead_in * RATE))
        assert decoded(pcm) == expected
        assert len(pcm) == body_end + round(PAUSES.tail * RATE)


def test_book_wav_separates_chapters_by_the_chapter_pause(tmp_path: Path) -> None:
    result, chapters = run(
        tmp_path, formats=("wav",), per_chapter=False, whole_book=True, subtitles=("srt",)
    )
    assert [p.name for p in result.files] == ["The Lamp.wav", "The Lamp.srt", "The Lamp.qc.json"]
    pcm = read_wav_samples(result.files[0])
    expected, body_end = expected_layout(chapters, round(PAUSES.lead_in * RATE))
    assert decoded(pcm) == expected
    assert len(pcm) == body_end + round(PAUSES.tail * RATE)
    srt = result.files[1].read_text(encoding="utf-8")
    assert srt.count(" --> ") == 10 and "Chapter 2, piece 5" in srt


def test_book_mp3_has_tags_and_chapter_frames_at_the_right_times(tmp_path: Path) -> None:
    result, chapters = run(tmp_path, formats=("mp3",), whole_book=True, subtitles=())
    book = next(p for p in result.files if p.name == "The Lamp.mp3")
    tags = ID3(book)
    assert str(tags["TIT2"]) == "The Lamp" and str(tags["TPE1"]) == "A. Writer"
    assert tags.getall("APIC")[0].data == JPEG
    chaps = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    toc = tags.getall("CTOC")[0]
    assert list(toc.child_element_ids) == [c.element_id for c in chaps]
    _, first_end = expected_layout(chapters[:1], round(PAUSES.lead_in * RATE))
    second_start = first_end + round(PAUSES.chapter * RATE) - round(PAUSES.lead_in * RATE)
    assert [(c.start_time, str(c.sub_frames["TIT2"])) for c in chaps] == [
        (0, "Part 1"),
        (round(second_start * 1000 / RATE), "Part 2"),
    ]
    decoded_len = len(ffmpeg_decode(book))
    _, body_end = expected_layout(chapters, round(PAUSES.lead_in * RATE))
    total = body_end + round(PAUSES.tail * RATE)
    assert chaps[-1].end_time == round(total * 1000 / RATE)
    assert abs(decoded_len - total) < 0.06 * RATE  # encoder padding only
    chapter_tags = ID3(result.files[1])
    assert str(chapter_tags["TRCK"]) == "2/2" and str(chapter_tags["TIT2"]) == "Part 2"
    assert str(chapter_tags["TALB"]) == "The Lamp"


def test_book_m4b_has_chapter_atoms_tags_and_cover(tmp_path: Path) -> None:
    result, chapters = run(
        tmp_path, formats=("m4b",), per_chapter=False, whole_book=True, subtitles=()
    )
    book = result.files[0]
    mp4 = MP4(book)
    _, first_end = expected_layout(chapters[:1], round(PAUSES.lead_in * RATE))
    second_start = (first_end + round(PAUSES.chapter * RATE) - round(PAUSES.lead_in * RATE)) / RATE
    marks = [(round(c.start, 3), c.title) for c in mp4.chapters]
    assert marks == [(0.0, "Part 1"), (round(second_start, 3), "Part 2")]
    assert mp4.tags["\xa9nam"] == ["The Lamp"] and mp4.tags["\xa9ART"] == ["A. Writer"]
    assert bytes(mp4.tags["covr"][0]) == JPEG
    # The audio still decodes after mutagen moved the atoms around.
    _, body_end = expected_layout(chapters, round(PAUSES.lead_in * RATE))
    assert abs(len(ffmpeg_decode(book)) - (body_end + round(PAUSES.tail * RATE))) < 0.1 * RATE


def test_mp3_at_44k_allows_a_higher_bitrate(tmp_path: Path) -> None:
    result, _ = run(
        tmp_path, formats=("mp3",), mp3_bitrate="192k", sample_rate=44100, subtitles=(), qc=False
    )
    assert ID3(result.files[0]).version[:2] == (2, 3)
    info = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(result.files[0])],
        capture_output=True,
        text=True,
    ).stderr
    assert "44100 Hz" in info and "192 kb/s" in info
    assert result.qc is None


def test_loudness_is_normalized_per_chapter(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    chapters = []
    for number, amplitude in enumerate((2000, 12000)):
        t = np.arange(RATE * 3) / RATE
        pcm = (np.sin(2 * np.pi * 440 * t) * amplitude).astype("<i2")
        path = store / f"tone{number}.pcm"
        pcm.tofile(path)
        piece = Piece(path, "a tone", Boundary.CHAPTER)
        chapters.append(ChapterAudio(f"Tone {number}", lambda piece=piece: iter([piece])))
    options = OutputOptions(tmp_path / "out", formats=("wav",), loudness=-20.0, subtitles=())
    result = assemble(BookInfo("Tones"), chapters, PAUSES, options)
    for chapter in result.qc.chapters:
        assert chapter.integrated_lufs == pytest.approx(-20.0, abs=0.3)
        assert chapter.true_peak_dbtp <= -3.0 + 0.1
    assert result.qc.chapters[0].gain_db > 0 > result.qc.chapters[1].gain_db


def test_a_chapter_the_peak_ceiling_keeps_under_the_target_gets_a_note(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    pcm = np.zeros(RATE * 4, dtype="<i2")
    pcm[:: RATE // 4] = 30000  # sparse clicks: loud peaks, little loudness
    path = store / "clicks.pcm"
    pcm.tofile(path)
    piece = Piece(path, "clicks", Boundary.CHAPTER)
    chapters = [ChapterAudio("Clicks", lambda: iter([piece]))]
    options = OutputOptions(tmp_path / "out", formats=("wav",), loudness=-20.0, subtitles=())
    result = assemble(BookInfo("Peaks"), chapters, PAUSES, options)
    reached = result.qc.chapters[0].integrated_lufs
    assert reached < -21.0 and result.qc.chapters[0].true_peak_dbtp <= -3.0 + 0.1
    note = next(n for n in result.notes if "'Clicks'" in n)
    assert "under output.loudness -20" in note and "output.true_peak -3" in note
    assert note in result.qc.notes and note in (tmp_path / "out" / "Peaks.qc.json").read_text()


def test_progress_exception_stops_cleanly(tmp_path: Path) -> None:
    chapters = make_chapters(tmp_path / "store")
    out = tmp_path / "out"
    seen: list[float] = []

    def progress(fraction: float) -> None:
        seen.append(fraction)
        if fraction > 0.5:
            raise KeyboardInterrupt

    options = OutputOptions(out, formats=("mp3", "m4b", "wav"), per_chapter=False, whole_book=True)
    with pytest.raises(KeyboardInterrupt):
        assemble(BookInfo("Stop"), chapters, PAUSES, options, progress)
    assert sorted(os.listdir(out)) == []
    assert seen == sorted(seen)
    assert not ffmpeg_children(os.getpid())


KILL_SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    from narrator.assembly import BookInfo, ChapterAudio, OutputOptions, Pauses, Piece, assemble
    from narrator.text.boundary import Boundary
    piece = Piece(Path({pcm!r}), "long", Boundary.SENTENCE)
    chapter = ChapterAudio("Only", lambda: iter([piece] * 1000))
    def progress(fraction):
        if fraction > 0.005:
            print("started", flush=True)
    options = OutputOptions(
        Path({out!r}), formats=("m4b", "mp3"), whole_book=True, subtitles=("srt",)
    )
    assemble(BookInfo("Killed"), [chapter], Pauses(), options, progress)
""")


def test_killed_assembly_leaves_no_final_file(tmp_path: Path) -> None:
    pcm = tmp_path / "one.pcm"
    pcm.write_bytes(textcode.encode("Twenty seconds of a sentence that repeats." * 7))
    out = tmp_path / "out"
    script = KILL_SCRIPT.format(repo=str(REPO), pcm=str(pcm), out=str(out))
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "started"
    encoders = ffmpeg_children(child.pid)
    assert encoders, "the assembly had no ffmpeg running"
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    # The orphaned ffmpeg sees EOF and finishes its temp file.
    wait_for(lambda: all(map(process_gone, encoders)), "exit of the orphaned ffmpeg", 30)
    names = os.listdir(out)
    assert names and all(name.startswith(".") and name.endswith(".part") for name in names)
    # A later run cleans up the stale temp files of the names it writes.
    chapters = [ChapterAudio("Only", lambda: iter([Piece(pcm, "long", Boundary.CHAPTER)]))]
    assemble(
        BookInfo("Killed"),
        chapters,
        Pauses(),
        OutputOptions(out, formats=("m4b", "mp3"), whole_book=True, subtitles=("srt",), qc=False),
    )
    assert not [name for name in os.listdir(out) if name.endswith(".part")]


def test_errors_are_one_line_with_a_fix(tmp_path: Path) -> None:
    chapters = make_chapters(tmp_path / "store", count=1, per=2)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cases = [
        (OutputOptions(blocker / "sub"), OutputError, "not writable"),
        (OutputOptions(tmp_path / "o", mp3_bitrate="192k"), OutputError, "44100"),
        (OutputOptions(tmp_path / "o", formats=("ogg",)), OutputError, "use wav, mp3, m4b"),
        (OutputOptions(tmp_path / "o", per_chapter=False), OutputError, "set one of them"),
        (OutputOptions(tmp_path / "o", name_template="{chapter}"), OutputError, "unknown field"),
        # the job file's limit holds for every caller, a WAV included
        (OutputOptions(tmp_path / "o", formats=("wav",), sample_rate=96000), OutputError, "48000"),
    ]
    for options, error, words in cases:
        with pytest.raises(error, match=words) as caught:
            assemble(BookInfo("B"), chapters, PAUSES, options)
        assert "\n" not in str(caught.value)


def test_missing_segment_audio_is_an_assembly_error(tmp_path: Path) -> None:
    chapters = make_chapters(tmp_path / "store", count=1, per=2)
    next(iter(chapters[0].pieces())).path.unlink()
    with pytest.raises(AssemblyError, match="re-run the job"):
        assemble(BookInfo("B"), chapters, PAUSES, OutputOptions(tmp_path / "o"))


def test_ffmpeg_failure_is_an_assembly_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch
) -> None:
    chapters = make_chapters(tmp_path / "store", count=1, per=2)
    monkeypatch.setattr(
        encode, "mp3_args", lambda kbps, rate: ["-c:a", "no_such_codec", "-f", "mp3"]
    )
    with pytest.raises(AssemblyError, match="ffmpeg failed"):
        assemble(BookInfo("B"), chapters, PAUSES, OutputOptions(tmp_path / "o", subtitles=()))
    assert os.listdir(tmp_path / "o") == []


class _FullDisk(io.FileIO):
    """A file on a full disk: it opens, but no byte reaches it."""

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _open_on_full_disk(path: Path, mode: str) -> io.BufferedWriter:
    # Buffered like a real file: the header fits the buffer, the first flush of audio fails, and so
    # does the flush in close(), as on a disk that filled up mid-book.
    return io.BufferedWriter(_FullDisk(path, "w"))


@pytest.mark.parametrize("whole_book", [True, False])
def test_full_disk_is_one_error_and_leaves_no_file_and_no_ffmpeg(
    tmp_path: Path, monkeypatch, whole_book: bool
) -> None:
    processes: list[subprocess.Popen] = []

    class RecordedPipe(encode.FfmpegPipe):
        def __init__(self, *args: object) -> None:
            super().__init__(*args)
            processes.append(self._proc)

    monkeypatch.setattr(encode, "FfmpegPipe", RecordedPipe)
    monkeypatch.setattr(loudness, "FfmpegPipe", RecordedPipe)
    monkeypatch.setattr(wav, "open", _open_on_full_disk, raising=False)
    chapters = make_chapters(tmp_path / "store")
    out = tmp_path / "out"
    options = OutputOptions(
        out,
        formats=("wav", "mp3"),
        per_chapter=not whole_book,
        whole_book=whole_book,
        subtitles=("srt", "vtt"),
    )
    with pytest.raises(AssemblyError, match=os.strerror(errno.ENOSPC)) as caught:
        assemble(BookInfo("Full"), chapters, PAUSES, options)
    assert "\n" not in str(caught.value)
    assert os.listdir(out) == []
    assert processes and all(process.poll() is not None for process in processes)
    assert not ffmpeg_children(os.getpid())


def test_empty_chapters_are_skipped_with_a_note(tmp_path: Path) -> None:
    chapters = make_chapters(tmp_path / "store", count=1, per=2)
    chapters.insert(0, ChapterAudio("Empty", lambda: iter(())))
    result = assemble(
        BookInfo("B"), chapters, PAUSES, OutputOptions(tmp_path / "o", formats=("wav",))
    )
    assert [p.name for p in result.files if p.suffix == ".wav"] == ["01 - Part 1.wav"]
    assert "'Empty'" in result.notes[0]
