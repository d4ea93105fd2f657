"""The `narrator` command on a corpus of bad input: one-line errors, exit codes, no tracebacks.

Jobs here use the embedded local server with the `test` voice (no `server:` key), so `run`
goes through a real loopback WebSocket with no setup.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import wave
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from support import ffmpeg_children, wait_for, write_job

from narrator.cli import main
from narrator.server.textcode import decode

REPO = Path(__file__).resolve().parents[1]
SECRET = "sk-cli-test-secret-7f3a9"


def job(
    folder: Path,
    sources: str = "[a.txt]",
    extra: str = "",
    title: str = "T",
    output: str = "{formats: [wav], loudness: null, subtitles: []}",
) -> Path:
    return write_job(
        folder, name="job.yaml", title=repr(title), sources=sources, output=output, extra=extra
    )


def text_file(folder: Path, name: str, data: bytes | str) -> None:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    (folder / name).write_bytes(raw)


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    assert code != 0
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("narrator: error:")]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], lines[0]


def spoken_text(folder: Path) -> str:
    texts = []
    for path in sorted((folder / "out" / "job").glob("*.wav")):
        with wave.open(str(path)) as w:
            texts += [d.text for d in decode(w.readframes(w.getnframes()))]
    return " ".join(texts)


# Each case: a name, a setup writing files into the folder and returning the CLI args,
# and the words the one-line error must contain.
Setup = Callable[[Path], list[str]]


def _with_source(name: str, data: bytes | str, sources: str | None = None) -> Setup:
    def setup(folder: Path) -> list[str]:
        text_file(folder, name, data)
        return ["run", str(job(folder, sources or f"[{name}]"))]

    return setup


def _job_text(body: str) -> Setup:
    def setup(folder: Path) -> list[str]:
        text_file(folder, "a.txt", "Hello there.")
        path = folder / "job.yaml"
        path.write_text(body, encoding="utf-8")
        return ["run", str(path)]

    return setup


def _extra(extra: str) -> Setup:
    def setup(folder: Path) -> list[str]:
        text_file(folder, "a.txt", "Hello there.")
        return ["run", str(job(folder, extra=extra))]

    return setup


ERROR_CASES: list[tuple[str, Setup, tuple[str, ...]]] = [
    ("empty file", _with_source("e.txt", b""), ("e.txt", "no text to narrate")),
    ("only whitespace", _with_source("w.txt", " \n\t\n  \n"), ("w.txt", "no text to narrate")),
    ("binary", _with_source("b.txt", bytes(range(256)) * 4), ("b.txt", "binary")),
    ("invalid utf-8", _with_source("u.txt", b"caf\xc3 \x81\x8d\x90 ok"), ("u.txt", "UTF-8")),
    (
        "broken epub",
        _with_source("x.epub", b"PK\x03\x04 not really a zip"),
        ("x.epub", "EPUB", "re-export"),
    ),
    ("epub that is text", _with_source("t.epub", "just words"), ("t.epub", "EPUB")),
    ("unknown extension", _with_source("a.pdf", "%PDF-1.4"), ("a.pdf", ".txt, .md")),
    (
        "missing source",
        _with_source("a.txt", "x", sources="[nope.txt]"),
        ("sources[0]", "file not found"),
    ),
    (
        "directory as source",
        lambda f: (f.joinpath("d").mkdir(), ["run", str(job(f, "[d]"))])[1],
        ("sources[0]", "directory"),
    ),
    (
        "html with no text",
        _with_source("h.html", "<html><script>x()</script></html>"),
        ("h.html", "no text"),
    ),
    (
        "yaml syntax error",
        _job_text("title: [\nsources: a.txt\n"),
        ("job.yaml", "YAML syntax error"),
    ),
    ("top level list", _job_text("- a\n- b\n"), ("job.yaml", "mapping")),
    ("empty job", _job_text(""), ("job.yaml", "empty")),
    (
        "wrong type",
        _job_text("title: T\nsources: [a.txt]\nsynthesis: {concurrency: many}\n"),
        ("synthesis.concurrency", "integer"),
    ),
    (
        "unknown key",
        _job_text("title: T\nsources: [a.txt]\nvoise: {}\n"),
        ("voise", "did you mean 'voice'"),
    ),
    (
        "negative concurrency",
        _extra("synthesis: {concurrency: -3}\n"),
        ("synthesis.concurrency", "from 1 to 64"),
    ),
    ("bool as number", _extra("pauses: {scene: true}\n"), ("pauses.scene",)),
    (
        "unknown format",
        _job_text("title: T\nsources: [a.txt]\noutput: {formats: [flac]}\n"),
        ("output.formats", "flac"),
    ),
    (
        "bad template field",
        _job_text("title: T\nsources: [a.txt]\noutput: {name_template: '{chapter}'}\n"),
        ("name_template", "{chapter}"),
    ),
    (
        "bad regex",
        _extra("lexicon: [{find: '[', replace: x, regex: true}]\n"),
        ("lexicon[0].find", "regular expression"),
    ),
    ("http url", _extra("server: {url: 'http://127.0.0.1:1/'}\n"), ("server.url", "ws://")),
    (
        "missing key variable",
        _extra("server: {url: 'ws://127.0.0.1:9/', api_key_env: NARRATOR_UNSET_VAR_X}\n"),
        ("NARRATOR_UNSET_VAR_X", "export"),
    ),
    (
        "output dir is a file",
        lambda f: (
            text_file(f, "a.txt", "Hi."),
            text_file(f, "blocker", "x"),
            ["run", str(job(f, output="{dir: blocker, formats: [wav]}"))],
        )[2],
        ("output.dir", "not a folder"),
    ),
    (
        "mp3 bitrate too high at 24 kHz",
        _job_text(
            "title: T\nsources: [a.txt]\nvoice: {config_id: test}\noutput: "
            "{formats: [mp3], mp3_bitrate: 192k}\n"
        ),
        ("192k", "44100"),
    ),
    ("missing cover", _extra("cover: nope.jpg\n"), ("cover", "file not found")),
    ("missing job file", lambda f: ["run", str(f / "absent.yaml")], ("absent.yaml", "not found")),
    ("job is a directory", lambda f: ["plan", str(f)], ("directory",)),
    (
        "unknown voice",
        _job_text("title: T\nsources: [a.txt]\nvoice: {config_id: nobody}\n"),
        ("nobody", "config_id"),
    ),
    ("say with empty text", lambda f: ["say", "   ", "-o", str(f / "x.wav")], ("text is empty",)),
    (
        "say over an existing file",
        lambda f: (text_file(f, "x.wav", "keep me"), ["say", "Hi.", "-o", str(f / "x.wav")])[1],
        ("x.wav", "--force"),
    ),
    (
        "serve without a key",
        lambda f: ["serve", "--port", "0"],
        ("--api-key", "NARRATOR_SERVER_KEYS"),
    ),
    ("bad fault spec", lambda f: ["serve", "--api-key", "k", "--faults", "drop=2"], ("--faults",)),
]


@pytest.mark.parametrize("name, setup, needles", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_bad_input_gives_one_line_error_and_nonzero_exit(
    name, setup, needles, tmp_path, capsys, monkeypatch
):
    monkeypatch.delenv("NARRATOR_SERVER_KEYS", raising=False)
    args = setup(tmp_path)
    code, _, err = run_cli(args, capsys)
    assert_one_line_error(code, err, *needles)
    if name == "say over an existing file":
        assert (tmp_path / "x.wav").read_text() == "keep me"  # nothing overwritten


OK_CASES: list[tuple[str, str | bytes, str]] = [
    (
        "utf-16 with BOM",
        "Grüße aus Köln. Alles gut.".encode("utf-16"),
        "Grüße aus Köln. Alles gut.",
    ),
    ("utf-8 with BOM", b"\xef\xbb\xbfPlain text with a BOM.", "Plain text with a BOM."),
    ("cp1252 quotes", "He said \u201chi\u201d.".encode("cp1252"), "He said \u201chi\u201d."),
    (
        "emoji cjk rtl",
        "Smile 😀. 你好，世界。 שלום עולם. Done.",
        "Smile 😀. 你好，世界。 שלום עולם. Done.",
    ),
    ("control characters", "Bell\x07 and\x0b tab\tend.", "Bell and tab end."),
    ("html without body", "<p>Just a fragment.</p><p>Two.</p>", "Just a fragment. Two."),
]


@pytest.mark.parametrize("name, data, expected", OK_CASES, ids=[c[0] for c in OK_CASES])
def test_unusual_but_valid_input_is_spoken_exactly(name, data, expected, tmp_path, capsys):
    suffix = ".html" if "html" in name else ".txt"
    text_file(tmp_path, f"s{suffix}", data)
    code, out, err = run_cli(["run", str(job(tmp_path, f"[s{suffix}]")), "-q"], capsys)
    assert code == 0, err
    assert "Traceback" not in err
    assert spoken_text(tmp_path).split() == expected.split()


def test_unsafe_title_makes_a_safe_file_name(tmp_path, capsys):
    text_file(tmp_path, "a.txt", "Hello there.")
    code, _, err = run_cli(["run", str(job(tmp_path, title="../../etc/evil")), "-q"], capsys)
    assert code == 0, err
    written = [p for p in tmp_path.rglob("*.wav")]
    assert written and all((tmp_path / "out" / "job") in p.parents for p in written)
    assert not (tmp_path.parent / "etc").exists()


def test_huge_inputs_are_planned_without_trouble(tmp_path, capsys):
    words = " ".join(f"word{i}" for i in range(80_000))  # ~500 KB paragraph, no punctuation
    text_file(tmp_path, "big.txt", words)
    text_file(tmp_path, "blob.txt", "x" * 10_000)  # one 10 KB "word"
    code, out, err = run_cli(["plan", str(job(tmp_path, "[big.txt, blob.txt]"))], capsys)
    assert code == 0, err
    assert "2 chapters" in out and "Traceback" not in err


def test_plan_status_and_run_report_progress(tmp_path, capsys):
    text_file(tmp_path, "a.txt", "CHAPTER I\n\nOne. Two.\n\nCHAPTER II\n\nThree.")
    path = str(job(tmp_path))
    code, out, _ = run_cli(["status", path], capsys)
    assert code == 0 and "not started" in out
    code, out, _ = run_cli(["plan", path], capsys)
    assert code == 0 and "2 chapters" in out and "CHAPTER II" in out
    code, out, err = run_cli(["run", path], capsys)
    # two chapters, each a spoken title and one segment of text
    assert code == 0 and "4 synthesized" in out and "synthesized 4/4 segments" in err
    code, out, _ = run_cli(["status", path], capsys)
    assert code == 0 and "total" in out and " 2 " in out


@contextmanager
def narrator_serve(*options: str, stderr: int = subprocess.PIPE) -> Iterator[tuple[str, list]]:
    """`narrator serve` (test voice, port 0, key SECRET) in a subprocess: yields its URL, and a
    list that holds what it printed (stdout, stderr) once it has stopped at SIGINT on leaving."""
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "narrator.cli",
            "serve",
            "--port",
            "0",
            "--engine",
            "test",
            "--api-key",
            SECRET,
            *options,
        ],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=_env(),
    )
    printed: list = []
    try:
        yield serve.stdout.readline().split("listening on ")[1].split()[0], printed
    finally:
        serve.send_signal(signal.SIGINT)
        printed.extend(serve.communicate(timeout=10))


def test_api_key_never_appears_anywhere(tmp_path, capsys, monkeypatch):
    """A wrong key on a failing path and a right key on a working one: never printed or stored."""
    text_file(tmp_path, "a.txt", "Secret keeping. " * 3)
    with narrator_serve() as (url, printed):
        path = job(tmp_path, extra=f"server: {{url: '{url}', api_key_env: NARRATOR_KEY}}\n")
        monkeypatch.setenv("NARRATOR_KEY", SECRET + "-wrong")
        code, out1, err1 = run_cli(["run", str(path)], capsys)
        assert code == 3 and "NARRATOR_KEY" in err1
        monkeypatch.setenv("NARRATOR_KEY", SECRET)
        code, out2, err2 = run_cli(["run", str(path)], capsys)
        assert code == 0, err2
    server_out, server_err = printed
    for text in (out1, err1, out2, err2, server_out, server_err):
        assert SECRET not in text
    for file in tmp_path.rglob("*"):
        if file.is_file():
            assert SECRET.encode() not in file.read_bytes(), file


def test_ctrl_c_stops_cleanly_with_exit_130_and_keeps_finished_work(tmp_path):
    text_file(tmp_path, "a.txt", " ".join(f"Sentence {i} is spoken slowly." for i in range(400)))
    with narrator_serve("--latency", "0.2", stderr=subprocess.DEVNULL) as (url, _):
        path = job(
            tmp_path,
            extra=(
                f"server: {{url: '{url}', api_key_env: NARRATOR_KEY}}\n"
                "synthesis: {concurrency: 2}\n"
            ),
        )
        run = subprocess.Popen(
            [sys.executable, "-m", "narrator.cli", "run", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**_env(), "NARRATOR_KEY": SECRET},
        )
        pcm = tmp_path / ".narrator" / "job" / "pcm"
        assert wait_for(
            lambda: any(pcm.rglob("*.pcm")), "stored segment", stop=lambda: run.poll() is not None
        ), "the run ended before a stored segment appeared"
        run.send_signal(signal.SIGINT)
        out, err = run.communicate(timeout=20)
    assert run.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    stored = list((tmp_path / ".narrator" / "job" / "pcm").rglob("*.pcm"))
    assert stored, "finished segments are kept"
    assert not list(tmp_path.rglob("*.tmp")) and not list(tmp_path.rglob("*.part"))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.mark.parametrize(
    "argv", [["serve", "--capacity", "x"], ["serve", "--engine", "bogus"], ["run"], ["nonsense"]]
)
def test_a_bad_option_is_one_line_and_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as ended:
        main(argv)
    err = capsys.readouterr().err
    assert ended.value.code == 2 and err.count("\n") == 1
    assert err.startswith("narrator") and "error:" in err and "--help" in err


def test_gutenberg_text_speaks_credit_and_book_and_reports_the_rest(tmp_path, capsys):
    text_file(
        tmp_path,
        "a.txt",
        "The Project Gutenberg EBook of Lamps\n\n*** START OF THIS PROJECT GUTENBERG EBOOK "
        "LAMPS ***\n\nProduced by Someone\n\nCHAPTER I\n\nThe lamps were lit.\n\n"
        "CHAPTER II\n\nThe lamps went out.\n\n*** END OF THIS PROJECT GUTENBERG EBOOK LAMPS ***"
        "\n\nSection 1. General Terms of Use\n\nYou may copy it.\n",
    )
    path = str(job(tmp_path, title="Lamps", extra="author: Ann\ncredit: true\n"))
    code, out, _ = run_cli(["plan", path], capsys)
    assert code == 0 and "2 chapters" in out
    assert "Project Gutenberg header   skipped chapter (license, not in matter): 18 words" in out
    assert "Project Gutenberg license  skipped chapter (license, not in matter): 19 words" in out
    code, out, err = run_cli(["run", path, "-q"], capsys)
    assert code == 0, err
    assert "not spoken: license 37 words" in out
    assert spoken_text(tmp_path) == (
        "Lamps, by Ann. CHAPTER One. The lamps were lit. CHAPTER Two. The lamps went out."
    )
    names = sorted(p.name for p in (tmp_path / "out" / "job").glob("*.wav"))
    assert names == ["01 - CHAPTER I.wav", "02 - CHAPTER II.wav"]


def test_ctrl_c_during_assembly_stops_encoding_within_2_s(tmp_path):
    """SIGINT while ffmpeg encodes: exit 130 within 2 s, ffmpeg reaped, no partial file."""
    # 20 short paragraphs with 30 s pauses: quick to synthesize, 10 min of audio to encode 4 times.
    text_file(tmp_path, "a.txt", "\n\n".join(f"Paragraph {i} is short." for i in range(20)))
    path = job(
        tmp_path,
        extra="pauses: {paragraph: 30}\n",
        output="{formats: [mp3, m4b], loudness: null, subtitles: [], whole_book: true}",
    )
    out_dir = tmp_path / "out" / "job"
    run = subprocess.Popen(
        [sys.executable, "-m", "narrator.cli", "run", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        children: list[int] = []

        def encoding() -> bool:
            children[:] = ffmpeg_children(run.pid)
            return bool(children and list(out_dir.glob(".*.part")))

        started = wait_for(
            encoding, "encoding", 120, stop=lambda: run.poll() is not None, every=0.02
        )
        assert started, run.communicate()
        run.send_signal(signal.SIGINT)
        sent = time.monotonic()
        out, err = run.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    assert run.returncode == 130, err
    assert took < 2.0, f"exited {took:.1f} s after SIGINT"
    assert "Traceback" not in err and "interrupted" in err
    assert not list(tmp_path.rglob("*.part"))
    # Encoding had just begun (it takes many seconds): no audio file can be complete, so none is.
    assert not [p.name for p in out_dir.iterdir() if p.suffix in (".mp3", ".m4b")]
    for pid in children:
        assert not Path(f"/proc/{pid}").exists(), f"ffmpeg {pid} was left behind"


def test_unreachable_server_on_a_one_segment_job_names_the_url_and_the_fix(
    tmp_path, capsys, monkeypatch
):
    text_file(tmp_path, "a.txt", "Only one short segment.")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"ws://127.0.0.1:{probe.getsockname()[1]}"
    path = job(tmp_path, extra=f"server: {{url: '{url}', api_key_env: NARRATOR_KEY}}\n")
    monkeypatch.setenv("NARRATOR_KEY", "sk-unused")
    started = time.monotonic()
    code, out, err = run_cli(["run", str(path)], capsys)
    took = time.monotonic() - started
    assert_one_line_error(code, err, url, "server.url", "narrator serve")
    assert code == 3 and took < 5, (code, took)


def test_workspace_in_use_has_its_own_exit_code(tmp_path, capsys):
    from narrator.store.files import acquire_lock, release_lock

    text_file(tmp_path, "a.txt", "Words.")
    path = job(tmp_path)
    workspace = tmp_path / ".narrator" / "job"
    workspace.mkdir(parents=True)
    held = acquire_lock(workspace)  # as another run would
    try:
        code, _, err = run_cli(["run", str(path)], capsys)
    finally:
        release_lock(held)
    assert_one_line_error(code, err, "in use by another narrator run")
    assert code == 5


def test_epub_without_a_spine_is_one_line(tmp_path, capsys):
    container = (
        '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:'
        'xmlns:container"><rootfiles><rootfile full-path="content.opf" '
        'media-type="application/oebps-package+xml"/></rootfiles></container>'
    )
    opf = (
        '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" '
        'unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<dc:identifier id="id">x</dc:identifier><dc:title>T</dc:title></metadata><manifest>'
        '<item id="c" href="c.xhtml" media-type="application/xhtml+xml"/></manifest></package>'
    )
    with zipfile.ZipFile(tmp_path / "b.epub", "w") as book:
        book.writestr("mimetype", "application/epub+zip")
        book.writestr("META-INF/container.xml", container)
        book.writestr("content.opf", opf)
        book.writestr("c.xhtml", "<html><body><p>Hello.</p></body></html>")
    code, _, err = run_cli(["plan", str(job(tmp_path, "[b.epub]"))], capsys)
    assert_one_line_error(code, err, "b.epub", "no spine", "re-export")
    assert "TypeError" not in err


def test_plan_and_run_count_alike_and_plan_shows_progress_on_long_work(
    tmp_path, capsys, monkeypatch
):
    from narrator.cli.progress import PlanProgress

    monkeypatch.setattr(PlanProgress, "SHOW_AFTER_S", 0.0)  # every plan counts as long here
    text_file(tmp_path, "a.txt", "CHAPTER I\n\nSame words.\n\nOne.\n\nCHAPTER II\n\nSame words.\n")
    path = str(job(tmp_path))
    code, planned, err = run_cli(["plan", path], capsys)
    assert code == 0 and "planning: 100% of" in err
    # 5 segments (2 titles, 3 paragraphs); "Same words." is spoken once: 4 requests.
    assert "requests: 4 planned for 5 segments" in planned
    assert "(h:mm:ss, pauses included)" in planned
    code, ran, _ = run_cli(["run", path], capsys)
    assert code == 0 and "requests: 4 planned for 5 segments" in ran
    folder = tmp_path / "out" / "job"
    assert ran.count(str(folder)) == 1  # the output folder, printed once
    code, status, _ = run_cli(["status", path], capsys)
    assert "audio h:mm:ss" in status and "usage tokens" in status


def test_a_whole_book_on_one_line_plans(tmp_path, capsys):
    transcript = (REPO / "tests" / "data" / "nuremberg_trial_vol8.txt").read_text("utf-8")
    text_file(tmp_path, "a.txt", " ".join(transcript.split())[:150_000])
    code, out, err = run_cli(["plan", str(job(tmp_path))], capsys)
    assert code == 0 and "Traceback" not in err
    segments = int(out.split(" planned for ")[1].split()[0])
    assert segments > 150_000 // 300  # cut under the budget of 300 characters


def test_voices_lists_the_local_voices_and_checks_a_hosted_servers(tmp_path, capsys, monkeypatch):
    code, out, _ = run_cli(["voices"], capsys)
    assert code == 0 and "joe" in out and "Piper voice" in out and "test" in out
    text_file(tmp_path, "a.txt", "Words.")
    text_file(tmp_path, "b.txt", "More words.")
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "narrator.cli",
            "serve",
            "--port",
            "0",
            "--engine",
            "test",
            "--api-key",
            SECRET,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        url = serve.stdout.readline().split("listening on ")[1].split()[0]
        sources = "[a.txt, {path: b.txt, voice: {config_id: nobody}}]"
        extra = f"server: {{url: '{url}', api_key_env: NARRATOR_KEY}}\n"
        path = str(job(tmp_path, sources, extra=extra))
        monkeypatch.setenv("NARRATOR_KEY", SECRET)
        code, out, err = run_cli(["voices", path], capsys)
        monkeypatch.setenv("NARRATOR_KEY", SECRET + "-wrong")
        bad_code, _, bad_err = run_cli(["voices", path], capsys)
    finally:
        serve.send_signal(signal.SIGINT)
        serve.communicate(timeout=10)
    assert code == 0, err
    lines = out.splitlines()
    assert url in lines[0]
    assert any("test" in line and "accepted" in line and "a.txt" in line for line in lines)
    assert any("nobody" in line and "UNKNOWN" in line and "b.txt" in line for line in lines)
    assert_one_line_error(bad_code, bad_err, "NARRATOR_KEY")
    assert bad_code == 3 and SECRET not in bad_err


@pytest.mark.piper
def test_the_smallest_default_job_ends_without_a_qc_note(tmp_path, capsys):
    """Only `sources:`: the joe voice, MP3, loudness and true-peak defaults; all reached."""
    shutil.copy(REPO / "sample_texts" / "quickstart.txt", tmp_path / "a.txt")
    (tmp_path / "job.yaml").write_text("sources: [a.txt]\n", encoding="utf-8")
    code, out, err = run_cli(["run", str(tmp_path / "job.yaml")], capsys)
    assert code == 0, err
    assert "note:" not in out + err and "LU under" not in out + err
    assert list((tmp_path / "out" / "job").glob("*.mp3"))


def test_plan_shows_what_is_spoken_under_the_text_as_written(tmp_path, capsys):
    text_file(
        tmp_path,
        "a.txt",
        "CHAPTER IV\n\nDr. Watson paid $1.88 in 1946.\n\nCHAPTER V\n\nPlain words.",
    )
    path = str(job(tmp_path))
    code, out, err = run_cli(["plan", path, "--show", "normalized", "--chapter", "1"], capsys)
    assert code == 0, err
    assert "- CHAPTER IV.\n+ CHAPTER Four." in out
    assert (
        "- Dr. Watson paid $1.88 in 1946.\n+ Doctor Watson paid one dollar and eighty-eight " in out
    )
    assert "Plain words." not in out
    code, out, _ = run_cli(["plan", path, "--show", "normalized"], capsys)
    assert code == 0 and "\n  Plain words." in out
    off = job(tmp_path, extra="normalize: false\n")
    code, out, _ = run_cli(["plan", str(off), "--show", "normalized"], capsys)
    assert code == 0 and "  CHAPTER IV." in out and "Four" not in out
    code, _, err = run_cli(["plan", path, "--show", "normalized", "--chapter", "3"], capsys)
    assert_one_line_error(code, err, "--chapter 3", "1 to 2")
    code, _, err = run_cli(["plan", path, "--chapter", "1"], capsys)
    assert_one_line_error(code, err, "--show normalized")
