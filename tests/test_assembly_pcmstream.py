"""The chapter stream: pause placement, bounded blocks, edge fades that spare the data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from narrator.assembly.model import ChapterAudio, Piece
from narrator.assembly.options import Pauses
from narrator.assembly.pcmstream import (
    CHUNK,
    FADE,
    PauseSamples,
    Placed,
    apply_gain,
    body_blocks,
    piece_blocks,
    scan,
    seconds_to_samples,
)
from narrator.errors import AssemblyError, OutputError
from narrator.server import textcode
from narrator.text.boundary import Boundary

PAUSES = PauseSamples.of(
    Pauses(sentence=0.1, paragraph=0.2, scene=0.3, chapter=9, lead_in=9, tail=9)
)


def chapter_of(tmp_path: Path, specs: list[tuple[int, Boundary]]) -> ChapterAudio:
    pieces = []
    for number, (samples, boundary) in enumerate(specs):
        path = tmp_path / f"{number}.pcm"
        np.full(samples, 1000 + number, dtype="<i2").tofile(path)
        pieces.append(Piece(path, f"p{number}", boundary))
    return ChapterAudio("c", lambda: iter(pieces))


def test_pause_after_each_piece_but_the_last(tmp_path: Path) -> None:
    specs = [
        (500, Boundary.SENTENCE),
        (600, Boundary.PARAGRAPH),
        (700, Boundary.SCENE),
        (800, Boundary.CHAPTER),
        (900, Boundary.PARAGRAPH),
    ]
    chapter = chapter_of(tmp_path, specs)
    pcm = np.concatenate([b.pcm for b in body_blocks(chapter, PAUSES)])
    # A mid-chapter CHAPTER boundary counts as a paragraph; the last piece gets no pause.
    gaps = [2400, 4800, 7200, 4800]
    expected_len = sum(s for s, _ in specs) + sum(gaps)
    assert len(pcm) == expected_len == scan(chapter, PAUSES).body
    position = 0
    for number, (samples, _) in enumerate(specs):
        middle = pcm[position + FADE : position + samples - FADE]
        assert (middle == 1000 + number).all()
        position += samples
        if number < len(gaps):
            assert not pcm[position : position + gaps[number]].any()
            position += gaps[number]


def test_blocks_are_bounded_and_positions_reported(tmp_path: Path) -> None:
    chapter = chapter_of(tmp_path, [(CHUNK * 2 + 7, Boundary.SENTENCE), (300, Boundary.CHAPTER)])
    blocks = list(body_blocks(chapter, PAUSES))
    assert max(b.pcm.size for b in blocks) <= CHUNK
    firsts = [b.placed for b in blocks if b.first]
    assert [(p.index, p.offset, p.samples) for p in firsts] == [
        (0, 0, CHUNK * 2 + 7),
        (1, CHUNK * 2 + 7 + 2400, 300),
    ]


def test_fade_touches_only_the_edges_and_has_no_step(tmp_path: Path) -> None:
    path = tmp_path / "p.pcm"
    path.write_bytes(
        np.full(CHUNK + 50, 20000, dtype="<i2").tobytes()
    )  # the fade-out spans two blocks
    placed = Placed(Piece(path, "x", Boundary.CHAPTER), 0, 0, CHUNK + 50)
    pcm = np.concatenate([b.pcm for b in piece_blocks(placed)]).astype(np.int32)
    assert (pcm[FADE:-FADE] == 20000).all()
    assert abs(pcm[0]) < 200 and abs(pcm[-1]) < 200
    assert np.abs(np.diff(pcm[: FADE + 1])).max() < 600  # smooth ramp, no jump
    assert (np.diff(pcm[-FADE - 1 :]) <= 0).all()


def test_fade_spares_test_voice_data(tmp_path: Path) -> None:
    path = tmp_path / "t.pcm"
    raw = textcode.encode("Hi")
    path.write_bytes(raw)
    placed = Placed(Piece(path, "Hi", Boundary.CHAPTER), 0, 0, len(raw) // 2)
    out = np.concatenate([b.pcm for b in piece_blocks(placed)])
    assert out.tobytes() == raw


def test_tiny_piece_is_faded_without_error(tmp_path: Path) -> None:
    chapter = chapter_of(tmp_path, [(3, Boundary.CHAPTER)])
    assert [b.pcm.size for b in body_blocks(chapter, PAUSES)] == [3]


def test_truncated_or_missing_audio_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "odd.pcm"
    path.write_bytes(b"\x00\x01\x02")
    with pytest.raises(AssemblyError, match="odd size"):
        scan(ChapterAudio("c", lambda: iter([Piece(path, "x", Boundary.CHAPTER)])), PAUSES)
    with pytest.raises(AssemblyError, match="cannot read"):
        scan(
            ChapterAudio("c", lambda: iter([Piece(tmp_path / "none", "x", Boundary.CHAPTER)])),
            PAUSES,
        )


def test_pauses_are_validated_and_rounded() -> None:
    assert seconds_to_samples(0.35) == 8400
    with pytest.raises(OutputError, match="pauses.scene: must be a number from 0 to 30 s"):
        PauseSamples.of(Pauses(scene=-1))
    with pytest.raises(OutputError, match="pauses.tail"):  # the job file's limit, one rule
        PauseSamples.of(Pauses(tail=45))


def test_gain_rounds_and_clips() -> None:
    pcm = np.array([100, -100, 30000, -30000], dtype="<i2")
    assert apply_gain(pcm, 1.0) is pcm
    assert apply_gain(pcm, 2.0).tolist() == [200, -200, 32767, -32768]
    assert apply_gain(pcm, 0.5).tolist() == [50, -50, 15000, -15000]
