"""Build 04-night.epub, the EPUB chapter of the sample book (run: python make_epub.py)."""

from __future__ import annotations

from pathlib import Path

from ebooklib import epub

PARAGRAPHS = [
    "At dusk Ines lit the lamps from east to west, counting aloud so the bridge could hear.",
    "Thirty-nine. Forty. Forty-one. The last lamp at the west end stood dark, as the note had "
    "promised, and beside it, where there had been only railing that morning, stood a "
    "forty-second post with a lantern of green glass.",
    "She did not light it. She sat on the third step of the keeper's house, which creaked its "
    "opinion, and watched the green lantern light itself.",
    "The glass warmed from green to gold. Down on the water the reflections of forty-two "
    "lamps shivered and settled, and for a moment the river looked like a second bridge, "
    "hung upside down beneath the first.",
    "Below, in the fourth arch, something turned with a sound like a key.",
    "Ines counted once more, quietly this time, and wrote the new number on the back of "
    "the note before she went to bed.",
]


def build(path: Path) -> None:
    book = epub.EpubBook()
    book.set_identifier("narrator-sample-lantern-night")
    book.set_title("The Lantern Bridge: Night")
    book.set_language("en")
    book.add_author("narrator sample texts")
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    chapter = epub.EpubHtml(title="Night", file_name="night.xhtml", lang="en")
    chapter.content = f"<html><body><h1>Night</h1>{body}</body></html>"
    book.add_item(chapter)
    book.toc = (chapter,)
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", chapter]
    epub.write_epub(str(path), book)


if __name__ == "__main__":
    build(Path(__file__).with_name("04-night.epub"))
