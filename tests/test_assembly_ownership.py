"""Output folders shared and reused: concurrent runs, foreign files, up-to-date outputs.

Every run here goes through the CLI with the embedded local server (a real loopback
WebSocket on port 0) and the `test` voice, whose audio decodes back to its text.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import wave
from pathlib import Path

import support

import narrator.cli.jobs  # imported before forking: the children skip the imports
import narrator.cli.say
import narrator.cli.serve  # noqa: F401
from narrator.assembly import ownership
from narrator.cli import main
from narrator.server.textcode import decode

TEXT = "CHAPTER I\n\nThe first door.\n\nCHAPTER II\n\nThe second door, a little further."
SPOKEN = "CHAPTER One. The first door. CHAPTER Two. The second door, a little further."


def write_job(folder: Path, name: str, workspace: str, out: str = "out/shared") -> Path:
    return support.write_job(
        folder,
        name=f"{name}.yaml",
        title="T",
        sources="[a.txt]",
        workspace=workspace,
        output=f"{{dir: {out}, formats: [wav, mp3], whole_book: true, loudness: null, "
        "subtitles: [srt]}",
    )


def spoken(path: Path) -> str:
    with wave.open(str(path)) as w:
        return " ".join(d.text for d in decode(w.readframes(w.getnframes())))


def test_two_jobs_sharing_an_output_folder_both_succeed(tmp_path: Path) -> None:
    """Two workspaces, one output.dir, started together; ten such pairs, run side by side.

    Each run is its own process (forked, so the imports are not paid twenty times): every run
    exits 0, and every output holds the right audio.
    """
    pairs = []
    for attempt in range(10):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        (folder / "a.txt").write_text(TEXT, encoding="utf-8")
        jobs = [write_job(folder, name, f".narrator/{name}") for name in ("one", "two")]
        pairs.append((folder, [_start(job, folder / f"{job.stem}.log") for job in jobs]))
    for folder, runs in pairs:
        for run, log in runs:
            run.join(timeout=300)
            assert run.exitcode == 0, f"{folder.name}: {log.read_text()}"
        shared = folder / "out" / "shared"
        assert spoken(shared / "T.wav") == SPOKEN
        assert spoken(shared / "01 - CHAPTER I.wav") == "CHAPTER One. The first door."
        assert not list(shared.glob(".*.part")), folder.name


def _start(job: Path, log: Path) -> tuple[multiprocessing.Process, Path]:
    run = multiprocessing.get_context("fork").Process(target=_run, args=(job, log))
    run.start()
    return run, log


def _run(job: Path, log: Path) -> None:
    with open(log, "w") as stream:
        os.dup2(stream.fileno(), 1)
        os.dup2(stream.fileno(), 2)
        sys.stdout = sys.stderr = stream
        code = main(["run", "-q", str(job)])
        stream.flush()
    os._exit(code)


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_file_narrator_did_not_write_is_kept_unless_forced(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    job = str(write_job(tmp_path, "job", ".narrator/job", out="out"))
    mine = tmp_path / "out" / "01 - CHAPTER I.mp3"
    mine.parent.mkdir()
    mine.write_bytes(b"the user's own recording")
    code, _, err = run_cli(["run", job], capsys)
    assert code == 2 and "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("narrator: error:")]
    assert len(lines) == 1 and str(mine) in lines[0] and "--force" in lines[0]
    assert mine.read_bytes() == b"the user's own recording"
    assert not (tmp_path / "out" / "T.wav").exists()  # stopped before writing anything
    code, _, err = run_cli(["run", "--force", job], capsys)
    assert code == 0, err
    assert mine.read_bytes()[:3] in (b"ID3", b"\xff\xfb")  # replaced by the chapter's MP3
    assert spoken(tmp_path / "out" / "T.wav") == SPOKEN


def test_rerun_keeps_up_to_date_outputs_and_rebuilds_changed_ones(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    job = write_job(tmp_path, "job", ".narrator/job", out="out")
    book = tmp_path / "out" / "T.wav"
    assert run_cli(["run", str(job)], capsys)[0] == 0
    stamp = book.stat().st_mtime_ns
    code, out, err = run_cli(["run", str(job)], capsys)
    notes = [line for line in err.splitlines() if "up to date" in line]
    assert code == 0 and len(notes) == 1 and "nothing re-encoded" in notes[0]
    assert book.stat().st_mtime_ns == stamp and "wrote" not in out
    # A changed pause changes the audio: everything is written again.
    job.write_text(job.read_text() + "pauses: {sentence: 0.5}\n", encoding="utf-8")
    code, out, err = run_cli(["run", str(job)], capsys)
    assert code == 0 and "up to date" not in err and "wrote" in out
    assert book.stat().st_mtime_ns != stamp
    # A deleted output makes the set incomplete: rebuilt, not skipped.
    (tmp_path / "out" / "02 - CHAPTER II.mp3").unlink()
    code, out, err = run_cli(["run", str(job)], capsys)
    assert code == 0 and "up to date" not in err
    assert (tmp_path / "out" / "02 - CHAPTER II.mp3").is_file()
    assert (tmp_path / "out" / ownership.RECORD).is_file()


def test_any_run_removes_stale_temps_at_its_start(tmp_path: Path, capsys) -> None:
    """Leftovers of killed runs go at the start of the next run, even one that only synthesizes;
    a live run's temp file (another process) stays."""
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    job = str(write_job(tmp_path, "job", ".narrator/job", out="out"))
    out = tmp_path / "out"
    out.mkdir()
    host = ownership._host()
    dead = [out / f".T.wav.{_dead_pid()}@{host}.{n:08x}.part" for n in range(12)]
    live = out / f".T.wav.{os.getppid()}@{host}.0000beef.part"
    for path in (*dead, live):
        path.write_bytes(b"half an output")
    assert run_cli(["run", "--no-assemble", "-q", job], capsys)[0] == 0
    assert [p for p in dead if p.exists()] == [] and live.exists()


def _dead_pid() -> int:
    child = multiprocessing.get_context("fork").Process(target=os._exit, args=(0,))
    child.start()
    child.join()
    return child.pid
