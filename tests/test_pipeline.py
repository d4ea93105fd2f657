"""End to end through the real local server (test voice): sources -> audio files -> text again."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import pytest
import support
from ebooklib import epub
from support import KEY_ENV

from narrator.errors import JobStopped, UserError
from narrator.jobfile import load_job
from narrator.pipeline import RunOptions, run_job
from narrator.plan import announced_title, normalization, spoken_forms, title_sentence
from narrator.server import FaultPlan
from narrator.server.textcode import decode
from narrator.sources import read_source
from narrator.text.paragraphs import is_decoration

TXT = """CHAPTER I. THE FERRY

The ferry left at dawn, its horn low over the water. Mara counted the gulls
that followed it, lost count at forty, and began again.

* * *

By noon the far shore had a shape: a row of sheds, a crane, a dog that barked
at nothing. "We're early," said the pilot. Nobody believed him.

CHAPTER II. THE SHEDS

The sheds smelled of tar and apples. Somebody had chalked numbers on every
door; door seven had no number at all.
"""

MD = """# The Market

Stalls opened one by one. *Bread* first, then **fish**, then a man selling
[maps](https://example.invalid/maps) of places that did not exist.

```
print("this code is never read aloud")
```

- Apples, three for a coin.
- Rope, by the arm's length.
"""

HTML = """<html><head><title>x</title><style>p {color: red}</style></head><body>
<nav>Home | Next</nav>
<h1>The River</h1>
<p>The river was slow and brown and full of opinions.</p>
<p>Mara sat on the bank until the light went copper; then she walked home.</p>
</body></html>"""


def make_epub(path: Path) -> None:
    book = epub.EpubBook()
    book.set_identifier("narrator-test-epub")
    book.set_title("Night")
    book.set_language("en")
    chapter = epub.EpubHtml(title="Night Falls", file_name="night.xhtml", lang="en")
    chapter.content = (
        "<html><body><h1>Night Falls</h1><p>The lamps came on along the bridge, one after "
        "another, like a sentence being read aloud.</p></body></html>"
    )
    book.add_item(chapter)
    book.toc = (chapter,)
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", chapter]
    epub.write_epub(str(path), book)


def write_sources(folder: Path) -> list[Path]:
    paths = [folder / "01.txt", folder / "02.md", folder / "03.html", folder / "04.epub"]
    paths[0].write_text(TXT, encoding="utf-8")
    paths[1].write_text(MD, encoding="utf-8")
    paths[2].write_text(HTML, encoding="utf-8")
    make_epub(paths[3])
    return paths


def write_job(folder: Path, url: str, extra: str = "", sources: list[Path] | None = None) -> Path:
    listed = "".join(f"\n  - {p.name}" for p in sources or write_sources(folder))
    return support.write_job(
        folder,
        url=url,
        extra=extra,
        title="The Lantern Test",
        author="Test Author",
        sources=listed,
        synthesis="{concurrency: 4, max_attempts: 12}",
    )


def expected_chapters(job_path: Path) -> list[str]:
    """Each chapter's words as the sources say them, normalized (decoration lines are silent)."""
    job = load_job(job_path)
    texts = []
    for source in job.sources:
        finders = normalization(job, source.voice or job.voice)[0]
        for chapter in read_source(source.path, split=source.split, title=source.title):
            if chapter.role not in source.matter:  # skipped as front/back matter
                continue
            spoken = [p for p in chapter.paragraphs if not is_decoration(p)]
            title = announced_title(chapter) if job.speak_titles else None
            paragraphs = ([title_sentence(title)] if title else []) + spoken
            forms = spoken_forms(paragraphs, job.lexicon, finders)
            texts.append(_words(" ".join(form.text for form in forms)))
    return texts


def decoded_chapters(files: list[Path]) -> list[str]:
    out = []
    for path in sorted(f for f in files if f.suffix == ".wav"):
        with wave.open(str(path)) as w:
            found = decode(w.readframes(w.getnframes()))
        assert all(d.complete for d in found), f"{path.name}: a segment was cut short"
        out.append(_words(" ".join(d.text for d in found)))
    return out


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.anyio
async def test_multi_source_job_speaks_every_word_in_order(tmp_path, job_server):
    async with job_server() as srv:
        job_path = write_job(tmp_path, srv.url)
        summary = await run_job(load_job(job_path), RunOptions())
    assert summary.complete and summary.synthesized > 0
    chapters = expected_chapters(job_path)
    # Two txt chapters, md, html and the epub's chapter (its nav page is `toc`, not spoken).
    assert len(chapters) == 5
    assert decoded_chapters(summary.files) == chapters
    spoken = " ".join(chapters)
    assert chapters[0].startswith("CHAPTER One. THE FERRY. The ferry left")  # titles announced
    assert chapters[2].startswith("The Market. Stalls opened")
    assert "never read aloud" not in spoken and "Home | Next" not in spoken and "* *" not in spoken


@pytest.mark.anyio
async def test_titles_can_stay_silent_and_file_names_are_never_announced(tmp_path, job_server):
    plain = tmp_path / "my_notes.txt"
    plain.write_text("Just one paragraph without a heading.", encoding="utf-8")
    async with job_server() as srv:
        job_path = write_job(tmp_path, srv.url, "speak_titles: false\n")
        summary = await run_job(load_job(job_path), RunOptions())
        assert not decoded_chapters(summary.files)[0].startswith("CHAPTER")
        (tmp_path / "out").rename(tmp_path / "out-silent")
        job_path = write_job(tmp_path, srv.url, sources=[plain])
        summary = await run_job(load_job(job_path), RunOptions())
    assert decoded_chapters(summary.files) == ["Just one paragraph without a heading."]


@pytest.mark.anyio
async def test_second_run_sends_no_request_and_an_edit_only_the_edited_segments(
    tmp_path, job_server
):
    async with job_server() as srv:
        job_path = write_job(tmp_path, srv.url)
        first = await run_job(load_job(job_path), RunOptions())
        after_first = srv.stats.requests
        second = await run_job(load_job(job_path), RunOptions())
        assert srv.stats.requests == after_first and second.synthesized == 0
        assert second.reused == first.planned

        txt = tmp_path / "01.txt"
        txt.write_text(txt.read_text().replace("door seven", "door eleven"), encoding="utf-8")
        third = await run_job(load_job(job_path), RunOptions())
        new_texts = srv.stats.texts()[after_first:]
    assert third.synthesized == len(new_texts) == 1
    assert "door eleven" in new_texts[0]
    assert "door eleven" in " ".join(decoded_chapters(third.files))


@pytest.mark.anyio
async def test_injected_faults_still_give_the_same_audiobook(tmp_path, job_server):
    clean_dir, faulty_dir = tmp_path / "clean", tmp_path / "faulty"
    clean_dir.mkdir()
    faulty_dir.mkdir()
    async with job_server() as srv:
        clean = await run_job(load_job(write_job(clean_dir, srv.url)), RunOptions())
    faults = FaultPlan(
        seed=11, rate_limited=0.3, backend_unavailable=0.1, drop=0.05, malformed=0.02
    )
    async with job_server(faults=faults) as srv:
        faulty = await run_job(load_job(write_job(faulty_dir, srv.url)), RunOptions())
        injected = sum(1 for r in srv.stats.interactions if r.injected)
    assert faulty.complete and injected > 0
    for a, b in zip(sorted(clean.files), sorted(faulty.files), strict=True):
        assert a.name == b.name and a.read_bytes() == b.read_bytes()


@pytest.mark.anyio
async def test_wrong_key_stops_at_once_naming_the_variable(tmp_path, job_server, monkeypatch):
    async with job_server() as srv:
        monkeypatch.setenv(KEY_ENV, "not-the-key")
        job = load_job(write_job(tmp_path, srv.url))
        with pytest.raises(JobStopped) as stopped:
            await run_job(job, RunOptions())
        assert srv.stats.requests == 0
    message = str(stopped.value)
    assert KEY_ENV in message and "not-the-key" not in message


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["http", "message"])
async def test_a_wrong_key_costs_one_refused_handshake_whatever_the_concurrency(
    tmp_path, job_server, monkeypatch, mode
):
    async with job_server(auth_failure=mode) as srv:
        monkeypatch.setenv(KEY_ENV, "not-the-key")
        for concurrency in (1, 4, 16):
            folder = tmp_path / f"{mode}-{concurrency}"
            folder.mkdir()
            extra = f"synthesis: {{concurrency: {concurrency}}}\n"
            job = write_job(folder, srv.url, sources=[_many_segments(folder)])
            job.write_text(
                job.read_text().replace("synthesis: {concurrency: 4, max_attempts: 12}\n", extra)
            )
            before = srv.stats.auth_failures
            with pytest.raises(JobStopped, match=KEY_ENV):
                await run_job(load_job(job), RunOptions())
            assert srv.stats.auth_failures - before == 1, (mode, concurrency)
        assert srv.stats.requests == 0


def _many_segments(folder: Path) -> Path:
    path = folder / "many.txt"
    path.write_text("\n\n".join(f"Paragraph {i} stands alone." for i in range(40)))
    return path


@pytest.mark.anyio
async def test_unknown_voice_stops_naming_the_config_id(tmp_path, job_server):
    async with job_server() as srv:
        job_path = write_job(tmp_path, srv.url)
        job_path.write_text(job_path.read_text().replace("config_id: test", "config_id: nobody"))
        with pytest.raises(JobStopped, match="nobody"):
            await run_job(load_job(job_path), RunOptions())


@pytest.mark.anyio
async def test_missing_key_variable_is_a_user_error_before_any_request(
    tmp_path, job_server, monkeypatch
):
    async with job_server() as srv:
        monkeypatch.delenv(KEY_ENV)
        job = load_job(write_job(tmp_path, srv.url))
        with pytest.raises(UserError, match=f"{KEY_ENV} is not set.*book.yaml: server.api_key_env"):
            await run_job(job, RunOptions())
        assert srv.stats.connections == 0
        assert not job.workspace.exists()  # said before anything was created


@pytest.mark.anyio
async def test_segment_cut_at_the_cap_is_resplit_and_complete(tmp_path, job_server):
    # The voice speaks three times slower than the segmenter predicts, so 20 s segments come
    # back cut at the 30 s cap; narrator must split them and still say every word.
    long_text = " ".join(f"Sentence number {i} is here to take up time." for i in range(40))
    source = tmp_path / "long.txt"
    source.write_text(long_text, encoding="utf-8")
    async with job_server() as srv:
        job_path = write_job(tmp_path, srv.url, sources=[source])
        job_path.write_text(
            job_path.read_text().replace(
                "voice: {config_id: test}",
                "voice: {config_id: test, params: {chars_per_second: 5}}",
            )
        )
        summary = await run_job(load_job(job_path), RunOptions())
        truncated = [r for r in srv.stats.interactions if r.truncated]
    assert summary.complete and truncated
    assert decoded_chapters(summary.files) == expected_chapters(job_path)  # numbers as words


@pytest.mark.anyio
async def test_qc_compares_each_segments_pace_with_its_own_voice(tmp_path, job_server):
    # The second source's voice speaks at 6 instead of 15 characters per second. Against one
    # book-wide median (the fast voice's) every slow segment would look like garbage audio.
    line = "Line {} of the pace check is an ordinary sentence.\n\n"
    (tmp_path / "fast.txt").write_text("".join(line.format(i) for i in range(10)), encoding="utf-8")
    (tmp_path / "slow.txt").write_text("".join(line.format(i) for i in range(3)), encoding="utf-8")
    async with job_server() as srv:
        job = write_job(tmp_path, srv.url, sources=[tmp_path / "fast.txt", tmp_path / "slow.txt"])
        body = (
            job.read_text(encoding="utf-8")
            .replace("  - slow.txt", "  - {path: slow.txt, voice: {params: {chars_per_second: 6}}}")
            .replace("subtitles: []}", "subtitles: [], qc: true}")
        )
        job.write_text(body, encoding="utf-8")
        summary = await run_job(load_job(job), RunOptions())
    assert summary.complete and "0 pace outliers" in summary.qc_table
