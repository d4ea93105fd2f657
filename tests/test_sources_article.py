"""narrator.sources.article: web pages read as their article, on real saved pages.

The pages are Mozilla Readability's test pages (tests/data/web and tests/data/web-extra);
expected.html is the article Readability.js extracts. bench/articles.py measures all of them;
these tests pin a few: the title, the article's first and last paragraph spoken, and page
furniture that is on the page but not spoken.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from narrator.errors import SourceError
from narrator.sources import Chapter, ReadOptions, read_source
from narrator.sources.article import covered, looks_like_web_page, scrub_markers
from narrator.sources.htmltext import parse_html, soup_blocks

DATA = Path(__file__).parent / "data"


def words(text: str) -> str:
    return " " + " ".join(re.findall(r"\w+", text.lower())) + " "


@cache
def spoken(page: str, html: str = "auto") -> tuple[Chapter, ...]:
    return tuple(read_source(DATA / page / "source.html", options=ReadOptions(html=html)))


def heard(chapters: tuple[Chapter, ...]) -> str:
    return " | ".join(p for c in chapters for p in (c.title or "", *c.paragraphs))


def expected_paragraphs(page: str) -> list[str]:
    markup = (DATA / page / "expected.html").read_text(encoding="utf-8")
    return [b.text for b in soup_blocks(parse_html(markup), web_page=False)]


PAGES = {
    "web/buzzfeed-1": (
        "Student Dies After Diet Pills She Bought Online “Burned Her Up From Within”",
        ["BuzzFeed Community", "Quizzes", "Make A Post!"],
    ),
    "web/cnet": (
        "Zuckerberg offers peek at Facebook's acquisition strategies",
        ["Sponsored Links by", "Promoted Links", "ADVERTISING", "Tech Industry"],
    ),
    "web/tmz-1": (
        "Lupita Nyong'o's $150K Pearl Oscar Dress -- STOLEN!!!",
        ["Got a Tip?", "Enter your Zip Code", "Our TV Shows", "Drake Assaulted"],
    ),
    "web-extra/nytimes-1": (
        "United States to Lift Sudan Sanctions",
        ["Skip to content", "SUBSCRIBE NOW", "Internet Explorer 9", "Tweet", "abtest_bar1"],
    ),
    "web-extra/wikipedia": (
        "Mozilla",
        ["Navigation menu", "Personal tools", "Not logged in", "Jump to", "Privacy policy"],
    ),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_a_web_page_is_one_chapter_titled_by_its_article(page: str) -> None:
    chapters = spoken(page)
    assert [c.title for c in chapters] == [PAGES[page][0]]
    assert not chapters[0].fallback_title


# Readability keeps Wikipedia's closing lists of links, which are not prose to read: the
# Wikipedia page's first and last prose are pinned in its own test.
@pytest.mark.parametrize("page", [p for p in PAGES if "wikipedia" not in p])
def test_the_article_is_spoken_from_its_first_to_its_last_paragraph(page: str) -> None:
    said = words(heard(spoken(page)))
    article = [p for p in expected_paragraphs(page) if len(p.split()) >= 6]
    assert words(scrub_markers(article[0])) in said
    assert words(scrub_markers(article[-1])) in said


@pytest.mark.parametrize("page", list(PAGES))
def test_page_furniture_is_not_spoken(page: str) -> None:
    source = (DATA / page / "source.html").read_text(encoding="utf-8", errors="replace")
    said = heard(spoken(page))
    for furniture in PAGES[page][1]:
        assert furniture in source  # it is on the page...
        assert furniture not in said  # ...but not in what is read


def test_the_furniture_left_out_is_listed_as_skipped() -> None:
    (chapter,) = spoken("web/tmz-1")
    (furniture,) = chapter.skipped
    assert furniture.what == "web page furniture"
    assert "Got a Tip?" in furniture.text and furniture.words > 100
    assert not any(c.skipped for c in spoken("web/tmz-1", "document"))


def test_html_document_reads_the_whole_page() -> None:
    document = heard(spoken("web/tmz-1", "document"))
    assert "Got a Tip?" in document and "Our TV Shows" in document
    assert heard(spoken("web/tmz-1", "article")) == heard(spoken("web/tmz-1"))


def test_wikipedia_citation_marks_edit_links_and_contents_box_are_not_spoken() -> None:
    for html in ("auto", "document"):
        said = heard(spoken("web-extra/wikipedia", html))
        assert "created in 1998 by members of Netscape." in said
        assert "to develop a shared understanding of Mozilla's mission together." in said
        assert not re.search(r"\[\s*(\d+|edit)\s*\]", said)
    article = spoken("web-extra/wikipedia")[0].paragraphs
    assert "History" in article  # the section heading is read once, not its contents entry
    assert not any(p.startswith(("1 History", "Contents")) for p in article)


# -- which pages are web pages ------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "<script>track()</script><h1>T</h1><p>Text.</p>",
        "<nav><a href='/'>Home</a></nav><p>Text.</p>",
        "<form><input name=q></form><p>Text.</p>",
        "<header><a href='/'>Site</a></header><p>Text.</p>",
        "<p>Text.</p><footer>© Site</footer>",
        "<p>" + " ".join(f"<a href='/p{i}'>story {i}</a>" for i in range(10)) + " more</p>",
    ],
    ids=["script", "nav", "form", "banner", "footer", "links"],
)
def test_pages_with_furniture_are_web_pages(body: str) -> None:
    assert looks_like_web_page(parse_html(f"<html><body>{body}</body></html>"))


@pytest.mark.parametrize(
    "markup",
    [
        (
            "<html><head><title>Ch</title><style>p{}</style></head>"
            "<body><h1>One</h1><p>Text with <a href='#n1'>a note</a> and more "
            "words.</p></body></html>"
        ),
        "<section><header><h1>One</h1></header><p>Text.</p></section>",
        (
            '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml" '
            'xmlns:epub="http://www.idpf.org/2007/ops"><head><script>x()</script></head>'
            "<body><nav epub:type='toc'><ol><li>One</li></ol></nav><p>Text.</p></body></html>"
        ),
    ],
    ids=["plain-chapter", "header-with-heading", "epub-xhtml"],
)
def test_book_chapters_and_plain_documents_are_not(markup: str) -> None:
    assert not looks_like_web_page(parse_html(markup))


def test_a_plain_document_keeps_its_chapters_and_article_mode_makes_one(tmp_path: Path) -> None:
    path = tmp_path / "book.html"
    path.write_text(
        "<html><head><title>Book</title></head><body>"
        + "".join(
            f"<h2>Part {n}</h2><p>{'The long road wound on through the hills. ' * 8}</p>"
            for n in (1, 2)
        )
        + "</body></html>",
        encoding="utf-8",
    )
    assert [c.title for c in read_source(path)] == ["Part 1", "Part 2"]
    article = read_source(path, options=ReadOptions(html="article"))
    assert len(article) == 1 and "Part 2" in article[0].paragraphs


def test_an_article_with_nothing_found_falls_back_to_the_document(tmp_path: Path) -> None:
    path = tmp_path / "tiny.html"
    path.write_text("<script>x()</script><p>Hello there.</p>", encoding="utf-8")
    assert read_source(path)[0].paragraphs == ("Hello there.",)


def test_unknown_html_mode_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "p.html"
    path.write_text("<p>Text.</p>", encoding="utf-8")
    with pytest.raises(SourceError, match="unknown html mode 'web'") as info:
        read_source(path, options=ReadOptions(html="web"))
    assert str(path) in str(info.value)


# -- markers and alignment ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("a unit of currency.[6][7] It", "a unit of currency. It"),
        ("History[edit]", "History"),
        ("History [ edit ]", "History"),
        ("Claimed [citation needed] often", "Claimed often"),
        ("Per note.[a][note 2]", "Per note."),
        ("Section[edit | edit source]", "Section"),
        ("See [Docs] [txt|pdf] and [Page 22]", "See [Docs] [txt|pdf] and [Page 22]"),
        ("And [I] went; [He] said", "And [I] went; [He] said"),  # an editor's words stay
    ],
)
def test_scrub_markers(text: str, clean: str) -> None:
    assert scrub_markers(text) == clean


def test_markers_are_not_spoken_in_document_mode(tmp_path: Path) -> None:
    path = tmp_path / "w.html"
    path.write_text(
        "<h2>History<span>[<a href='?edit'>edit</a>]</span></h2>"
        "<p>Currency.<sup><a href='#c6'>[6]</a></sup><sup><a href='#c7'>[7]</a></sup> Next.</p>",
        encoding="utf-8",
    )
    chapters = read_source(path, options=ReadOptions(html="document"))
    assert chapters == [Chapter("History", ("Currency. Next.",))]


def test_covered_finds_blocks_whole_in_part_and_in_order() -> None:
    extracted = tokens("the river ran slow under the bridge later that day a voice")
    blocks = [
        tokens("home"),  # furniture
        tokens("the river ran slow under the bridge"),
        tokens("share"),  # a short block not right after the previous one found
        tokens("later that day read more"),  # found in part
        tokens("a voice"),
        tokens("the bridge"),  # short, and already passed
    ]
    assert covered(blocks, extracted) == [False, True, False, True, True, False]


def tokens(text: str) -> list[str]:
    return text.split()
