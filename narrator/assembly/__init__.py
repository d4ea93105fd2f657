"""The assembler: stored segment PCM (24 kHz mono s16le) -> the files a listener plays.

Streaming: a chapter's pieces are read one block (<= 5 s) at a time from the store and fed at once
to every output (each chapter's WAV/MP3/M4B, the whole-book file, subtitles, meters). Nothing holds
a chapter, let alone the book; nothing is joined or copied afterwards.

Pause rule (sample-exact at 24 kHz; seconds are rounded to whole samples):

* Inside a chapter, after every piece except the chapter's last one, insert the pause of that
  piece's boundary: SENTENCE -> pauses.sentence, PARAGRAPH -> pauses.paragraph, SCENE ->
  pauses.scene. A CHAPTER boundary (normally only on the last piece) inserts nothing at the end of
  the chapter; should one appear mid-chapter it counts as a paragraph break.
* The chapter's body runs from its first piece's first sample to its last piece's last sample.
* A chapter file = lead_in silence + body + tail silence.
* The whole-book file = lead_in + body 1 + chapter pause + body 2 + ... + body N + tail.
  Chapter marks: chapter 1 at 0, chapter k at (body k start - min(lead_in, chapter pause)).
* Each piece fades in and out over its first and last 5 ms (raised cosine): no clicks at joins,
  and nothing beyond the 10 ms edges of a segment is ever touched.

Formats: WAV is streamed and becomes RF64 past 4 GiB (about 24.8 h at 24 kHz) rather than being
refused; MP3 (libmp3lame) and M4B (AAC) are encoded by ffmpeg through a pipe, then tagged with
mutagen. Every file is written under a hidden temp name and renamed only when complete.
Loudness normalization (optional) is two-pass per chapter with one linear gain (see loudness.py).
"""

from __future__ import annotations

from narrator.assembly.driver import AssemblyResult, assemble
from narrator.assembly.model import BookInfo, ChapterAudio, Piece
from narrator.assembly.options import OutputOptions, Pauses
from narrator.assembly.qc import QcReport

__all__ = [
    "AssemblyResult",
    "BookInfo",
    "ChapterAudio",
    "OutputOptions",
    "Pauses",
    "Piece",
    "QcReport",
    "assemble",
]
