"""The job YAML: defaults, paths, lexicon, and one-line errors that name the field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrator.errors import JobFileError
from narrator.jobfile import LexiconRule, apply_lexicon, load_job

REPO = Path(__file__).resolve().parents[1]


def write_job(tmp_path: Path, body: str, name: str = "book.yaml") -> Path:
    (tmp_path / "a.txt").write_text("Hello there. How are you?\n", encoding="utf-8")
    job = tmp_path / name
    job.write_text(body, encoding="utf-8")
    return job


def error_of(tmp_path: Path, body: str) -> str:
    job = write_job(tmp_path, body)
    with pytest.raises(JobFileError) as caught:
        load_job(job)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(job))
    return message


def test_minimal_job_gets_every_default(tmp_path):
    job = load_job(write_job(tmp_path, "title: My Book\nsources: [a.txt]\n"))
    assert job.title == "My Book" and job.author is None and job.server is None
    assert job.sources[0].path == tmp_path / "a.txt" and job.sources[0].split == "auto"
    assert job.voice.config_id == "joe" and job.voice.language == "English" and job.voice.params == {}
    assert job.synthesis.concurrency == 4 and job.synthesis.max_segment_seconds == 20.0
    assert job.pauses.paragraph == 0.8 and job.output.formats == ("mp3",)
    assert job.output.dir == tmp_path / "out" / "book" and job.output.loudness == -20.0
    assert job.workspace == tmp_path / ".narrator" / "book"


def test_full_job_with_overrides_and_server(tmp_path):
    body = """
title: T
author: A. Writer
sources:
  - a.txt
  - {path: a.txt, title: Second, split: none, voice: {config_id: test}}
voice: {config_id: joe, language: German, params: {max_new_tokens: 200, style: {warm: 1}}}
server: {url: "ws://127.0.0.1:9/", api_key_env: MY_KEY}
synthesis: {concurrency: 2, max_attempts: 3, request_timeout: 30, connect_timeout: 5}
pauses: {sentence: 0.2, tail: 0}
output: {dir: out, formats: [wav, M4B], whole_book: true, subtitles: vtt, loudness: null}
workspace: ws
"""
    job = load_job(write_job(tmp_path, body))
    override = job.sources[1].voice
    assert override is not None and override.config_id == "test"
    # the override inherits what it does not say from the job voice
    assert override.language == "German" and override.params["max_new_tokens"] == 200
    assert job.voice.params == {"max_new_tokens": 200, "style": {"warm": 1}}
    assert job.server is not None and job.server.api_key_env == "MY_KEY"
    assert job.synthesis.connect_timeout == 5.0 and job.pauses.sentence == 0.2
    assert job.output.formats == ("wav", "m4b") and job.output.subtitles == ("vtt",)
    assert job.output.loudness is None and job.output.dir == tmp_path / "out"
    assert job.workspace == tmp_path / "ws"
    assert len({job.voice, override, job.voice}) == 2  # hashable, equal by value


def test_server_without_url_means_the_hosted_api(tmp_path):
    job = load_job(write_job(tmp_path, "title: T\nsources: [a.txt]\nserver: {}\n"))
    assert job.server is not None and job.server.url == "wss://models.ojin.ai/realtime"
    assert job.server.api_key_env == "OJIN_API_KEY"


@pytest.mark.parametrize(
    "body, field, fix",
    [
        ("title: T\nsources: [a.txt]\nsynthesis: {concurency: 3}", "synthesis.concurency", "did you mean 'concurrency'"),
        ("title: T\nsources: [a.txt]\nsoruces: []", "soruces", "did you mean 'sources'"),
        ("title: T\nsources: [a.txt]\nsynthesis: {concurrency: -2}", "synthesis.concurrency", "from 1 to 64"),
        ("title: T\nsources: [a.txt]\nsynthesis: {concurrency: true}", "synthesis.concurrency", "integer"),
        ("title: T\nsources: [a.txt]\nsynthesis: {concurrency: '4'}", "synthesis.concurrency", "integer"),
        ("title: T\nsources: [missing.txt]", "sources[0]", "fix the path"),
        ("title: T\nsources: []", "sources", "list the files"),
        ("title: T", "sources", "list the files"),
        ("title: T\nsources: [a.txt]\noutput: {formats: [ogg]}", "output.formats", "use wav, mp3, m4b"),
        ("title: T\nsources: [a.txt]\noutput: {name_template: '{nope}'}", "output.name_template", "use index, title"),
        ("title: T\nsources: [a.txt]\noutput: {name_template: '../{title}'}", "output.name_template", "path separators"),
        ("title: T\nsources: [a.txt]\noutput: {per_chapter: false}", "output", "set one of them"),
        ("title: T\nsources: [a.txt]\nserver: {url: 'http://x'}", "server.url", "ws:// or wss://"),
        ("title: T\nsources: [a.txt]\nserver: {api_key_env: 'my key'}", "server.api_key_env", "environment variable"),
        ("title: T\nsources: [{path: a.txt, split: chapters}]", "sources[0].split", "auto, headings, none"),
        ("title: T\nsources: [{title: x}]", "sources[0].path", "give the source"),
        ("title: T\nsources: [a.txt]\nvoice: {params: {max_new_tokens: 0}}", "voice.params.max_new_tokens", "positive integer"),
        ("title: T\nsources: [a.txt]\nlexicon: [{find: '(', replace: x, regex: true}]", "lexicon[0].find", "regular expression"),
        ("title: T\nsources: [a.txt]\nlexicon: [{find: x}]", "lexicon[0]", "both 'find' and 'replace'"),
        ("title: T\nsources: [a.txt]\npauses: {scene: 99}", "pauses.scene", "from 0 to 30"),
        ("title: T\nsources: [a.txt]\noutput: {mp3_bitrate: fast}", "output.mp3_bitrate", "like 64k"),
        ("title: [\nsources", "line", "YAML syntax error"),
        ("- just\n- a list", "top level", "mapping"),
        ("", "empty", "needs at least"),
    ],
)
def test_errors_name_the_field_and_the_fix(tmp_path, body, field, fix):
    message = error_of(tmp_path, body)
    assert field in message and fix in message


def test_missing_job_file_and_directory(tmp_path):
    with pytest.raises(JobFileError, match="job file not found"):
        load_job(tmp_path / "nope.yaml")
    with pytest.raises(JobFileError, match="is a directory"):
        load_job(tmp_path)


def test_source_that_is_a_directory(tmp_path):
    (tmp_path / "chapters").mkdir()
    message = error_of(tmp_path, "title: T\nsources: [chapters]")
    assert "sources[0]" in message and "is a directory" in message


def test_lexicon_applies_in_order_with_word_and_case_rules():
    rules = (
        LexiconRule("Dr.", "Doctor"),
        LexiconRule("NASA", "N A S A"),
        LexiconRule("cat", "dog", case_sensitive=False),
        LexiconRule(r"(\d+)%", r"\1 percent", regex=True, whole_word=False),
        LexiconRule("Doctor", "Dr"),  # sees the result of the first rule
    )
    text = "Dr. Smith at NASA; CAT, concat and 50% of cats."
    assert apply_lexicon(rules, text) == "Dr Smith at N A S A; dog, concat and 50 percent of cats."


def test_lexicon_mapping_form_keeps_order(tmp_path):
    job = load_job(write_job(tmp_path, "title: T\nsources: [a.txt]\nlexicon: {b: c, a: b}\n"))
    assert [r.find for r in job.lexicon] == ["b", "a"]
    assert apply_lexicon(job.lexicon, "a b") == "b c"


def test_job_file_never_holds_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("OJIN_API_KEY", "sk-very-secret")
    job = load_job(write_job(tmp_path, "title: T\nsources: [a.txt]\nserver: {}\n"))
    assert "sk-very-secret" not in repr(job)


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "jobs").glob("*.yaml")))
def test_repository_jobs_load(name):
    job = load_job(REPO / "jobs" / name)
    assert job.sources and all(s.path.exists() for s in job.sources)
