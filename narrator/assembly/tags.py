"""Tags and cover art with mutagen: ID3v2.3 for MP3 (with chapter frames), iTunes atoms for M4B.

Tags are written after ffmpeg has finished, to the temp file, before it gets its final name.
mutagen grows the file in place with bounded buffers (1 MiB), so tagging a long book costs one
sequential copy on disk, not memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mutagen import MutagenError
from mutagen.id3 import APIC, ID3, TALB, TCON, TDRC, TIT2, TPE1, TPE2, TRCK, PictureType
from mutagen.mp4 import MP4, MP4Cover

from narrator.assembly.chapters import ChapterMark, id3_frames
from narrator.errors import AssemblyError, SourceError

MAX_COVER_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Cover:
    data: bytes
    mime: str  # image/jpeg or image/png


@dataclass(frozen=True)
class Tags:
    title: str
    album: str
    artist: str | None = None
    track: tuple[int, int] | None = None  # (number, total)
    year: str | None = None
    genre: str | None = None
    cover: Cover | None = None


def load_cover(path: Path) -> Cover:
    """Read a JPEG or PNG cover; SourceError names the file and the fix otherwise."""
    try:
        size = path.stat().st_size
        if size > MAX_COVER_BYTES:
            raise SourceError(
                f"cover {path}: {size // 1024} KiB is too large; use an image under 20 MiB"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(
            f"cover {path}: cannot read ({exc.strerror}); fix the cover path"
        ) from exc
    if data.startswith(b"\xff\xd8\xff"):
        return Cover(data, "image/jpeg")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Cover(data, "image/png")
    raise SourceError(f"cover {path}: not a JPEG or PNG image; convert it")


def tag_mp3(path: Path, tags: Tags, chapters: Sequence[ChapterMark] = ()) -> None:
    """Write ID3v2.3 tags (and CHAP/CTOC frames when `chapters` is given) to an MP3."""
    id3 = ID3()
    id3.add(TIT2(encoding=3, text=[tags.title]))
    id3.add(TALB(encoding=3, text=[tags.album]))
    if tags.artist:
        id3.add(TPE1(encoding=3, text=[tags.artist]))
        id3.add(TPE2(encoding=3, text=[tags.artist]))
    if tags.track:
        id3.add(TRCK(encoding=3, text=[f"{tags.track[0]}/{tags.track[1]}"]))
    if tags.year:
        id3.add(TDRC(encoding=3, text=[tags.year]))
    if tags.genre:
        id3.add(TCON(encoding=3, text=[tags.genre]))
    if tags.cover:
        id3.add(
            APIC(
                encoding=3,
                mime=tags.cover.mime,
                type=PictureType.COVER_FRONT,
                desc="Cover",
                data=tags.cover.data,
            )
        )
    for frame in id3_frames(chapters) if chapters else ():
        id3.add(frame)
    id3.update_to_v23()  # e.g. TDRC -> TYER; save() alone would write v2.4-only frames
    _save(lambda: id3.save(path, v2_version=3), path)


def tag_m4b(path: Path, tags: Tags) -> None:
    """Write iTunes-style tags and cover to an M4B (chapters are already in it)."""

    def write() -> None:
        mp4 = MP4(path)
        if mp4.tags is None:
            mp4.add_tags()
        atoms = mp4.tags
        assert atoms is not None  # added just above
        atoms["\xa9nam"] = [tags.title]
        atoms["\xa9alb"] = [tags.album]
        atoms["stik"] = [2]  # media kind: audiobook
        if tags.artist:
            atoms["\xa9ART"] = [tags.artist]
            atoms["aART"] = [tags.artist]
        if tags.track:
            atoms["trkn"] = [tags.track]
        if tags.year:
            atoms["\xa9day"] = [tags.year]
        if tags.genre:
            atoms["\xa9gen"] = [tags.genre]
        if tags.cover:
            kind = MP4Cover.FORMAT_PNG if tags.cover.mime == "image/png" else MP4Cover.FORMAT_JPEG
            atoms["covr"] = [MP4Cover(tags.cover.data, imageformat=kind)]
        mp4.save()

    _save(write, path)


def _save(action, path: Path) -> None:
    try:
        action()
    except (MutagenError, OSError) as exc:
        raise AssemblyError(f"writing tags to {path.name} failed: {exc}") from exc
