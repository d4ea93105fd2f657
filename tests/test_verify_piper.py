"""Proof-listening with the real `joe` voice and the real recognizer (Whisper tiny.en), via the CLI.

A short passage of Metamorphosis is narrated by `narrator serve --engine joe` told to mis-speak
its first four requests (drop a stretch, repeat, say a different text, stop half-way). `narrator
run` with `verify: report` must flag those four, `narrator verify --fix` must repair them, and the
next `narrator run` assembles the repaired book with a clean QC verification section.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "tests" / "data" / "books" / "pg5200_metamorphosis.txt"
KEY = "sk-verify-piper-test-key"


def passage() -> str:
    """Two paragraphs of the book's first page, as the file has them."""
    text = BOOK.read_text(encoding="utf-8")
    start = text.index("The bedding was hardly")
    return text[start : text.index("His room,", start)].strip() + "\n"


def env() -> dict[str, str]:
    values = dict(os.environ, NARRATOR_PIPER_KEY=KEY, HF_HUB_OFFLINE="1")
    values["PYTHONPATH"] = str(REPO) + os.pathsep + values.get("PYTHONPATH", "")
    return values


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "narrator.cli", *args],
        capture_output=True, text=True, env=env(), timeout=240,
    )  # fmt: skip


@pytest.mark.piper
def test_verify_finds_the_real_voices_mis_speakings_and_fix_repairs_them(tmp_path):
    (tmp_path / "book.txt").write_text(passage(), encoding="utf-8")
    serve = subprocess.Popen(
        [sys.executable, "-m", "narrator.cli", "serve", "--port", "0", "--engine", "joe",
         "--api-key", KEY, "--fault-script", "skip_sentence,repeat_sentence,wrong_text,stop_half"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env(),
    )  # fmt: skip
    try:
        url = serve.stdout.readline().split("listening on ")[1].split()[0]
        job = tmp_path / "book.yaml"
        job.write_text(
            f"sources: [{{path: book.txt, title: Gregor, split: none}}]\nvoice: joe\n"
            f"speak_titles: false\nverify: report\n"
            f"server: {{url: '{url}', api_key_env: NARRATOR_PIPER_KEY}}\n"
            "synthesis: {concurrency: 1, max_segment_seconds: 6}\n"
            "output: {formats: [wav], loudness: null, subtitles: []}\n",
            encoding="utf-8",
        )
        first = cli("run", str(job))
        assert first.returncode == 0, first.stderr
        report = qc_verification(tmp_path)
        assert report["book"]["segments"] == 4 and report["book"]["flagged"] >= 4
        assert [s["segment"] for s in report["still_bad"]] == [1, 2, 3, 4]

        fixed = cli("verify", str(job), "--fix")
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr
        assert re.search(r"4 fixed, 0 still bad", fixed.stdout), fixed.stdout

        again = cli("run", str(job))
        assert again.returncode == 0, again.stderr
        assert qc_verification(tmp_path)["book"]["still_bad"] == 0
        status = cli("status", str(job))
        assert "verification: 4/4 segments heard, 4 flagged, 4 fixed, 0 still bad" in status.stdout
    finally:
        serve.send_signal(signal.SIGINT)
        serve.communicate(timeout=30)


def qc_verification(folder: Path) -> dict:
    (path,) = (folder / "out" / "book").glob("*.qc.json")
    return json.loads(path.read_text(encoding="utf-8"))["verification"]
