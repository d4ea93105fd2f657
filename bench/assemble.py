"""Assembler goals, measured side by side in one run.

1. Peak RSS of a synthetic 1-hour and 20-hour book, each assembled in its own child process
   (WAV whole book + SRT + QC meters): goal <= 150 MB and 20h/1h <= 1.3.
3. With --readalong: peak RSS of the read-along output (per-chapter MP3 + EPUB with media
   overlays + timings sidecars + SRT) for a 1-hour and a --long-hours book: goal ratio <= 1.3.
2. MP3 encode speed of `assemble` (whole book, 64 kbps) against raw ffmpeg on the same PCM:
   goal >= 0.8x raw ffmpeg's speed.

Segments are 10 s of noise-modulated tones; a pool of 24 distinct files is reused across the
book (the store holds one file per segment, but content does not matter to memory or speed),
so generating a 20-hour book costs seconds, not gigabytes. Run: python bench/assemble.py
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from narrator.assembly import BookInfo, ChapterAudio, OutputOptions, Pauses, Piece, assemble  # noqa: E402
from narrator.assembly.encode import ffmpeg_exe  # noqa: E402
from narrator.text.boundary import Boundary  # noqa: E402

RATE = 24_000
SEGMENT_SECONDS = 10
POOL = 24
NO_PAUSES = Pauses(0, 0, 0, 0, 0, 0)


def make_pool(directory: Path) -> list[Path]:
    """POOL segment files of 10 s, speech-like in level (tones under a slow envelope plus noise)."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    t = np.arange(SEGMENT_SECONDS * RATE) / RATE
    paths = []
    for number in range(POOL):
        envelope = 0.5 + 0.5 * np.sin(2 * np.pi * (1.5 + number / 10) * t) ** 2
        voice = np.sin(2 * np.pi * (110 + 7 * number) * t) + 0.3 * rng.standard_normal(t.size)
        path = directory / f"seg{number:02d}.pcm"
        (voice * envelope * 4000).astype("<i2").tofile(path)
        paths.append(path)
    return paths


def book(pool: list[Path], hours: float, chapters: int) -> list[ChapterAudio]:
    """A book of `hours`, cut into `chapters`, whose pieces cycle through the pool."""
    per_chapter = round(hours * 3600 / SEGMENT_SECONDS / chapters)
    kinds = (Boundary.SENTENCE, Boundary.SENTENCE, Boundary.PARAGRAPH)

    def pieces_of(chapter: int):
        def pieces():
            for index in range(per_chapter):
                last = index == per_chapter - 1
                boundary = Boundary.CHAPTER if last else kinds[index % 3]
                text = (
                    f"Chapter {chapter} segment {index}: "
                    "a sentence of ordinary length for pace checks."
                )
                yield Piece(pool[(chapter * 7 + index) % POOL], text, boundary, voice="bench")

        return pieces

    return [ChapterAudio(f"Chapter {c + 1}", pieces_of(c)) for c in range(chapters)]


def child(args: argparse.Namespace) -> None:
    """Run one assembly and print its numbers as JSON (peak RSS of this process only)."""
    pool = sorted(Path(args.pool).glob("seg*.pcm"))
    chapters = book(pool, args.hours, args.chapters)
    out = Path(args.out)
    if args.mode == "rss":
        options = OutputOptions(
            out, formats=("wav",), per_chapter=False, whole_book=True, subtitles=("srt",), qc=True
        )
        pauses = Pauses()
    elif args.mode == "epub":
        options = OutputOptions(
            out, formats=("mp3", "epub"), subtitles=("srt",), qc=True, timings=True
        )
        pauses = Pauses()
    else:
        options = OutputOptions(
            out,
            formats=("mp3",),
            per_chapter=False,
            whole_book=True,
            subtitles=(),
            qc=args.mode == "mp3-qc",
        )
        pauses = NO_PAUSES
    start = time.perf_counter()
    result = assemble(BookInfo("Bench Book", "Bench"), chapters, pauses, options)
    elapsed = time.perf_counter() - start
    audio = result.qc.total_seconds if result.qc else args.hours * 3600
    print(
        json.dumps(
            {
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "ffmpeg_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                "seconds": elapsed,
                "audio_seconds": audio,
                "bytes": sum(p.stat().st_size for p in result.files),
            }
        )
    )


def run_child(pool: Path, out: Path, hours: float, chapters: int, mode: str) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        __file__,
        "--child",
        "--pool",
        str(pool),
        "--out",
        str(out),
        "--hours",
        str(hours),
        "--chapters",
        str(chapters),
        "--mode",
        mode,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"child failed: {done.stderr.strip()[-500:]}")
    shutil.rmtree(out)
    return json.loads(done.stdout.strip().splitlines()[-1])


def raw_ffmpeg(pool: Path, work: Path, hours: float, chapters: int) -> float:
    """Seconds raw ffmpeg takes to encode the same PCM (concatenated into one file first)."""
    pcm = work / "book.pcm"
    with open(pcm, "wb") as out:
        for chapter in book(sorted(pool.glob("seg*.pcm")), hours, chapters):
            for piece in chapter.pieces():
                out.write(piece.path.read_bytes())
    start = time.perf_counter()
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-f",
            "s16le",
            "-ar",
            str(RATE),
            "-ac",
            "1",
            "-i",
            str(pcm),
            "-c:a",
            "libmp3lame",
            "-b:a",
            "64k",
            "-f",
            "mp3",
            str(work / "raw.mp3"),
        ],
        check=True,
    )
    elapsed = time.perf_counter() - start
    pcm.unlink()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pool"), parser.add_argument("--out")
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--chapters", type=int, default=12)
    parser.add_argument("--mode", default="rss")
    parser.add_argument("--long-hours", type=float, default=20.0, help="length of the long book")
    parser.add_argument("--readalong", action="store_true", help="measure the epub output only")
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.readalong:
        readalong(args.long_hours)
        return
    with tempfile.TemporaryDirectory(prefix="narrator-bench-") as tmp:
        work = Path(tmp)
        pool_dir = work / "pool"
        make_pool(pool_dir)
        short = run_child(pool_dir, work / "o1", 1.0, 12, "rss")
        long = run_child(pool_dir, work / "o20", args.long_hours, 40, "rss")
        print(
            f"peak RSS, 1 h book:  {short['rss_mb']:6.1f} MB  ({short['seconds']:.1f} s, "
            f"{short['bytes'] / 1e9:.2f} GB written; largest ffmpeg child "
            f"{short['ffmpeg_rss_mb']:.1f} MB)"
        )
        print(
            f"peak RSS, {args.long_hours:g} h book: {long['rss_mb']:6.1f} MB  "
            f"({long['seconds']:.1f} s, "
            f"{long['bytes'] / 1e9:.2f} GB written; largest ffmpeg child "
            f"{long['ffmpeg_rss_mb']:.1f} MB)"
        )
        ratio = long["rss_mb"] / short["rss_mb"]
        print(
            f"RSS {args.long_hours:g}h/1h = {ratio:.2f}  (goal <= 1.3; each <= 150 MB: "
            f"{'met' if ratio <= 1.3 and long['rss_mb'] <= 150 else 'NOT met'})"
        )
        raw = raw_ffmpeg(pool_dir, work, 1.0, 12)
        ours = run_child(pool_dir, work / "mp3", 1.0, 12, "mp3")
        ours_qc = run_child(pool_dir, work / "mp3qc", 1.0, 12, "mp3-qc")
        print(
            f"MP3 64k of 1 h: raw ffmpeg {3600 / raw:.0f}x realtime ({raw:.2f} s), "
            f"assemble {3600 / ours['seconds']:.0f}x ({ours['seconds']:.2f} s) -> "
            f"{raw / ours['seconds']:.2f} of raw speed (goal >= 0.8)"
        )
        print(
            f"  with QC meters on: {3600 / ours_qc['seconds']:.0f}x ({ours_qc['seconds']:.2f} s) "
            "-> "
            f"{raw / ours_qc['seconds']:.2f} of raw speed"
        )


def readalong(long_hours: float) -> None:
    """Peak RSS of per-chapter MP3 + EPUB (+ timings, SRT) for a 1 h and a long book."""
    with tempfile.TemporaryDirectory(prefix="narrator-bench-") as tmp:
        work = Path(tmp)
        make_pool(work / "pool")
        short = run_child(work / "pool", work / "o1", 1.0, 12, "epub")
        long = run_child(work / "pool", work / "oN", long_hours, 40, "epub")
        for hours, got in ((1.0, short), (long_hours, long)):
            print(
                f"read-along peak RSS, {hours:g} h book: {got['rss_mb']:6.1f} MB "
                f"({got['seconds']:.1f} s, {got['bytes'] / 1e9:.2f} GB written)"
            )
        ratio = long["rss_mb"] / short["rss_mb"]
        print(f"read-along RSS {long_hours:g}h/1h = {ratio:.2f}  (goal <= 1.3)")


if __name__ == "__main__":
    main()
