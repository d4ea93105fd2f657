"""The job store on real files: resume, edits, splits, crash recovery, locking, integrity."""

from __future__ import annotations

import hashlib
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from narrator.errors import StoreError
from narrator.plan import PlannedSegment, segment_key
from narrator.store import TRANSITIONS, Store, Take

REPO = Path(__file__).resolve().parents[1]
VOICE = "narrator-test"
PARAMS = {"speed": 1.0}

TEXTS = [
    "The lamp by the harbour had been lit every evening for forty years.",
    "Nobody remembered who had first climbed the iron ladder to do it.",
    "On the night of the storm the keeper found the wick already burning.",
    "She sat down on the wet step and waited for whoever had come before her.",
]


def plan_of(
    texts: list[str], chapter: int = 0, boundary: str = "paragraph"
) -> list[PlannedSegment]:
    return [
        PlannedSegment(segment_key(t, VOICE, PARAMS), chapter, i, t, boundary, len(t) / 15)
        for i, t in enumerate(texts)
    ]


def voices(segments: list[PlannedSegment]) -> dict[str, tuple[str, dict[str, float]]]:
    return {s.key: (VOICE, PARAMS) for s in segments}


def pcm_for(text: str) -> bytes:
    """Distinct, deterministic fake audio for a text (an even number of bytes)."""
    return hashlib.sha256(text.encode()).digest() * 40


def synthesize(store: Store, segment: PlannedSegment) -> None:
    store.mark_in_flight(segment.key)
    store.put_audio(segment.key, pcm_for(segment.text), usage=len(segment.text))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path / "job"


@pytest.fixture
def store(workspace: Path):
    with Store.open(workspace) as opened:
        yield opened


def test_segment_key_hashes_text_voice_and_params() -> None:
    blob = '["Hé","v",{"a":1,"b":2}]'
    assert segment_key("Hé", "v", {"b": 2, "a": 1}) == hashlib.sha256(blob.encode()).hexdigest()
    variants = [("t", "v", {"a": 1}), ("t.", "v", {"a": 1}), ("t", "w", {"a": 1}), ("t", "v", {})]
    assert len({segment_key(*variant) for variant in variants}) == 4


def test_put_audio_writes_the_file_and_leaves_no_temp(store: Store, workspace: Path) -> None:
    segments = plan_of(TEXTS[:1])
    store.set_plan(segments, ["One"])
    synthesize(store, segments[0])
    files = [p for p in (workspace / "pcm").rglob("*") if p.is_file()]
    assert files == [store.pcm_path(segments[0].key)]
    assert files[0].read_bytes() == pcm_for(TEXTS[0])
    assert files[0].parent.name == segments[0].key[:2]
    assert store.state(segments[0].key) == "done"
    assert store.check_integrity() == []


def test_resume_keeps_done_segments(workspace: Path) -> None:
    segments = plan_of(TEXTS)
    with Store.open(workspace) as store:
        assert store.set_plan(segments, ["One"]).new == 4
        for segment in store.pending()[:2]:
            synthesize(store, segment)
    with Store.open(workspace) as store:
        diff = store.set_plan(segments, ["One"])
        assert (diff.total, diff.reused_done, diff.pending, diff.new) == (4, 2, 2, 0)
        assert [s.text for s in store.pending()] == TEXTS[2:]
        assert store.state(segments[0].key) == "done"


def test_editing_the_text_only_reschedules_the_changed_segments(store: Store) -> None:
    store.set_plan(plan_of(TEXTS), ["One"])
    for segment in store.pending():
        synthesize(store, segment)
    edited = [*TEXTS[:2], "On the night of the gale the keeper found the wick burning.", TEXTS[3]]
    diff = store.set_plan(plan_of(edited), ["One"])
    assert [s.text for s in store.pending()] == [edited[2]]
    assert (diff.total, diff.reused_done, diff.pending, diff.new) == (4, 3, 1, 1)
    # Undoing the edit reuses the audio still stored for the old text.
    assert store.set_plan(plan_of(TEXTS), ["One"]).pending == 0


def test_a_repeated_key_is_synthesized_once_and_used_at_each_position(store: Store) -> None:
    text = "Again."
    segments = [
        PlannedSegment(segment_key(text, VOICE, PARAMS), 0, 0, text, "sentence", 1.0),
        PlannedSegment(segment_key(TEXTS[0], VOICE, PARAMS), 0, 1, TEXTS[0], "paragraph", 4.0),
        PlannedSegment(segment_key(text, VOICE, PARAMS), 1, 0, text, "chapter", 1.0),
    ]
    diff = store.set_plan(segments, ["One", "Two"])
    assert (diff.total, diff.pending) == (2, 2)
    pending = store.pending()
    assert [(s.text, s.chapter, s.order) for s in pending] == [(text, 0, 0), (TEXTS[0], 0, 1)]
    for segment in pending:
        synthesize(store, segment)
    path = store.pcm_path(segments[0].key)
    other = store.pcm_path(segments[1].key)
    assert list(store.pieces(0)) == [(path, text, "sentence"), (other, TEXTS[0], "paragraph")]
    assert list(store.pieces(1)) == [(path, text, "chapter")]
    status = store.status()
    assert [(c.title, c.total, c.done) for c in status.chapters] == [("One", 2, 2), ("Two", 1, 1)]


def test_split_expands_in_pieces_with_boundaries_and_nests(store: Store) -> None:
    segments = plan_of(TEXTS[:2], boundary="paragraph")
    store.set_plan(segments, ["One"], voices(segments))
    synthesize(store, segments[0])
    store.mark_in_flight(segments[1].key)
    texts = ["Nobody remembered", "who had first climbed", "the iron ladder to do it."]
    parts = store.split(segments[1].key, texts)
    assert [(p.text, p.boundary, p.chapter, p.order) for p in parts] == [
        (texts[0], "sentence", 0, 1),
        (texts[1], "sentence", 0, 1),
        (texts[2], "paragraph", 0, 1),
    ]
    assert [p.key for p in parts] == [segment_key(t, VOICE, PARAMS) for t in texts]
    assert store.state(segments[1].key) == "split"
    assert [p.key for p in store.pending()] == [p.key for p in parts]
    with pytest.raises(StoreError, match=r"segment 1\.2 is not synthesized"):
        list(store.pieces(0))
    synthesize(store, parts[0])
    store.mark_in_flight(parts[2].key)
    nested = store.split(parts[2].key, ["the iron ladder", "to do it."])
    assert [p.boundary for p in nested] == ["sentence", "paragraph"]
    for part in [parts[1], *nested]:
        synthesize(store, part)
    pieces = list(store.pieces(0))
    assert [(text, boundary) for _, text, boundary in pieces] == [
        (TEXTS[0], "paragraph"),
        (texts[0], "sentence"),
        (texts[1], "sentence"),
        ("the iron ladder", "sentence"),
        ("to do it.", "paragraph"),
    ]
    assert all(path.is_file() for path, _, _ in pieces)
    assert store.pending() == [] and store.check_integrity() == []
    assert store.status().chapters[0].done == 2


def test_a_split_part_already_stored_stays_done(store: Store) -> None:
    segments = plan_of(["Short one.", "Short one. And another."])
    store.set_plan(segments, ["One"], voices(segments))
    synthesize(store, segments[0])
    store.mark_in_flight(segments[1].key)
    parts = store.split(segments[1].key, ["Short one.", "And another."])
    assert parts[0].key == segments[0].key
    assert [p.text for p in store.pending()] == ["And another."]


def test_split_without_voice_derives_part_keys_from_the_parent(store: Store) -> None:
    segments = plan_of(TEXTS[:1])
    store.set_plan(segments, ["One"])
    store.mark_in_flight(segments[0].key)
    parts = store.split(segments[0].key, ["The lamp", "by the harbour"])
    expected = hashlib.sha256(f"{segments[0].key}:1:by the harbour".encode()).hexdigest()
    assert parts[1].key == expected


def test_illegal_transitions_raise(store: Store) -> None:
    segments = plan_of(TEXTS[:2])
    store.set_plan(segments, ["One"])
    with pytest.raises(StoreError, match="cannot go from pending to done"):
        store.put_audio(segments[0].key, b"\0\0")
    assert not store.pcm_path(segments[0].key).exists()
    with pytest.raises(StoreError, match="pending to split"):
        store.split(segments[0].key, ["a", "b"])
    synthesize(store, segments[0])
    with pytest.raises(StoreError, match="done to in_flight"):
        store.mark_in_flight(segments[0].key)
    with pytest.raises(StoreError, match="done to failed"):
        store.mark_failed(segments[0].key, "boom")
    store.mark_in_flight(segments[1].key)
    store.split(segments[1].key, ["Nobody remembered", "the ladder."])
    with pytest.raises(StoreError, match="split to in_flight"):
        store.mark_in_flight(segments[1].key)
    assert TRANSITIONS["split"] == frozenset()


def test_failed_segments_are_retried_and_reported(workspace: Path) -> None:
    segments = plan_of(TEXTS[:2])
    with Store.open(workspace) as store:
        store.set_plan(segments, ["One"])
        store.mark_in_flight(segments[1].key)
        store.record_request(segments[1].key, "RATE_LIMITED")
        store.mark_failed(segments[1].key, "server said no")
        status = store.status()
        assert status.failed == 1 and status.errors == ("segment 1.2: server said no",)
        assert "server said no" in status.render()
    with Store.open(workspace) as store:
        assert [s.key for s in store.pending()] == [s.key for s in segments]
        synthesize(store, segments[1])
        assert store.status().errors == ()
    with sqlite3.connect(workspace / "manifest.sqlite3") as conn:
        query = "SELECT attempts, outcome FROM segments WHERE key = ?"
        row = conn.execute(query, (segments[1].key,)).fetchone()
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()
    assert row == (1, "RATE_LIMITED")


def test_stale_in_flight_rows_go_back_to_pending_on_open(workspace: Path) -> None:
    segments = plan_of(TEXTS[:2])
    with Store.open(workspace) as store:
        store.set_plan(segments, ["One"])
        store.mark_in_flight(segments[0].key)
    with Store.open(workspace) as store:
        assert store.state(segments[0].key) == "pending"
        assert len(store.pending()) == 2


def test_open_adopts_a_complete_file_and_removes_strays(workspace: Path) -> None:
    segments = plan_of(TEXTS[:2])
    with Store.open(workspace) as store:
        store.set_plan(segments, ["One"])
        store.mark_in_flight(segments[0].key)
        adopted = store.pcm_path(segments[0].key)
        stray = store.pcm_path("ab" + "0" * 62)
        temp = adopted.with_name(f".{segments[1].key}.123.tmp")
        misplaced = stray.with_name(f"{segments[1].key}.pcm")  # wrong shard: not its audio
    # What a crash between the rename and the row leaves behind, plus debris.
    debris = ((stray, b"\1\2"), (temp, b"\3"), (misplaced, b"\4\4"))
    for path, data in ((adopted, pcm_for("x")), *debris):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    with Store.open(workspace) as store:
        assert store.state(segments[0].key) == "done"
        assert [s.key for s in store.pending()] == [segments[1].key]
        assert store.verify_done() == 0
        assert not any(path.exists() for path, _ in debris)
        assert store.check_integrity() == []


def test_verify_done_resets_corrupt_and_short_files(store: Store) -> None:
    segments = plan_of(TEXTS)
    store.set_plan(segments, ["One"])
    for segment in segments:
        synthesize(store, segment)
    corrupt, short, missing = (store.pcm_path(s.key) for s in segments[:3])
    data = bytearray(corrupt.read_bytes())
    data[10] ^= 0xFF
    corrupt.write_bytes(bytes(data))
    short.write_bytes(short.read_bytes()[:-2])
    missing.unlink()
    problems = store.check_integrity()
    assert len(problems) == 3
    for expected in ("sha256 mismatch", "bytes, expected", "file missing"):
        assert any(expected in p for p in problems)
    assert store.verify_done() == 3
    assert [s.key for s in store.pending()] == [s.key for s in segments[:3]]
    assert store.state(segments[3].key) == "done"
    assert store.check_integrity() == []
    assert store.verify_done() == 0


def test_integrity_check_reports_orphans_and_temp_files(store: Store) -> None:
    store.set_plan(plan_of(TEXTS[:1]), ["One"])
    assert store.check_integrity() == []
    orphan = store.pcm_path("cd" + "1" * 62)
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"\0\0")
    (orphan.parent / ".x.tmp").write_bytes(b"")
    problems = store.check_integrity()
    assert len(problems) == 2
    assert any("orphan" in p for p in problems) and any("temp file" in p for p in problems)


def test_a_second_opener_is_refused_and_read_only_works(store: Store, workspace: Path) -> None:
    segments = plan_of(TEXTS[:2])
    store.set_plan(segments, ["Opening"])
    synthesize(store, segments[0])
    refusal = rf"in use by another narrator run \(pid {os.getpid()}\); wait for it or stop it"
    with pytest.raises(StoreError, match=refusal):
        Store.open(workspace)
    with Store.read_only(workspace) as reader:
        status = reader.status()
        assert (status.total, status.done) == (2, 1)
        assert "Opening" in status.render()
        with pytest.raises(StoreError, match="read-only"):
            reader.mark_in_flight(segments[1].key)
    synthesize(store, segments[1])  # the writer is unaffected
    store.close()
    with Store.open(workspace) as again:
        assert again.pending() == []


def test_fresh_wipes_manifest_and_audio(workspace: Path) -> None:
    segments = plan_of(TEXTS[:2])
    with Store.open(workspace) as store:
        store.set_plan(segments, ["One"])
        synthesize(store, segments[0])
    with Store.open(workspace, fresh=True) as store:
        assert not any(p.is_file() for p in (workspace / "pcm").rglob("*"))
        assert store.pending() == []  # no plan until set_plan
        assert store.set_plan(segments, ["One"]).pending == 2


def test_unknown_schema_version_and_damaged_manifest_say_run_fresh(workspace: Path) -> None:
    Store.open(workspace).close()
    with sqlite3.connect(workspace / "manifest.sqlite3") as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE name = 'schema_version'")
    conn.close()
    with pytest.raises(StoreError, match="schema version 99 .*run with --fresh"):
        Store.open(workspace)
    for name in ("manifest.sqlite3-wal", "manifest.sqlite3-shm"):
        (workspace / name).unlink(missing_ok=True)
    (workspace / "manifest.sqlite3").write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="manifest is damaged .*run with --fresh to start over"):
        Store.open(workspace)
    with Store.open(workspace, fresh=True) as store:
        assert store.check_integrity() == []


def test_status_counts_audio_seconds_and_usage(store: Store) -> None:
    segments = plan_of(TEXTS[:2])
    store.set_plan(segments, ["A rather long chapter title", "Two"])
    store.mark_in_flight(segments[0].key)
    store.put_audio(segments[0].key, b"\0\0" * 36_000, usage=7)
    status = store.status()
    first = status.chapters[0]
    assert (first.total, first.done, first.failed, first.seconds, first.usage) == (2, 1, 0, 1.5, 7)
    assert status.chapters[1].total == 0
    lines = status.render().splitlines()
    assert lines[1].index("A rather long") == lines[2].index("Two") == lines[3].index("total")


def test_concurrent_put_audio_from_threads_while_pieces_are_read(store: Store) -> None:
    texts = [f"Line {i} of the ledger was written in a careful hand." for i in range(64)]
    segments = plan_of(texts)
    finished = plan_of(TEXTS, chapter=1)
    store.set_plan(segments + finished, ["Ledger", "Harbour"])
    for segment in finished:
        synthesize(store, segment)
    expected = list(store.pieces(1))
    errors: list[BaseException] = []
    writing = threading.Event()
    writing.set()

    def write(chunk: list[PlannedSegment]) -> None:
        try:
            for segment in chunk:
                synthesize(store, segment)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    def read() -> None:
        while writing.is_set():  # like the assembler's worker thread, while workers write
            if list(store.pieces(1)) != expected or store.status().chapters[1].done != 4:
                errors.append(AssertionError("a reader saw a changing finished chapter"))

    writers = [threading.Thread(target=write, args=(segments[i::8],)) for i in range(8)]
    reader = threading.Thread(target=read)
    reader.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    writing.clear()
    reader.join()
    assert errors == []
    assert store.pending() == [] and store.status().done == 68
    assert store.check_integrity() == [] and store.verify_done() == 0


def test_a_split_part_may_not_repeat_its_ancestor(store: Store) -> None:
    segments = plan_of(TEXTS[:1])
    store.set_plan(segments, ["One"], voices(segments))
    store.mark_in_flight(segments[0].key)
    with pytest.raises(StoreError, match="repeats the segment itself"):
        store.split(segments[0].key, [TEXTS[0]])
    assert store.state(segments[0].key) == "in_flight"  # the transaction was rolled back


def test_a_plan_with_two_segments_at_one_position_is_refused(store: Store) -> None:
    first, second = plan_of(TEXTS[:2])
    clash = PlannedSegment(second.key, 0, 0, second.text, "paragraph", 1.0)
    with pytest.raises(StoreError, match="two segments at one position"):
        store.set_plan([first, clash], ["One"])


def test_read_only_after_the_writer_closed_and_a_closed_store(workspace: Path) -> None:
    with pytest.raises(StoreError, match="no manifest; run the job first"):
        Store.read_only(workspace)
    segments = plan_of(TEXTS[:1])
    store = Store.open(workspace)
    store.set_plan(segments, ["One"])
    synthesize(store, segments[0])
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        store.pending()
    with Store.read_only(workspace) as reader:
        assert [text for _, text, _ in reader.pieces(0)] == [TEXTS[0]]
        assert reader.check_integrity() == []


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from narrator.plan import PlannedSegment, segment_key
    from narrator.store import Store

    workspace, count = Path(sys.argv[1]), int(sys.argv[2])
    texts = [f"Sentence {i} of a long book that keeps being interrupted." for i in range(count)]
    segments = [
        PlannedSegment(segment_key(t, "v", {}), 0, i, t, "sentence", 3.0)
        for i, t in enumerate(texts)
    ]
    with Store.open(workspace) as store:
        store.set_plan(segments, ["Interrupted"])
        for segment in store.pending():
            store.mark_in_flight(segment.key)
            store.put_audio(segment.key, segment.key.encode() * 4000)
            print(segment.key, flush=True)
    print("finished", flush=True)
    """
)


def test_sigkill_at_any_moment_leaves_a_clean_store(workspace: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    rng = random.Random(7)
    reported: set[str] = set()
    for _ in range(6):
        command = [sys.executable, "-c", CHILD, str(workspace), "60"]
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as child:
            assert child.stdout is not None
            for _ in range(rng.randint(1, 6)):
                reported.add(child.stdout.readline().strip())
            time.sleep(rng.random() * 0.004)  # the injected fault: a kill anywhere in the loop
            child.send_signal(signal.SIGKILL)
            reported.update(line.strip() for line in child.stdout)  # printed before the kill
        reported -= {"", "finished"}
        with Store.open(workspace) as store:
            assert store.check_integrity() == []
            assert all(store.state(key) == "done" for key in reported)
            assert all(store.pcm_path(k).read_bytes() == k.encode() * 4000 for k in reported)
            assert store.verify_done() == 0
    assert len(reported) >= 6


def test_segment_reports_what_the_manifest_holds(store: Store) -> None:
    segments = plan_of(TEXTS[:2])
    store.set_plan(segments, ["One"])
    store.mark_in_flight(segments[0].key)
    store.record_request(segments[0].key, "TIMEOUT")
    store.record_request(segments[0].key, "ok")
    store.put_audio(segments[0].key, b"\1\0" * 480, usage=9)
    done, pending = store.segment(segments[0].key), store.segment(segments[1].key)
    assert (done.state, done.path, done.samples, done.usage, done.attempts) == (
        "done",
        store.pcm_path(segments[0].key),
        480,
        9,
        2,
    )
    assert done.text == TEXTS[0] and done.path is not None and done.path.is_file()
    assert (pending.state, pending.path, pending.samples) == ("pending", None, 0)
    with pytest.raises(StoreError, match="segment 00000000"):
        store.segment("0" * 64)


def test_claim_takes_a_segment_once(store: Store) -> None:
    segments = plan_of(TEXTS[:3])
    store.set_plan(segments, ["One"])
    assert store.claim(segments[0].key) is True
    assert store.claim(segments[0].key) is False  # in flight already
    store.put_audio(segments[0].key, pcm_for(TEXTS[0]))
    assert store.claim(segments[0].key) is False  # done
    store.mark_in_flight(segments[1].key)
    store.mark_failed(segments[1].key, "no")
    assert store.claim(segments[1].key) is True  # failed segments are retried
    with pytest.raises(StoreError, match="unknown segment"):
        store.claim("f" * 64)


def test_claim_from_many_threads_hands_each_key_to_one(store: Store) -> None:
    segments = plan_of([f"Entry {i} in the tide table." for i in range(40)])
    store.set_plan(segments, ["Tides"])
    won: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for segment in segments:
            if store.claim(segment.key):
                with lock:
                    won.append(segment.key)
                store.put_audio(segment.key, pcm_for(segment.text))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == sorted(s.key for s in segments)
    assert store.pending() == [] and store.check_integrity() == []


def test_a_done_segment_found_truncated_is_split_and_its_file_dropped(store: Store) -> None:
    segments = plan_of(TEXTS[:2], boundary="scene")
    store.set_plan(segments, ["One"], voices(segments))
    for segment in segments:
        synthesize(store, segment)
    old_file = store.pcm_path(segments[1].key)
    parts = store.split(segments[1].key, ["Nobody remembered who had", "first climbed the ladder."])
    assert not old_file.exists()
    assert store.segment(segments[1].key).state == "split"
    assert store.check_integrity() == []
    with pytest.raises(StoreError, match="not synthesized"):
        list(store.pieces(0))
    for part in store.pending():
        synthesize(store, part)
    assert [(t, b) for _, t, b in store.pieces(0)] == [
        (TEXTS[0], "scene"),
        (parts[0].text, "sentence"),
        (parts[1].text, "scene"),
    ]


def test_status_counts_requests_of_split_segments_and_parts(store: Store) -> None:
    segments = plan_of(TEXTS[:1])
    store.set_plan(segments, ["One"], voices(segments))
    store.mark_in_flight(segments[0].key)
    store.record_request(segments[0].key, "ok")
    parts = store.split(segments[0].key, ["The lamp by the harbour", "had been lit."])
    for part in parts:
        store.mark_in_flight(part.key)
        store.record_request(part.key, "ok")
        store.put_audio(part.key, pcm_for(part.text))
    status = store.status()
    assert (status.requests, status.done, status.total) == (3, 1, 1)
    header, first, total, checked = status.render().splitlines()
    assert checked.startswith("stored audio files: sizes checked")
    assert header.split()[-1] == "requests" and first.split()[-1] == total.split()[-1] == "3"


HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from narrator.store import Store

    with Store.open(Path(sys.argv[1])):
        print("holding", flush=True)
        sys.stdin.read()  # until the test closes our stdin
    """
)


def test_a_second_process_is_refused_while_the_first_holds_the_lock(workspace: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-c", HOLDER, str(workspace)]
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE}
    with subprocess.Popen(command, text=True, env=env, **pipes) as holder:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "holding"
        message = f"workspace {workspace} is in use by another narrator run (pid {holder.pid})"
        with pytest.raises(StoreError, match=re.escape(message)):
            Store.open(workspace)
        holder.stdin.close()
        assert holder.wait(timeout=30) == 0
    with Store.open(workspace) as store:
        assert store.check_integrity() == []


@pytest.mark.parametrize("name", ["api_key", "API-Key", "authorization", "token"])
def test_a_credential_in_voice_params_is_refused(store: Store, workspace: Path, name: str) -> None:
    segments = plan_of(TEXTS[:1])
    secret = "sk-do-not-store-me"
    with pytest.raises(StoreError, match=f"include '{name}'.*through the environment"):
        store.set_plan(segments, ["One"], {segments[0].key: (VOICE, {name: secret})})
    # Ordinary params that merely contain such a word are fine.
    store.set_plan(segments, ["One"], {segments[0].key: (VOICE, {"max_new_tokens": 900})})
    store.close()
    assert not any(secret.encode() in p.read_bytes() for p in workspace.iterdir() if p.is_file())


# -- proof-listening takes (narrator.verify) ---------------------------------------------------


def _take(key: str, pcm: bytes, reasons: str = "", kept: bool = True) -> Take:
    digest = hashlib.sha256(pcm).hexdigest()
    return Take(
        key, 0, digest, "first", "heard", 5, 1 if reasons else 0, 0, 0, 0, False, reasons, kept, 0.0
    )


def test_takes_are_numbered_kept_once_and_survive_reopening(workspace: Path) -> None:
    segments = plan_of(TEXTS[:1])
    with Store.open(workspace) as store:
        store.set_plan(segments, ["One"])
        synthesize(store, segments[0])
        first = store.segment(segments[0].key).path.read_bytes()
        assert store.record_take(_take(segments[0].key, first, "3 words missing")) == 1
        better = pcm_for("a better take")
        digest = store.replace_audio(segments[0].key, better, usage=7)
        assert store.record_take(_take(segments[0].key, better)) == 2
    with Store.read_only(workspace) as store:
        takes = store.takes()[segments[0].key]
        assert [(t.take, t.kept, t.reasons) for t in takes] == [
            (1, False, "3 words missing"),
            (2, True, ""),
        ]
        (leaf,) = store.leaves()
        assert leaf.sha256 == digest == takes[1].sha256
        assert store.segment(leaf.key).path.read_bytes() == better
        assert store.check_integrity() == []


def test_a_version_1_manifest_gains_the_takes_table_and_keeps_its_audio(workspace: Path) -> None:
    segments = plan_of(TEXTS[:2])
    with Store.open(workspace) as store:
        store.set_plan(segments, ["One"])
        synthesize(store, segments[0])
    with sqlite3.connect(workspace / "manifest.sqlite3") as conn:  # as narrator 1 wrote it
        conn.execute("DROP TABLE takes")
        conn.execute("UPDATE meta SET value = '1' WHERE name = 'schema_version'")
    conn.close()
    with Store.read_only(workspace) as store:  # status of an old store: no takes, no error
        assert store.takes() == {}
    with Store.open(workspace) as store:
        assert store.state(segments[0].key) == "done"
        assert store.takes() == {}
        store.record_take(_take(segments[0].key, b"\0\0"))
    with sqlite3.connect(workspace / "manifest.sqlite3") as conn:
        assert conn.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone() == (
            "2",
        )
    conn.close()
