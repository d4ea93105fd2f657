"""Chapter marks: layout of the book file, ffmetadata escaping, ID3 CHAP/CTOC frames."""

from __future__ import annotations

from mutagen.id3 import CTOCFlags

from narrator.assembly.chapters import ChapterMark, book_layout, book_marks, ffmetadata, id3_frames
from narrator.assembly.pcmstream import ChapterPlan, PauseSamples

PAUSES = PauseSamples(sentence=1, paragraph=2, scene=3, chapter=4800, lead_in=2400, tail=9600)
PLANS = [ChapterPlan("One", 100_000, 3), ChapterPlan("Two", 50_000, 2), ChapterPlan("Three", 10, 1)]


def test_layout_and_marks_follow_the_rule() -> None:
    starts, total = book_layout(PLANS, PAUSES)
    assert starts == [2400, 2400 + 100_000 + 4800, 2400 + 150_000 + 9600]
    assert total == 2400 + 150_010 + 9600 + 9600
    marks = book_marks(PLANS, PAUSES)
    assert [(m.start, m.end) for m in marks] == [
        (0, starts[1] - 2400),
        (starts[1] - 2400, starts[2] - 2400),
        (starts[2] - 2400, total),
    ]


def test_lead_is_capped_by_the_chapter_pause() -> None:
    short = PauseSamples(1, 2, 3, chapter=100, lead_in=2400, tail=0)
    starts, _ = book_layout(PLANS, short)
    assert book_marks(PLANS, short)[1].start == starts[1] - 100


def test_ffmetadata_escapes_titles() -> None:
    text = ffmetadata([ChapterMark("A=B; #1 \\ end", 0, 24000)])
    assert text.startswith(";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/24000\nSTART=0\nEND=24000\n")
    assert "title=A\\=B\\; \\#1 \\\\ end\n" in text


def test_id3_frames_are_an_ordered_top_level_toc() -> None:
    toc, *chaps = id3_frames([ChapterMark("One", 0, 24000), ChapterMark("Two", 24000, 36030)])
    assert toc.flags & CTOCFlags.TOP_LEVEL and toc.flags & CTOCFlags.ORDERED
    assert list(toc.child_element_ids) == ["chp0", "chp1"]
    assert [(c.start_time, c.end_time, str(c.sub_frames["TIT2"])) for c in chaps] == [
        (0, 1000, "One"),
        (1000, 1501, "Two"),
    ]
