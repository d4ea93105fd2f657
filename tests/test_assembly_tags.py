"""Tags and covers written with mutagen, read back with mutagen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3
from mutagen.mp4 import MP4, MP4Cover

from narrator.assembly.chapters import ChapterMark
from narrator.assembly.encode import FfmpegPipe, m4b_args, mp3_args
from narrator.assembly.tags import Cover, Tags, load_cover, tag_m4b, tag_mp3
from narrator.errors import AssemblyError, SourceError

PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)
TAGS = Tags(
    "Chapter Three", "The Book", "An Author", (3, 9), "1999", "Mystery", Cover(PNG, "image/png")
)


def encoded(tmp_path: Path, kind: str) -> Path:
    out = tmp_path / f"a.{kind}"
    args = mp3_args(64, 24000) if kind == "mp3" else m4b_args(64, 24000, None)[1]
    pipe = FfmpegPipe(out.name, [], [*args, str(out)])
    pipe.write(np.zeros(24000, dtype="<i2"))
    pipe.finish()
    return out


def test_mp3_tags_cover_and_chapters(tmp_path: Path) -> None:
    path = encoded(tmp_path, "mp3")
    tag_mp3(path, TAGS, [ChapterMark("Only", 0, 24000)])
    id3 = ID3(path)
    assert id3.version[:2] == (2, 3)
    assert [str(id3[k]) for k in ("TIT2", "TALB", "TPE1", "TRCK", "TCON")] == [
        "Chapter Three",
        "The Book",
        "An Author",
        "3/9",
        "Mystery",
    ]
    assert str(id3["TDRC"]) == "1999"
    assert b"TYER" in path.read_bytes()[:4096]  # the v2.3 year frame on disk
    picture = id3.getall("APIC")[0]
    assert picture.mime == "image/png" and picture.data == PNG and picture.type == 3
    assert id3.getall("CHAP")[0].end_time == 1000


def test_m4b_tags_and_cover(tmp_path: Path) -> None:
    path = encoded(tmp_path, "m4b")
    tag_m4b(path, TAGS)
    tags = MP4(path).tags
    assert tags["\xa9nam"] == ["Chapter Three"] and tags["\xa9alb"] == ["The Book"]
    assert tags["aART"] == ["An Author"] and tags["trkn"] == [(3, 9)] and tags["stik"] == [2]
    assert tags["covr"][0].imageformat == MP4Cover.FORMAT_PNG


def test_cover_kinds_are_checked(tmp_path: Path) -> None:
    jpeg = tmp_path / "c.jpg"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0rest")
    assert load_cover(jpeg).mime == "image/jpeg"
    gif = tmp_path / "c.gif"
    gif.write_bytes(b"GIF89a")
    with pytest.raises(SourceError, match="not a JPEG or PNG"):
        load_cover(gif)
    with pytest.raises(SourceError, match="fix the cover path"):
        load_cover(tmp_path / "none.jpg")


def test_tagging_a_non_audio_file_fails_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "x.m4b"
    path.write_bytes(b"definitely not mp4")
    with pytest.raises(AssemblyError, match="writing tags to x.m4b"):
        tag_m4b(path, TAGS)
