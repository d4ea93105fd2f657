"""What follows a segment: the assembler chooses the pause from it."""

from __future__ import annotations

import enum


class Boundary(enum.StrEnum):
    SENTENCE = "sentence"  # another segment of the same paragraph follows
    PARAGRAPH = "paragraph"  # the paragraph ends here
    SCENE = "scene"  # a scene break (a decoration line such as "* * *") follows
    CHAPTER = "chapter"  # the chapter ends here
