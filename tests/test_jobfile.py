"""The job YAML: defaults, paths, voices, and one-line errors that name the field and the fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narrator.assembly import OutputOptions, Pauses
from narrator.errors import JobFileError
from narrator.jobfile import (
    _OUTPUT_KEYS,
    _PAUSE_KEYS,
    _TOP_KEYS,
    Job,
    LexiconRule,
    NormalizeSpec,
    Params,
    SynthesisSpec,
    VoiceSpec,
    apply_lexicon,
    load_job,
)

REPO = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
OK = "title: T\nsources: [a.txt]\n"


def write_job(tmp_path: Path, body: str, name: str = "book.yaml") -> Path:
    (tmp_path / "a.txt").write_text("Hello there. How are you?\n", encoding="utf-8")
    job = tmp_path / name
    job.write_text(body, encoding="utf-8")
    return job


def error_of(job: Path) -> str:
    with pytest.raises(JobFileError) as caught:
        load_job(job)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message
    assert message.startswith(f"{job}: ")
    return message


# --- defaults and values -------------------------------------------------------------------


def test_minimal_job_gets_every_default(tmp_path):
    job = load_job(write_job(tmp_path, OK))
    assert job.title == "T" and job.author is None and job.cover is None
    assert job.server is None and job.lexicon == ()
    assert (
        job.voice == VoiceSpec()
        and job.voice.config_id == "joe"
        and job.voice.language == "English"
    )
    assert job.voice.params == {} and job.voice.max_new_tokens == 360
    assert job.synthesis == SynthesisSpec(4, 20.0, 8, 120.0, None)
    assert job.pauses == Pauses(0.35, 0.8, 1.6, 2.0, 0.5, 1.0)
    assert job.output == OutputOptions(directory=tmp_path / "out" / "book", loudness=-24.0)
    assert job.output.formats == ("mp3",) and job.output.per_chapter and not job.output.whole_book
    assert job.output.loudness == -24.0 and job.output.subtitles == ("srt",) and job.output.qc
    assert job.workspace == tmp_path / ".narrator" / "book"
    (source,) = job.sources
    assert source.path == tmp_path / "a.txt" and source.split == "auto"
    assert source.title is None and source.voice is None


def test_title_defaults_to_the_file_name(tmp_path):
    job = load_job(write_job(tmp_path, "sources: a.txt\n", name="my_first_book.yaml"))
    assert job.title == "My First Book" and len(job.sources) == 1


def test_full_job_with_overrides_and_server(tmp_path):
    (tmp_path / "cover.png").write_bytes(PNG)
    body = """
title: T
author: A. Writer
cover: cover.png
sources:
  - a.txt
  - {path: a.txt, title: Second, split: None, voice: {config_id: test}}
voice: {config_id: joe, language: German, params: {max_new_tokens: 200, style: {warm: 1}}}
server: {url: "ws://127.0.0.1:9/", api_key_env: MY_KEY}
synthesis: {concurrency: 2, max_segment_seconds: 12.5, max_attempts: 3, request_timeout: 30,
  connect_timeout: 5, backoff_max: 2.5}
pauses: {sentence: 0.2, tail: 0}
lexicon: [{find: a, replace: b, regex: true, whole_word: false, case_sensitive: false}]
output:
  dir: out
  formats: [wav, M4B, wav]
  whole_book: true
  per_chapter: false
  name_template: "{book} {index:03d} {title} ({author})"
  book_template: "{book} - {author}"
  mp3_bitrate: 96000
  aac_bitrate: 128k
  sample_rate: 44100
  loudness: null
  true_peak: -1
  subtitles: vtt
  qc: false
workspace: ws
"""
    job = load_job(write_job(tmp_path, body))
    assert job.author == "A. Writer" and job.cover == tmp_path / "cover.png"
    assert job.sources[1].title == "Second" and job.sources[1].split == "none"
    override = job.sources[1].voice
    assert override is not None and override.config_id == "test"
    # the override inherits what it does not say from the job's voice
    assert override.language == "German" and override.max_new_tokens == 200
    assert job.voice.params == {"max_new_tokens": 200, "style": {"warm": 1}}
    assert (
        job.server is not None
        and job.server.url == "ws://127.0.0.1:9/"
        and job.server.api_key_env == "MY_KEY"
    )
    assert job.synthesis == SynthesisSpec(2, 12.5, 3, 30.0, 5.0, 2.5)
    assert job.pauses.sentence == 0.2 and job.pauses.tail == 0.0 and job.pauses.scene == 1.6
    assert (
        job.lexicon[0].regex and not job.lexicon[0].whole_word and not job.lexicon[0].case_sensitive
    )
    o = job.output
    assert (
        o.formats == ("wav", "m4b")
        and o.subtitles == ("vtt",)
        and o.whole_book
        and not o.per_chapter
    )
    assert (
        o.loudness is None
        and o.directory == tmp_path / "out"
        and o.sample_rate == 44100
        and not o.qc
    )
    assert (o.mp3_bitrate, o.aac_bitrate, o.true_peak) == ("96000", "128k", -1.0)
    assert o.book_template == "{book} - {author}"
    assert job.workspace == tmp_path / "ws"


def test_paths_resolve_against_the_job_folder_not_the_cwd(tmp_path, monkeypatch):
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "one.md").write_text("# One\n\nWords.\n", encoding="utf-8")
    (tmp_path / "art.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 16)
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    body = (
        "title: T\ncover: ../art.jpg\nsources: [../texts/one.md]\noutput: {dir: ../books}\n"
        "workspace: state\n"
    )
    (jobs / "b.yaml").write_text(body, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    job = load_job(Path("../jobs/b.yaml"))
    assert job.sources[0].path.resolve() == (tmp_path / "texts" / "one.md").resolve()
    assert job.sources[0].path.is_absolute() and job.cover is not None and job.cover.is_absolute()
    assert job.output.directory.resolve() == (tmp_path / "books").resolve()
    assert job.workspace == (jobs / "state").resolve()
    assert job.output.directory.is_absolute() and job.path == Path("../jobs/b.yaml")


def test_absolute_and_home_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    write_job(tmp_path, "")
    other = tmp_path / "sub"
    other.mkdir()
    job = write_job(other, f"title: T\nsources: ['{tmp_path / 'a.txt'}', ~/a.txt]\n")
    assert [s.path for s in load_job(job).sources] == [tmp_path / "a.txt", tmp_path / "a.txt"]


def test_server_without_url_means_the_hosted_api(tmp_path):
    for body in ("server: {}\n", "server:\n", "server: {api_key_env: OJIN_API_KEY}\n"):
        job = load_job(write_job(tmp_path, OK + body))
        assert job.server is not None and job.server.url == "wss://models.ojin.ai/realtime"
        assert job.server.api_key_env == "OJIN_API_KEY"


def test_voice_shorthand_and_params_pass_through_unchanged(tmp_path):
    body = (
        "title: T\nvoice: test\n"
        "sources: [a.txt, {path: a.txt, voice: {params: {seed: [1, 2], mood: calm}}}]\n"
    )
    job = load_job(write_job(tmp_path, body))
    assert job.voice == VoiceSpec(config_id="test")
    override = job.sources[1].voice
    assert override is not None and override.config_id == "test"
    assert dict(override.params) == {"seed": [1, 2], "mood": "calm"}


def test_params_are_read_only_hashable_and_equal_by_value():
    one = VoiceSpec(params={"b": {"x": [1]}, "a": 1})
    two = VoiceSpec(params=Params({"a": 1, "b": {"x": [1]}}))
    assert one == two and hash(one) == hash(two) and len({one, two, VoiceSpec()}) == 2
    assert isinstance(one.params, Params) and one.params == {"a": 1, "b": {"x": [1]}}
    one.params["b"]["x"].append(2)  # a copy: the spec itself cannot change
    assert one.params["b"] == {"x": [1]}
    with pytest.raises(TypeError):
        one.params["a"] = 2  # type: ignore[index]
    assert VoiceSpec(params={"max_new_tokens": 120}).max_new_tokens == 120


def test_lexicon_both_forms_keep_their_order(tmp_path):
    job = load_job(write_job(tmp_path, OK + "lexicon: {b: c, a: b, 1984: Nineteen Eighty-Four}\n"))
    assert [r.find for r in job.lexicon] == ["b", "a", "1984"]
    assert (
        apply_lexicon(job.lexicon, "a b 1984") == "b c Nineteen Eighty-Four"
    )  # b->c first, then a->b
    listed = (
        "lexicon:\n  - {find: NASA, replace: N A S A}\n"
        "  - {find: '(\\d+)%', replace: '\\1 percent', regex: true, whole_word: false}\n"
    )
    job = load_job(write_job(tmp_path, OK + listed))
    assert apply_lexicon(job.lexicon, "NASA spent 40% more") == "N A S A spent 40 percent more"


def test_replace_may_be_empty_to_delete(tmp_path):
    job = load_job(
        write_job(tmp_path, OK + "lexicon: [{find: ' (sic)', replace: '', whole_word: false}]\n")
    )
    assert apply_lexicon(job.lexicon, "It were (sic) so.") == "It were so."


def test_the_key_is_never_needed_or_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("OJIN_API_KEY", raising=False)
    job = load_job(write_job(tmp_path, OK + "server: {}\n"))  # loads with the variable unset
    monkeypatch.setenv("OJIN_API_KEY", "sk-very-secret")
    again = load_job(write_job(tmp_path, OK + "server: {}\n"))
    assert job == again and "sk-very-secret" not in repr(again)


def test_specs_are_frozen(tmp_path):
    job = load_job(write_job(tmp_path, OK))
    with pytest.raises(AttributeError):
        job.title = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        job.output.formats = ("wav",)  # type: ignore[misc]


# --- errors --------------------------------------------------------------------------------


def test_the_documented_examples_word_for_word(tmp_path):
    job = write_job(tmp_path, OK + "synthesis: {concurency: 3}\n")
    assert error_of(job) == f"{job}: synthesis.concurency: unknown key; did you mean 'concurrency'?"
    job = write_job(tmp_path, OK + "synthesis: {concurrency: -2}\n")
    assert error_of(job) == f"{job}: synthesis.concurrency: must be an integer from 1 to 64, got -2"
    job = write_job(tmp_path, "title: T\nsources: [a.txt, gone.txt]\n")
    assert error_of(job) == (
        f"{job}: sources[1].path: file not found: {tmp_path / 'gone.txt'}; "
        "fix the path (it is relative to the job file)"
    )


ERRORS = [
    # unknown keys, with and without a close match
    (OK + "soruces: []", "soruces", "did you mean 'sources'?"),
    (OK + "voise: joe", "voise", "did you mean 'voice'?"),
    (OK + "output: {formts: [mp3]}", "output.formts", "did you mean 'formats'?"),
    (OK + "pauses: {paragrap: 1}", "pauses.paragrap", "did you mean 'paragraph'?"),
    (
        OK + "lexicon: [{find: a, replace: b, regexp: true}]",
        "lexicon[0].regexp",
        "did you mean 'regex'?",
    ),
    ("title: T\nsources: [{path: a.txt, titel: x}]", "sources[0].titel", "did you mean 'title'?"),
    (OK + "server: {url: 'ws://h', api_key: X}", "server.api_key", "did you mean 'api_key_env'?"),
    (OK + "zzz: 1", "zzz", "allowed: title, author"),
    (OK + "1: 2", "1", "unknown key"),
    # types
    (
        OK + "synthesis: {concurrency: true}",
        "synthesis.concurrency",
        "must be an integer from 1 to 64, got True",
    ),
    (OK + "synthesis: {concurrency: '4'}", "synthesis.concurrency", "must be an integer"),
    (OK + "synthesis: {concurrency: 2.5}", "synthesis.concurrency", "must be an integer"),
    (OK + "synthesis: {max_segment_seconds: 31}", "synthesis.max_segment_seconds", "from 1 to 30"),
    (
        OK + "synthesis: {max_segment_seconds: .nan}",
        "synthesis.max_segment_seconds",
        "from 1 to 30",
    ),
    (OK + "synthesis: {max_attempts: 0}", "synthesis.max_attempts", "from 1 to 100"),
    (OK + "synthesis: {connect_timeout: fast}", "synthesis.connect_timeout", "must be a number"),
    (OK + "synthesis: {backoff_max: 0}", "synthesis.backoff_max", "from 0.1 to 600"),
    (OK + "synthesis: 4", "synthesis", "must be a mapping of concurrency"),
    (OK + "pauses: {scene: 99}", "pauses.scene", "from 0 to 30"),
    (OK + "pauses: {scene: true}", "pauses.scene", "must be a number"),
    (OK + "pauses: {lead_in: -0.1}", "pauses.lead_in", "from 0 to 30"),
    ("title: [a, b]\nsources: [a.txt]", "title", "must be text, got a list"),
    ("title: ' '\nsources: [a.txt]", "title", "must not be empty"),
    (OK + "author: {a: 1}", "author", "must be text, got a mapping"),
    (OK + "output: {qc: yes please}", "output.qc", "true or false"),
    (OK + "output: {loudness: -50}", "output.loudness", "from -40 to -5"),
    (OK + "output: {true_peak: 1}", "output.true_peak", "from -20 to 0"),
    (OK + "output: {sample_rate: 96000}", "output.sample_rate", "from 8000 to 48000"),
    # sources
    ("title: T\nsources: []", "sources", "list the files"),
    ("title: T", "sources", "list the files"),
    ("title: T\nsources: 3", "sources", "must be a list of file paths"),
    ("title: T\nsources: [missing.txt]", "sources[0].path", "file not found"),
    ("title: T\nsources: [{path: nope.md}]", "sources[0].path", "relative to the job file"),
    ("title: T\nsources: [{title: x}]", "sources[0].path", "give the source"),
    ("title: T\nsources: [[a.txt]]", "sources[0].path", "must be text"),
    ("title: T\nsources: [a.txt, null]", "sources[1].path", "no path given"),
    (OK + "cover: ''", "cover", "must not be empty"),
    (
        "title: T\nsources: [{path: a.txt, split: chapters}]",
        "sources[0].split",
        "use auto, headings, none",
    ),
    (
        "title: T\nsources: [{path: a.txt, split: heading}]",
        "sources[0].split",
        "did you mean 'headings'?",
    ),
    ("title: T\nsources: [{path: a.txt, voice: [x]}]", "sources[0].voice", "must be a mapping"),
    # voice
    (OK + "voice: {params: [1]}", "voice.params", "must be a mapping"),
    (
        OK + "voice: {params: {max_new_tokens: 0}}",
        "voice.params.max_new_tokens",
        "positive integer",
    ),
    (
        OK + "voice: {params: {max_new_tokens: true}}",
        "voice.params.max_new_tokens",
        "positive integer",
    ),
    (
        OK + "voice: {params: {language: French}}",
        "voice.params.language",
        "set voice.language instead",
    ),
    (OK + "voice: {params: {API-Key: sk-123}}", "voice.params.API-Key", "server.api_key_env"),
    (
        "title: T\nsources: [{path: a.txt, voice: {params: {token: x}}}]",
        "sources[0].voice.params.token",
        "credential",
    ),
    (OK + "voice: {params: {when: 2024-01-01}}", "voice.params", "plain YAML data"),
    (OK + "voice: {config_id: ''}", "voice.config_id", "must not be empty"),
    # server
    (OK + "server: {url: 'http://x'}", "server.url", "ws:// or wss://"),
    (OK + "server: {url: 'wss://'}", "server.url", "and a host"),
    (
        OK + "server: {api_key_env: 'my key'}",
        "server.api_key_env",
        "not an environment variable name",
    ),
    (OK + "server: {api_key_env: sk-12345}", "server.api_key_env", "not the key"),
    (OK + "server: wss://x", "server", "must be a mapping"),
    # lexicon
    (
        OK + "lexicon: [{find: '(', replace: x, regex: true}]",
        "lexicon[0].find",
        "invalid regular expression",
    ),
    (
        OK + "lexicon: [{find: '(a)', replace: '\\2', regex: true}]",
        "lexicon[0].replace",
        "refer only to groups",
    ),
    (OK + "lexicon: [{find: x}]", "lexicon[0]", "both 'find' and 'replace'"),
    (OK + "lexicon: {x: }", "lexicon[0]", "both 'find' and 'replace'"),
    (
        OK + "lexicon: [{find: x, replace: y, whole_word: 1}]",
        "lexicon[0].whole_word",
        "true or false",
    ),
    (OK + "lexicon: 5", "lexicon", "must be a list"),
    # output
    (OK + "output: {formats: [ogg]}", "output.formats[0]", "use wav, mp3, m4b"),
    (OK + "output: {formats: [mp4]}", "output.formats[0]", "did you mean 'mp3'?"),
    (OK + "output: {formats: []}", "output.formats", "at least one of wav, mp3, m4b"),
    (OK + "output: {formats: {mp3: 1}}", "output.formats", "must be a list"),
    (OK + "output: {subtitles: [ass]}", "output.subtitles[0]", "use srt, vtt"),
    (
        OK + "output: {name_template: '{nope}'}",
        "output.name_template",
        "use index, title, book, author",
    ),
    (OK + "output: {book_template: '{title.upper}'}", "output.book_template", "unknown field"),
    (OK + "output: {name_template: '{title[0]}'}", "output.name_template", "unknown field"),
    (OK + "output: {name_template: '{}'}", "output.name_template", "unknown field"),
    (OK + "output: {name_template: '{title'}", "output.name_template", "bad template"),
    (OK + "output: {name_template: '{title:02d}'}", "output.name_template", "bad format"),
    (OK + "output: {name_template: '../{title}'}", "output.name_template", "no path separators"),
    (OK + "output: {name_template: 'a/{title}'}", "output.name_template", "unsafe"),
    (OK + "output: {name_template: '.{title}'}", "output.name_template", "leading dot"),
    (OK + 'output: {name_template: "{title}\\n"}', "output.name_template", "unsafe"),
    (OK + "output: {per_chapter: false}", "output", "set one of them to true"),
    (OK + "output: {mp3_bitrate: fast}", "output.mp3_bitrate", "like 64k"),
    (OK + "output: {aac_bitrate: 999k, formats: [m4b]}", "output.aac_bitrate", "from 8k to 320k"),
    (OK + "output: {mp3_bitrate: 192k}", "output.mp3_bitrate", "set output.sample_rate: 44100"),
    (OK + "output: {sample_rate: 23500}", "output.sample_rate", "nearest: 24000"),
    # the file itself
    ("title: [\nsources", "line 2", "YAML syntax error"),
    ("title: T\n  sources: [a.txt]\n", "line 2", "fix the indentation/quoting there"),
    (OK + "title: U\n", "line 3", "key 'title' appears twice; keep only one"),
    (OK + "synthesis:\n  concurrency: 2\n  concurrency: 3\n", "line 5", "appears twice"),
    ("- just\n- a list", "the top level must be a mapping", "got a list"),
    ("just words", "the top level must be a mapping", "got text"),
    ("", "the job file is empty", "needs at least 'sources'"),
    ("# only a comment\n", "the job file is empty", "needs at least"),
]


@pytest.mark.parametrize(
    "body, field, fix", ERRORS, ids=[f"{i}-{e[1]}" for i, e in enumerate(ERRORS)]
)
def test_errors_name_the_field_and_the_fix(tmp_path, body, field, fix):
    message = error_of(write_job(tmp_path, body))
    assert f": {field}" in message and fix in message


def test_merge_keys_are_not_duplicates(tmp_path):
    body = OK + "base: &b {concurrency: 2}\n"
    assert "base" in error_of(write_job(tmp_path, body))  # unknown top-level key, not a YAML error
    body = OK + "synthesis:\n  <<: {concurrency: 2, max_attempts: 5}\n  concurrency: 3\n"
    job = load_job(write_job(tmp_path, body))
    assert (job.synthesis.concurrency, job.synthesis.max_attempts) == (3, 5)


def test_missing_job_file_and_directory(tmp_path):
    assert "job file not found; check the path" in error_of(tmp_path / "nope.yaml")
    assert "is a directory; name the job's .yaml file" in error_of(tmp_path)
    assert "cannot read the job file" in error_of(tmp_path / ("x" * 300 + ".yaml"))


def test_unusable_source_paths(tmp_path):
    message = error_of(write_job(tmp_path, 'title: T\nsources: ["a\\0b.txt"]\n'))
    assert "sources[0].path: the path contains a NUL character" in message
    message = error_of(write_job(tmp_path, f"title: T\nsources: [{'y' * 300}.txt]\n"))
    assert "sources[0].path: cannot use this path" in message


def test_job_file_that_is_not_utf8(tmp_path):
    job = tmp_path / "latin.yaml"
    job.write_bytes("title: Caf\xe9\nsources: [a.txt]\n".encode("latin-1"))
    assert "save the job file as UTF-8" in error_of(job)


def test_a_utf8_bom_is_fine(tmp_path):
    job = write_job(tmp_path, "")
    job.write_bytes(b"\xef\xbb\xbf" + OK.encode())
    assert load_job(job).title == "T"


def test_source_that_is_a_directory(tmp_path):
    (tmp_path / "chapters").mkdir()
    message = error_of(write_job(tmp_path, "title: T\nsources: [chapters]"))
    assert ": sources[0].path: " in message and "is a directory; name a file" in message


def test_output_dir_or_workspace_that_is_a_file(tmp_path):
    (tmp_path / "blocker").write_text("x", encoding="utf-8")
    for body, field in (
        ("output: {dir: blocker}", "output.dir"),
        ("workspace: blocker", "workspace"),
    ):
        message = error_of(write_job(tmp_path, OK + body))
        assert f": {field}: " in message and "not a folder; choose another path" in message


def test_cover_must_exist_and_be_an_image(tmp_path):
    message = error_of(write_job(tmp_path, OK + "cover: nope.jpg"))
    assert ": cover: file not found" in message
    (tmp_path / "cover.gif").write_bytes(b"GIF89a" + b"\x00" * 10)
    message = error_of(write_job(tmp_path, OK + "cover: cover.gif"))
    assert ": cover: " in message and "not a JPEG or PNG image; convert it" in message


def test_a_value_with_newlines_still_gives_one_line(tmp_path):
    message = error_of(write_job(tmp_path, 'title: T\nsources: ["two\\nlines.txt"]\n'))
    assert "sources[0].path: file not found" in message


def test_first_error_wins_in_file_order_of_checks(tmp_path):
    # a typo is reported before the value checks of the same section
    message = error_of(write_job(tmp_path, OK + "synthesis: {concurrency: -1, concurency: 2}"))
    assert "synthesis.concurency: unknown key" in message


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-100, 100)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
TOP = st.sampled_from(
    [
        "title",
        "author",
        "cover",
        "sources",
        "voice",
        "server",
        "synthesis",
        "pauses",
        "lexicon",
        "output",
        "workspace",
        "sourcez",
    ]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(extra=st.dictionaries(TOP, JSONISH, max_size=4))
def test_any_document_loads_or_gives_one_line_error(tmp_path, extra):
    data = {"title": "T", "sources": ["a.txt"], **extra}
    job = write_job(tmp_path, yaml.safe_dump(data))
    try:
        assert isinstance(load_job(job), Job)
    except JobFileError as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith(f"{job}: ")


# --- the jobs shipped in the repository ----------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "jobs").glob("*.yaml")))
def test_repository_jobs_load(name):
    job = load_job(REPO / "jobs" / name)
    assert job.sources and all(s.path.is_file() for s in job.sources)
    assert all(REPO / "sample_texts" in s.path.parents for s in job.sources)


def test_quickstart_is_local_wav_and_mp3_with_loudness():
    job = load_job(REPO / "jobs" / "quickstart.yaml")
    assert job.server is None and job.voice.config_id == "joe"
    assert [s.path for s in job.sources] == [REPO / "sample_texts" / "quickstart.txt"]
    assert set(job.output.formats) == {"wav", "mp3"} and job.output.per_chapter
    assert job.output.loudness is not None
    assert job.output.directory == REPO / "jobs" / "out" / "quickstart"


def test_lantern_has_chapters_from_several_kinds_of_source():
    job = load_job(REPO / "jobs" / "lantern.yaml")
    assert len(job.sources) >= 4 and {s.path.suffix for s in job.sources} >= {
        ".txt",
        ".md",
        ".html",
        ".epub",
    }
    assert (
        job.output.whole_book
        and job.output.per_chapter
        and {"mp3", "m4b"} <= set(job.output.formats)
    )
    assert job.lexicon and job.pauses != Pauses() and job.cover is None


def test_hosted_job_names_the_variable_not_the_key():
    job = load_job(REPO / "jobs" / "hosted.yaml")
    assert job.server is not None and job.server.url == "wss://models.ojin.ai/realtime"
    assert job.server.api_key_env == "OJIN_API_KEY"


def _readme_example() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Job files", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```yaml\n")
    return max((b.split("```", 1)[0] for b in blocks[1:]), key=len)


def test_readme_example_loads_and_names_every_key(tmp_path):
    example = _readme_example()
    (tmp_path / "lantern").mkdir()
    for name in ("01-arrival.txt", "02-market.md"):
        (tmp_path / "lantern" / name).write_text("Words.\n", encoding="utf-8")
    (tmp_path / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 16)
    job = load_job(write_job(tmp_path, example, name="lantern.yaml"))
    assert job.server is not None and job.cover is not None and len(job.lexicon) == 2
    documented = set(re.findall(r"^\s*-?\s*(\w+):", example, flags=re.MULTILINE))
    schema = set(_TOP_KEYS) | {"path", "split", "url", "api_key_env", "max_new_tokens"}
    schema |= set(_PAUSE_KEYS) | set(_OUTPUT_KEYS)
    for spec in (VoiceSpec, SynthesisSpec, LexiconRule, NormalizeSpec):
        schema |= set(spec.__dataclass_fields__)
    assert schema <= documented, f"README example lacks {sorted(schema - documented)}"


# --- what is spoken and how sources are read ---------------------------------------------


def test_matter_and_reading_defaults(tmp_path):
    from narrator.sources import ReadOptions

    job = load_job(write_job(tmp_path, OK))
    source = job.sources[0]
    assert source.matter == ("body",) and source.speak == () and source.skip == ()
    assert source.read == ReadOptions()
    assert job.narrator is None and job.credit == "T."


def test_matter_and_reading_keys_cascade_to_sources(tmp_path):
    from narrator.sources import ROLES, ReadOptions

    body = (
        "title: Dracula\nauthor: Bram Stoker\nnarrator: Ann\nmatter: [body, toc]\n"
        "notes: skip\ncode: read\nalt_text: true\nhtml: article\n"
        "sources:\n  - a.txt\n  - path: a.txt\n    matter: all\n    notes: end_of_paragraph\n"
        "    chapter_pattern: 'CANTO [IVX]+'\n    speak: Preface\n    skip: [Index, Notes]\n"
    )
    job = load_job(write_job(tmp_path, body))
    first, second = job.sources
    assert first.matter == ("body", "toc") and second.matter == ROLES
    assert first.read == ReadOptions("skip", "read", True, None, "article")
    assert second.read == ReadOptions("end_of_paragraph", "read", True, "CANTO [IVX]+", "article")
    assert second.speak == ("Preface",) and second.skip == ("Index", "Notes")
    assert job.credit == "Dracula, by Bram Stoker. Read by Ann."


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("credit: false\n", None),
        ("credit: 'Recorded in 2026.'\n", "Recorded in 2026."),
        ("author: Ann\n", "T, by Ann."),
    ],
)
def test_credit(tmp_path, body, expected):
    assert load_job(write_job(tmp_path, OK + body)).credit == expected


def test_no_credit_from_a_file_name_title(tmp_path):
    assert load_job(write_job(tmp_path, "sources: [a.txt]\n")).credit is None


@pytest.mark.parametrize(
    ("body", "field", "fix"),
    [
        ("matter: bodi\n", "matter", "did you mean 'body'?"),
        ("matter: [body, licence]\n", "matter[1]", "did you mean 'license'?"),
        ("notes: footnotes\n", "notes", "use end_of_chapter, end_of_paragraph, skip"),
        ("code: speak\n", "code", "use skip, read"),
        ("alt_text: yes please\n", "alt_text", "must be true or false"),
        ("html: articel\n", "html", "did you mean 'article'?"),
        ("chapter_pattern: '(['\n", "chapter_pattern", "invalid regular expression"),
        ("narrator: [a, b]\n", "narrator", "must be text"),
        ("matters: all\n", "matters", "did you mean 'matter'?"),
    ],
)
def test_matter_and_reading_errors(tmp_path, body, field, fix):
    message = error_of(write_job(tmp_path, OK + body))
    assert f": {field}: " in message and fix in message


@pytest.mark.parametrize(
    ("keys", "field", "fix"),
    [
        ("chapter_pattern: 'CHAPTER ('", "sources[0].chapter_pattern", "invalid regular"),
        ("speak: {a: b}", "sources[0].speak", "must be a list of chapter titles"),
        ("skipp: [Index]", "sources[0].skipp", "did you mean 'skip'?"),
        ("matter: everything", "sources[0].matter", "use all, body, license, toc"),
    ],
)
def test_source_matter_errors(tmp_path, keys, field, fix):
    message = error_of(write_job(tmp_path, f"sources:\n  - path: a.txt\n    {keys}\n"))
    assert f": {field}: " in message and fix in message


@pytest.mark.parametrize(
    ("value", "mode"), [("", "off"), ("off", "off"), ("report", "report"), ("FIX", "fix")]
)
def test_verify_key_takes_off_report_or_fix(tmp_path, value, mode):
    body = "sources: [a.txt]\n" + (f"verify: {value}\n" if value else "")
    assert load_job(write_job(tmp_path, body)).verify == mode


@pytest.mark.parametrize(
    ("value", "message"),
    [("on", "verify: must be off, report or fix, got true"), ("fixit", "did you mean 'fix'")],
)
def test_verify_key_mistakes_are_one_line(tmp_path, value, message):
    assert message in error_of(write_job(tmp_path, f"sources: [a.txt]\nverify: {value}\n"))


def test_normalize_is_on_by_default_and_takes_a_flag_or_patterns(tmp_path):
    (tmp_path / "a.txt").write_text("Words.\n", encoding="utf-8")
    assert load_job(write_job(tmp_path, "sources: [a.txt]\n")).normalize == NormalizeSpec()
    off = load_job(write_job(tmp_path, "sources: [a.txt]\nnormalize: false\n"))
    assert off.normalize.enabled is False
    job = load_job(
        write_job(
            tmp_path,
            "sources: [a.txt]\nnormalize:\n  patterns:\n    - {find: 'twenty (\\w+)', "
            "replace: 'two thousand \\1', regex: true}\n",
        )
    )
    assert job.normalize.enabled and job.normalize.patterns[0].regex


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("normalize: sometimes\n", "normalize"),
        ("normalize: {enable: true}\n", "normalize.enable"),
        ("normalize: {patterns: x}\n", "normalize.patterns"),
        (
            "normalize: {patterns: [{find: '('  , replace: x, regex: true}]}\n",
            "normalize.patterns[0].find",
        ),
        ("normalize: {enabled: 2}\n", "normalize.enabled"),
    ],
)
def test_normalize_mistakes_name_the_field(tmp_path, body, field):
    (tmp_path / "a.txt").write_text("Words.\n", encoding="utf-8")
    with pytest.raises(JobFileError, match=re.escape(f": {field}: ")):
        load_job(write_job(tmp_path, "sources: [a.txt]\n" + body))
