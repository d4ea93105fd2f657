"""Stored audio checked and kept: a deleted manifest, and `status` on damaged files.

Runs go through the real local server on port 0 (test voice), which counts the requests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import support

from narrator.cli import main
from narrator.jobfile import load_job
from narrator.pipeline import RunOptions, run_job
from narrator.store import Store
from narrator.store.files import MANIFEST, SUMS, stored_files

TEXT = "\n\n".join(f"Paragraph {n} has its own sentence." for n in range(12))


def write_job(folder: Path, url: str | None = None) -> Path:
    return support.write_job(
        folder,
        name="job.yaml",
        url=url,
        texts={"a.txt": TEXT},
        title="T",
        credit=None,
        sources="[a.txt]",
    )


def delete_manifest(workspace: Path) -> None:
    for name in (MANIFEST, f"{MANIFEST}-wal", f"{MANIFEST}-shm"):
        (workspace / name).unlink(missing_ok=True)


@pytest.mark.anyio
@pytest.mark.parametrize("log", ["kept", "deleted"])
async def test_a_deleted_manifest_keeps_the_audio_that_passes_its_checks(tmp_path, job_server, log):
    async with job_server() as srv:
        job = load_job(write_job(tmp_path, srv.url))
        first = await run_job(job, RunOptions())
        book = {p.name: p.read_bytes() for p in first.files}
        audio = stored_files(job.workspace)
        delete_manifest(job.workspace)
        if log == "deleted":
            (job.workspace / SUMS).unlink()
        odd, flipped = audio[0], audio[1]
        odd.write_bytes(odd.read_bytes()[:-1])  # not whole samples: never adopted
        data = bytearray(flipped.read_bytes())
        data[len(data) // 2] ^= 0x01  # same length: only the logged sha256 can tell
        flipped.write_bytes(bytes(data))
        before = srv.stats.requests
        notes: list[str] = []
        second = await run_job(job, RunOptions(note=notes.append))
        requests = srv.stats.requests - before
    damaged = 1 if log == "deleted" else 2
    adopted = [n for n in notes if "adopted" in n]
    assert len(adopted) == 1 and f"adopted {len(audio) - damaged} " in adopted[0]
    assert requests == second.synthesized == damaged  # 0 requests for the adopted files
    if log == "kept":  # the audio is back as it was: the outputs are up to date, and kept
        assert {p.name: p.read_bytes() for p in first.files} == book


def test_status_checks_stored_sizes_and_names_what_run_redoes(tmp_path, capsys):
    job = str(write_job(tmp_path))
    assert main(["run", "-q", job]) == 0
    workspace = load_job(Path(job)).workspace
    with Store.read_only(workspace) as store:
        total = store.status().total
    emptied = stored_files(workspace)[3]
    emptied.write_bytes(b"")
    capsys.readouterr()
    assert main(["status", job]) == 0
    out = capsys.readouterr().out
    total_line = next(line for line in out.splitlines() if line.lstrip().startswith("total"))
    assert total_line.split()[1:3] == [str(total), str(total - 1)]  # segments, done
    assert "1 damaged or missing" in out and "segment 1." in out and "0 bytes" in out
    assert main(["run", "-q", job]) == 0
    assert "1 synthesized" in capsys.readouterr().out
    assert main(["status", job]) == 0
    assert "sizes checked, all as recorded" in capsys.readouterr().out
