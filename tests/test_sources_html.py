"""narrator.sources.html and the shared extractor: main text, furniture skipped, headings."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrator.errors import SourceError
from narrator.sources import Chapter, ReadOptions, read_source
from narrator.sources.htmltext import html_blocks


def write(tmp_path: Path, text: str, name: str = "page.html") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def texts(markup: str) -> list[str]:
    return [b.text for b in html_blocks(markup)]


PAGE = """<!DOCTYPE html>
<html><head><title>Site title</title><style>p { color: red }</style>
<script>var spoken = false;</script></head>
<body>
<header><p>Site banner</p></header>
<nav><ul><li><a href="/">Home</a></li></ul></nav>
<main>
  <h1>The River</h1>
  <p>Under the <em>bridge</em> the river
     ran slow.</p>
  <hr>
  <p>Later&nbsp;that day &amp; night.</p>
  <h2>Downstream</h2>
  <ul><li>One arch</li><li>Two arches</li></ul>
  <blockquote>A voice from the water.</blockquote>
</main>
<aside>Related links</aside>
<footer>Copyright notice</footer>
</body></html>
"""


def test_main_text_only_without_furniture() -> None:
    assert texts(PAGE) == [
        "The River",
        "Under the bridge the river ran slow.",
        "* * *",
        "Later that day & night.",
        "Downstream",
        "One arch",
        "Two arches",
        "A voice from the water.",
    ]


def test_headings_have_levels() -> None:
    levels = [(b.text, b.level) for b in html_blocks(PAGE) if b.is_heading]
    assert levels == [("The River", 1), ("Downstream", 2)]


def test_chapters_from_a_page_read_as_a_document(tmp_path: Path) -> None:
    chapters = read_source(write(tmp_path, PAGE), options=ReadOptions(html="document"))
    assert [c.title for c in chapters] == ["The River", "Downstream"]
    assert chapters[0].paragraphs[-1] == "Later that day & night."


def test_a_page_with_navigation_and_scripts_is_one_article(tmp_path: Path) -> None:
    # Issue 10: a web page (here: script, nav, banner, footer) is one chapter, its article.
    chapters = read_source(write(tmp_path, PAGE))
    assert chapters == [
        Chapter(
            "The River",
            (
                "Under the bridge the river ran slow.",
                "* * *",
                "Later that day & night.",
                "Downstream",
                "One arch",
                "Two arches",
                "A voice from the water.",
            ),
        )
    ]


def test_an_article_cut_at_its_headings_with_split_headings(tmp_path: Path) -> None:
    chapters = read_source(write(tmp_path, PAGE), split="headings")
    assert [c.title for c in chapters] == ["The River", "Downstream"]


def test_fragment_without_body(tmp_path: Path) -> None:
    chapters = read_source(write(tmp_path, "<h2>Note</h2><p>Short <b>fragment</b>.</p>", "n.htm"))
    assert chapters == [Chapter("Note", ("Short fragment.",))]


def test_article_holding_nearly_all_the_text_is_read_alone() -> None:
    story = "A story long enough to outweigh the menu beside it many times over."
    markup = f"<body><div>menu</div><article><p>{story}</p></article></body>"
    assert texts(markup) == [story]


def test_text_around_an_article_is_kept() -> None:
    markup = (
        "<section><h1>Ch 1</h1><p>Main text.</p><article><p>A letter.</p></article>"
        "<p>After.</p></section>"
    )
    assert texts(markup) == ["Ch 1", "Main text.", "A letter.", "After."]


def test_header_holding_a_heading_inside_main_is_kept(tmp_path: Path) -> None:
    markup = (
        "<main><header><h1>Chapter One</h1></header><p>Text.</p>"
        "<h1>Chapter Two</h1><p>More.</p></main>"
    )
    chapters = read_source(write(tmp_path, markup))
    assert chapters == [Chapter("Chapter One", ("Text.",)), Chapter("Chapter Two", ("More.",))]


def test_body_level_banner_is_skipped_but_a_header_with_a_heading_is_not() -> None:
    markup = (
        "<body><header><p>Site banner</p></header><header><h1>Diary</h1></header>"
        "<main><p>Monday.</p></main><p>Tuesday, outside main and longer than it.</p></body>"
    )
    assert texts(markup) == ["Diary", "Monday.", "Tuesday, outside main and longer than it."]


def test_header_inside_an_article_is_kept() -> None:
    markup = (
        "<body><header>Banner</header>"
        "<article><header><h1>Title</h1></header><p>A.</p></article></body>"
    )
    assert [(b.text, b.level) for b in html_blocks(markup)] == [("Title", 1), ("A.", 0)]


def test_div_text_and_nested_blocks_are_separate_paragraphs() -> None:
    markup = "<div>Loose text<p>Inner paragraph.</p>tail words<div>Deeper.</div></div>"
    assert texts(markup) == ["Loose text", "Inner paragraph.", "tail words", "Deeper."]


def test_br_separates_words() -> None:
    assert texts("<p>line one<br>line two</p>") == ["line one line two"]


def test_code_pre_is_a_code_block_but_verse_pre_is_text() -> None:
    markup = "<pre><code>x = 1</code></pre><pre>Roses are red,\nviolets too.\n\nSecond verse.</pre>"
    assert [(b.text, b.kind) for b in html_blocks(markup)] == [
        ("x = 1", "code"),
        ("Roses are red, violets too.", "text"),
        ("Second verse.", "text"),
    ]


def test_comments_images_and_hidden_elements_are_not_text() -> None:
    markup = '<p>Seen<!-- unseen --> <img src="a.png" alt="picture"> here.</p><p hidden>no</p>'
    assert texts(markup) == ["Seen here."]


def test_decoration_paragraph_stays_its_own_paragraph() -> None:
    assert texts('<p>One.</p><p class="centre">* * *</p><p>Two.</p>') == ["One.", "* * *", "Two."]


def test_xhtml_with_xml_declaration_and_self_closing_title(tmp_path: Path) -> None:
    markup = (
        '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        "<head><title/></head><body><h1>Night</h1><p>Dark.</p></body></html>"
    )
    chapters = read_source(write(tmp_path, markup, "night.xhtml"))
    assert chapters == [Chapter("Night", ("Dark.",))]


def test_h4_and_deeper_do_not_start_chapters(tmp_path: Path) -> None:
    markup = "<h2>One</h2><p>A.</p><h4>Note</h4><p>B.</p><h2>Two</h2><p>C.</p>"
    chapters = read_source(write(tmp_path, markup))
    assert chapters == [Chapter("One", ("A.", "Note", "B.")), Chapter("Two", ("C.",))]


def test_cp1252_page(tmp_path: Path) -> None:
    path = tmp_path / "old.html"
    path.write_bytes("<p>Caf\u00e9 \u201cquoted\u201d</p>".encode("cp1252"))
    assert read_source(path)[0].paragraphs == ("Café “quoted”",)


@pytest.mark.parametrize(
    ("head", "codec"),
    [
        ('<meta charset="windows-1251">', "cp1251"),
        ("<meta http-equiv='Content-Type' content='text/html; charset=KOI8-R'>", "koi8_r"),
        ('<?xml version="1.0" encoding="iso-8859-5"?>', "iso8859_5"),
    ],
    ids=["meta-charset", "http-equiv", "xml-declaration"],
)
def test_declared_charset_is_honoured(tmp_path: Path, head: str, codec: str) -> None:
    path = tmp_path / "ru.html"
    path.write_bytes(f"{head}<p>Привет, мир</p>".encode(codec))
    assert read_source(path)[0].paragraphs == ("Привет, мир",)


def test_latin1_label_reads_as_windows_1252_like_browsers(tmp_path: Path) -> None:
    path = tmp_path / "old.html"
    path.write_bytes('<meta charset="ISO-8859-1"><p>\u201cCaf\u00e9\u201d</p>'.encode("cp1252"))
    assert read_source(path)[0].paragraphs == ("\u201cCaf\u00e9\u201d",)


@pytest.mark.parametrize("label", ["x-no-such-charset", "utf-16", "utf-8"])
def test_unknown_or_unfitting_charset_falls_back(tmp_path: Path, label: str) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(f'<meta charset="{label}"><p>Caf\u00e9</p>'.encode("cp1252"))
    assert read_source(path)[0].paragraphs == ("Café",)


def test_undecodable_page_with_a_charset_is_still_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.html"
    path.write_bytes(b'<meta charset="utf-8"><p>\x81\x01\x02</p>')
    with pytest.raises(SourceError, match="re-save it as UTF-8") as info:
        read_source(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("markup", ["<script>only()</script>", "<nav>menu</nav>", "   "])
def test_page_without_main_text_has_no_text_to_narrate(tmp_path: Path, markup: str) -> None:
    path = write(tmp_path, f"<html><body>{markup}</body></html>")
    with pytest.raises(SourceError, match="has no text to narrate") as info:
        read_source(path)
    assert str(path) in str(info.value)


def test_very_deep_nesting_does_not_exhaust_the_stack() -> None:
    depth = 5000  # far past Python's recursion limit
    inline = "<span>deep " * 3 + "text" + "</span>" * 3
    markup = "<div>" * depth + f"<p>{inline}</p>" + "</div>" * depth
    assert texts(markup) == ["deep deep deep text"]


def test_page_title_names_a_page_without_headings(tmp_path: Path) -> None:
    page = "<html><head><title> A  Letter </title></head><body><p>Dear reader.</p></body></html>"
    assert read_source(write(tmp_path, page, "x.html")) == [Chapter("A Letter", ("Dear reader.",))]
    assert read_source(write(tmp_path, page, "x.html"), title="Mine")[0].title == "Mine"
    bare = read_source(write(tmp_path, "<p>Dear reader.</p>", "the_letter.html"))
    assert bare[0].title == "The Letter"
