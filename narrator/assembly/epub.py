"""The `epub` output: an EPUB 3 read-along book with Media Overlays, written by hand.

ebooklib (a dependency for reading EPUBs) can carry a SMIL file and a `media-overlay` attribute,
but it writes every item from bytes held in memory, and a long book's audio must not be. So the
package is a handful of small XML documents written here and a ZIP into which each chapter's
audio file (already encoded by its track, never re-encoded) is copied from disk in small blocks.

Layout (all in EPUB/): content.opf, nav.xhtml, style.css, cNNN.xhtml + cNNN.smil + cNNN.mp3
(or .m4a) per chapter, and the cover image when given.
"""

from __future__ import annotations

import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from narrator.assembly.model import BookInfo
from narrator.assembly.outputs import EpubAudio, TempFile
from narrator.assembly.readalong import (
    ACTIVE_CLASS,
    STYLE,
    ChapterText,
    chapter_text,
    clock,
    smil,
    xhtml,
)
from narrator.assembly.tags import Cover
from narrator.assembly.timings import Timing
from narrator.errors import OutputError

_CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles>
<rootfile full-path="EPUB/content.opf" media-type="application/oebps-package+xml"/>
</rootfiles>
</container>
"""


@dataclass(frozen=True)
class EpubChapter:
    """One chapter as its track wrote it: text as written, timings, length, compressed audio."""

    title: str
    text: tuple[str, ...]
    heading: int | None
    timings: tuple[Timing, ...]
    samples: int  # the chapter file's length, 24 kHz
    audio: EpubAudio


@dataclass(frozen=True)
class _Entry:
    """A chapter's names inside the package."""

    number: int
    text: ChapterText
    audio: EpubAudio
    samples: int

    @property
    def stem(self) -> str:
        return f"c{self.number:03d}"

    @property
    def audio_name(self) -> str:
        return f"{self.stem}.mp3" if self.audio.media_type == "audio/mpeg" else f"{self.stem}.m4a"


def write_epub(
    final: Path, book: BookInfo, chapters: Sequence[EpubChapter], cover: Cover | None
) -> Path:
    """Write the EPUB under a temp name and rename it into place when complete."""
    entries = [
        _Entry(
            n, chapter_text(c.title, c.text, c.heading, c.timings, c.samples), c.audio, c.samples
        )
        for n, c in enumerate(chapters, 1)
    ]
    temp = TempFile(final)
    try:
        with zipfile.ZipFile(temp.temp, "w", zipfile.ZIP_DEFLATED) as package:
            _fill(package, book, entries, cover)
    except OSError as exc:
        temp.discard()
        raise OutputError(f"{final}: cannot write ({exc.strerror}); check output.dir") from exc
    except BaseException:
        temp.discard()
        raise
    return temp.commit()


def _fill(
    package: zipfile.ZipFile, book: BookInfo, entries: Sequence[_Entry], cover: Cover | None
) -> None:
    # OCF: `mimetype` first, stored, so the file identifies itself by its first bytes.
    package.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
    package.writestr("META-INF/container.xml", _CONTAINER)
    package.writestr("EPUB/style.css", STYLE)
    package.writestr("EPUB/nav.xhtml", _nav(book, entries))
    for entry in entries:
        document = f"{entry.stem}.xhtml"
        package.writestr(f"EPUB/{document}", xhtml(entry.text, book.language))
        package.writestr(f"EPUB/{entry.stem}.smil", smil(entry.text, document, entry.audio_name))
        # Compressed audio does not deflate; stored, it is copied from disk block by block.
        package.write(entry.audio.path, f"EPUB/{entry.audio_name}", zipfile.ZIP_STORED)
    if cover is not None:
        package.writestr(f"EPUB/{_cover_name(cover)}", cover.data, zipfile.ZIP_STORED)
    package.writestr("EPUB/content.opf", _opf(book, entries, cover))


def _cover_name(cover: Cover) -> str:
    return "cover.jpg" if cover.mime == "image/jpeg" else "cover.png"


def _nav(book: BookInfo, entries: Sequence[_Entry]) -> str:
    items = "\n".join(
        f'<li><a href="{e.stem}.xhtml">{escape(e.text.title)}</a></li>' for e in entries
    )
    lang = quoteattr(book.language)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" '
        f"xml:lang={lang} lang={lang}>\n"
        f'<head>\n<meta charset="utf-8"/>\n<title>{escape(book.title)}</title>\n</head>\n'
        f'<body>\n<nav epub:type="toc" id="toc">\n<h1>{escape(book.title)}</h1>\n'
        f"<ol>\n{items}\n</ol>\n</nav>\n</body>\n</html>\n"
    )


def _identifier(book: BookInfo, entries: Sequence[_Entry]) -> str:
    """Stable across runs of the same book, so a reading system keeps its place."""
    seed = "\0".join([book.title, book.author or "", *(e.text.title for e in entries)])
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'narrator:' + seed)}"


def _metadata(book: BookInfo, entries: Sequence[_Entry]) -> list[str]:
    modified = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [
        f'<dc:identifier id="uid">{_identifier(book, entries)}</dc:identifier>',
        f"<dc:title>{escape(book.title or 'Untitled')}</dc:title>",
        f"<dc:language>{escape(book.language)}</dc:language>",
        f'<meta property="dcterms:modified">{modified}</meta>',
    ]
    if book.author:
        lines += [
            f'<dc:creator id="author">{escape(book.author)}</dc:creator>',
            '<meta refines="#author" property="role" scheme="marc:relators">aut</meta>',
        ]
    if book.narrator:
        lines += [
            f'<dc:contributor id="narrator">{escape(book.narrator)}</dc:contributor>',
            '<meta refines="#narrator" property="role" scheme="marc:relators">nrt</meta>',
            f'<meta property="media:narrator">{escape(book.narrator)}</meta>',
        ]
    if book.year and book.year.isdigit() and len(book.year) == 4:
        lines.append(f"<dc:date>{escape(book.year)}</dc:date>")
    total = sum(e.samples for e in entries)
    lines.append(f'<meta property="media:duration">{clock(total)}</meta>')
    lines += [
        f'<meta property="media:duration" refines="#{e.stem}-overlay">{clock(e.samples)}</meta>'
        for e in entries
    ]
    lines.append(f'<meta property="media:active-class">{ACTIVE_CLASS}</meta>')
    return lines


def _manifest(entries: Sequence[_Entry], cover: Cover | None) -> list[str]:
    lines = [
        '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>',
        '<item id="style" href="style.css" media-type="text/css"/>',
    ]
    for e in entries:
        lines += [
            (
                f'<item id="{e.stem}" href="{e.stem}.xhtml" media-type="application/xhtml+xml" '
                f'media-overlay="{e.stem}-overlay"/>'
            ),
            f'<item id="{e.stem}-overlay" href="{e.stem}.smil" media-type="application/smil+xml"/>',
            f'<item id="{e.stem}-audio" href="{e.audio_name}" media-type="{e.audio.media_type}"/>',
        ]
    if cover is not None:
        lines.append(
            f'<item id="cover" href="{_cover_name(cover)}" media-type="{cover.mime}" '
            'properties="cover-image"/>'
        )
    return lines


def _opf(book: BookInfo, entries: Sequence[_Entry], cover: Cover | None) -> str:
    spine = "\n".join(f'<itemref idref="{e.stem}"/>' for e in entries)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid" '
        f"xml:lang={quoteattr(book.language)}>\n"
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        + "\n".join(_metadata(book, entries))
        + "\n</metadata>\n<manifest>\n"
        + "\n".join(_manifest(entries, cover))
        + f"\n</manifest>\n<spine>\n{spine}\n</spine>\n</package>\n"
    )
