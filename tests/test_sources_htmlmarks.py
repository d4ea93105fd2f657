"""narrator.sources.htmlmarks through the walker: each marker kind out of the text, no glue."""

from __future__ import annotations

import pytest

from narrator.sources.blocks import NoteRef
from narrator.sources.htmltext import Reading, html_blocks, parse_html, soup_blocks


def book_blocks(markup: str, **reading: object):
    return soup_blocks(parse_html(markup), Reading(web_page=False, **reading))


def texts(markup: str) -> list[str]:
    return [b.text for b in book_blocks(markup) if b.kind == "text" and b.text]


@pytest.mark.parametrize(
    ("markup", "spoken"),
    [
        # Poem line numbers: never "oar420", and the next line is a new word.
        ('<p>the oar<span class="lnum">420</span><br/>and the sea</p>', "the oar and the sea"),
        ('<p>first line<span class="linenum">5</span>second line</p>', "first line second line"),
        # Page breaks: EPUB 3, DPUB-ARIA, Project Gutenberg's pagenum span.
        ('<p>has <span epub:type="pagebreak" title="209">209</span>fallen</p>', "has fallen"),
        ('<p>has <span role="doc-pagebreak" aria-label="12">12</span>fallen</p>', "has fallen"),
        ('<p>the <span class="pagenum"><a id="Page_5">[Pg 5]</a></span>house</p>', "the house"),
        ('<p>an empty <span epub:type="pagebreak" id="p7" title="7"/>break</p>', "an empty break"),
    ],
    ids=["lnum", "linenum", "epub-pagebreak", "doc-pagebreak", "pg-pagenum", "empty-pagebreak"],
)
def test_page_and_line_markers_are_dropped_without_gluing(markup: str, spoken: str) -> None:
    assert texts(markup) == [spoken]


def test_a_lone_page_number_line_is_no_paragraph() -> None:
    markup = (
        '<p>Before.</p><div class="center"><span epub:type="pagebreak">181</span></div>'
        "<p>After.</p>"
    )
    assert texts(markup) == ["Before.", "After."]


@pytest.mark.parametrize(
    ("markup", "label"),
    [
        ('currency.<a href="#n1" epub:type="noteref">1</a> Next', "1"),
        ('currency.<a href="#n1" role="doc-noteref">1</a> Next', "1"),
        ('currency.<sup><a href="#n1">1</a></sup> Next', "1"),
        ('currency.<a href="#n1">[1]</a> Next', "1"),
        ('currency.<a class="fnanchor" href="#n1">*</a> Next', "*"),
    ],
    ids=["epub-noteref", "doc-noteref", "sup-link", "bracket-link", "class-fnanchor"],
)
def test_note_references_leave_the_text_and_point_at_their_note(markup: str, label: str) -> None:
    (block,) = book_blocks(f"<p>A unit of {markup} sentence.</p>", doc="ch.xhtml")
    assert block.text == "A unit of currency. Next sentence."
    assert block.refs == (NoteRef("ch.xhtml#n1", label),)


def test_a_noteref_whose_text_is_a_word_keeps_the_word() -> None:
    (block,) = book_blocks('<p>the <a href="#n2" epub:type="noteref">Emperor</a> came</p>')
    assert block.text == "the Emperor came"
    assert [r.key for r in block.refs] == ["#n2"]


def test_a_plain_link_to_a_page_is_not_a_marker() -> None:
    assert texts('<p>see page <a href="#p12">12</a> for more</p>') == ["see page 12 for more"]


@pytest.mark.parametrize(
    "backlink",
    [
        '<a href="ch.xhtml#r1" epub:type="backlink">↩</a>',
        '<a href="#r1" role="doc-backlink">↩︎</a>',
        '<a href="#r1" class="footnote-back">↑</a>',
        '<a href="#r1">↩</a>',
    ],
    ids=["epub-backlink", "doc-backlink", "class", "arrow-only"],
)
def test_backlinks_are_never_spoken(backlink: str) -> None:
    markup = f'<aside epub:type="footnote" id="n1"><p>The note. {backlink}</p></aside>'
    (block,) = book_blocks(markup, doc="ch.xhtml")
    assert (block.kind, block.text, block.key) == ("note", "The note.", "ch.xhtml#n1")


def test_endnotes_list_items_are_notes_keyed_by_document() -> None:
    markup = (
        '<section epub:type="endnotes"><h2>Notes</h2><ol>'
        '<li id="note-1"><p>First.</p></li><li id="note-2"><p>Second.</p><p>More.</p></li>'
        "</ol></section>"
    )
    blocks = book_blocks(markup, doc="text/endnotes.xhtml")
    assert [(b.kind, b.text, b.key) for b in blocks] == [
        ("text", "Notes", ""),
        ("note", "First.", "text/endnotes.xhtml#note-1"),
        ("note", "Second.\nMore.", "text/endnotes.xhtml#note-2"),
    ]


def test_gutenberg_footnote_answers_to_the_id_inside_it() -> None:
    markup = (
        '<p>Text<a id="FNanchor_1" href="#Footnote_1" class="fnanchor">[1]</a> here.</p>'
        '<div class="footnote"><p><a id="Footnote_1" href="#FNanchor_1">'
        '<span class="label">[1]</span></a> The note.</p></div>'
    )
    text, note = book_blocks(markup)
    assert (text.text, text.refs) == ("Text here.", (NoteRef("#Footnote_1", "1"),))
    assert (note.kind, note.text) == ("note", "The note.")
    assert "#Footnote_1" in note.key.split()


def test_sidebar_and_transcribers_note_asides_are_read_where_they_stand() -> None:
    markup = (
        "<p>Before.</p><aside><h4>Tip</h4><p>Use a lantern.</p></aside>"
        "<aside epub:type=\"annotation\"><p>Transcriber's Note: original reads 'Emporer's'</p>"
        "</aside><p>After.</p>"
    )
    assert texts(markup) == [
        "Before.",
        "Tip",
        "Use a lantern.",
        "Transcriber's Note: original reads 'Emporer's'",
        "After.",
    ]


def test_a_web_page_still_drops_its_aside_furniture() -> None:
    markup = "<main><p>Story text long enough.</p></main><aside>Related links</aside>"
    assert [b.text for b in html_blocks(markup)] == ["Story text long enough."]


def test_heading_markers_are_dropped_and_its_refs_kept() -> None:
    markup = '<h2>Chapter One<a href="#n1" epub:type="noteref">1</a></h2><p>Text.</p>'
    heading, _ = book_blocks(markup)
    assert (heading.text, heading.level, heading.refs) == ("Chapter One", 2, (NoteRef("#n1", "1"),))


def test_alt_text_only_when_asked() -> None:
    markup = '<p>A map: <img src="m.png" alt="the town"/> here.</p>'
    assert texts(markup) == ["A map: here."]
    blocks = book_blocks(markup, alt_text=True)
    assert [b.text for b in blocks] == ["A map: the town here."]


def test_anchor_ids_cut_before_their_element() -> None:
    markup = '<p>Intro.</p><section id="poem3"><h3>Poem</h3><p>Verse.</p></section>'
    blocks = book_blocks(markup, anchors=frozenset({"poem3"}))
    assert [(b.kind, b.text or b.key) for b in blocks] == [
        ("text", "Intro."),
        ("anchor", "poem3"),
        ("text", "Poem"),
        ("text", "Verse."),
    ]


def test_bracket_illustration_markers_become_their_caption_or_a_pause() -> None:
    markup = (
        "<p>Before.</p><p>[Illustration]</p><p>[Illustration: The Mock Turtle]</p>"
        "<p>He drew [Illustration] in words.</p>"
    )
    assert texts(markup) == [
        "Before.",
        "* * *",
        "The Mock Turtle",
        "He drew [Illustration] in words.",
    ]


def test_htmlbook_data_type_footnotes() -> None:
    markup = (
        '<p>Alerts<sup><a data-type="noteref" href="#f22">22</a></sup> and more.</p>'
        '<div class="footnotes" data-type="footnotes"><p data-type="footnote" id="f22">'
        '<sup><a href="#f22-marker">22</a></sup>Sometimes known as spam.</p></div>'
    )
    text, note = book_blocks(markup)
    assert (text.text, text.refs) == ("Alerts and more.", (NoteRef("#f22", "22"),))
    assert (note.kind, note.text, note.key) == ("note", "Sometimes known as spam.", "#f22")
