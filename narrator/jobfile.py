"""The job YAML: schema, defaults and validation messages.

Every problem is one line, `<file>: <field>: <problem>; <fix>`, raised as JobFileError. Unknown
keys are errors with a "did you mean". Paths are relative to the job file. The API key itself
is never read here: only the name of the environment variable that holds it.
"""

from __future__ import annotations

import difflib
import json
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from narrator.errors import JobFileError

HOSTED_URL = "wss://models.ojin.ai/realtime"
DEFAULT_KEY_ENV = "OJIN_API_KEY"
FORMATS = ("wav", "mp3", "m4b")
SUBTITLES = ("srt", "vtt")
SPLITS = ("auto", "headings", "none")
TEMPLATE_FIELDS = ("index", "title", "book", "author")
_ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BITRATE_RE = re.compile(r"^\d{2,3}k$")


@dataclass(frozen=True)
class VoiceSpec:
    config_id: str = "joe"
    language: str = "English"
    params_json: str = "{}"  # extra InteractionInput params, canonical JSON (keeps the spec hashable)

    @property
    def params(self) -> dict[str, Any]:
        return json.loads(self.params_json)


@dataclass(frozen=True)
class SourceSpec:
    path: Path
    title: str | None = None
    split: str = "auto"
    voice: VoiceSpec | None = None


@dataclass(frozen=True)
class ServerSpec:
    url: str = HOSTED_URL
    api_key_env: str = DEFAULT_KEY_ENV


@dataclass(frozen=True)
class SynthesisSpec:
    concurrency: int = 4
    max_segment_seconds: float = 20.0
    max_attempts: int = 8
    request_timeout: float = 120.0
    connect_timeout: float | None = None


@dataclass(frozen=True)
class PausesSpec:
    sentence: float = 0.35
    paragraph: float = 0.8
    scene: float = 1.6
    chapter: float = 2.0
    lead_in: float = 0.5
    tail: float = 1.0


@dataclass(frozen=True)
class LexiconRule:
    find: str
    replace: str
    regex: bool = False
    whole_word: bool = True
    case_sensitive: bool = True

    def pattern(self) -> re.Pattern[str]:
        body = self.find if self.regex else re.escape(self.find)
        if self.whole_word:
            body = rf"(?<!\w){body}(?!\w)"
        return re.compile(body, 0 if self.case_sensitive else re.IGNORECASE)


@dataclass(frozen=True)
class OutputSpec:
    dir: Path
    formats: tuple[str, ...] = ("mp3",)
    per_chapter: bool = True
    whole_book: bool = False
    name_template: str = "{index:02d} - {title}"
    book_template: str = "{book}"
    mp3_bitrate: str = "64k"
    aac_bitrate: str = "64k"
    sample_rate: int = 24_000
    loudness: float | None = -20.0
    true_peak: float = -3.0
    subtitles: tuple[str, ...] = ("srt",)
    qc: bool = True


@dataclass(frozen=True)
class Job:
    path: Path
    title: str
    sources: tuple[SourceSpec, ...]
    voice: VoiceSpec
    synthesis: SynthesisSpec
    pauses: PausesSpec
    output: OutputSpec
    workspace: Path
    author: str | None = None
    cover: Path | None = None
    server: ServerSpec | None = None
    lexicon: tuple[LexiconRule, ...] = field(default_factory=tuple)


def apply_lexicon(rules: Sequence[LexiconRule], text: str) -> str:
    """Apply the substitutions in order; each sees the result of the ones before it."""
    for rule in rules:
        # Regex rules may use group references (\1); literal rules insert the text as written.
        replace = rule.replace if rule.regex else (lambda _match, r=rule.replace: r)
        text = rule.pattern().sub(replace, text)
    return text


# --- loading -----------------------------------------------------------------------------


class _Reader:
    """Validates one job file; every error names the file and the dotted field."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.base = path.resolve().parent

    def fail(self, where: str, problem: str) -> JobFileError:
        return JobFileError(f"{self.path}: {where}: {problem}" if where else f"{self.path}: {problem}")

    def mapping(self, value: Any, where: str, allowed: Sequence[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a mapping of {', '.join(allowed)}, got {_kind(value)}")
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}"
                raise self.fail(_join(where, str(key)), f"unknown key; {hint}")
        return value

    def text(self, value: Any, where: str, *, default: str | None = None, empty: bool = False) -> Any:
        if value is None:
            return default
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise self.fail(where, f"must be text, got {_kind(value)}")
        value = str(value)
        if not empty and not value.strip():
            raise self.fail(where, "must not be empty")
        return value

    def number(self, value: Any, where: str, default: Any, low: float, high: float, integer: bool = False) -> Any:
        if value is None:
            return default
        wanted = "an integer" if integer else "a number"
        ok = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok or not low <= value <= high:
            raise self.fail(where, f"must be {wanted} from {low:g} to {high:g}, got {value!r}")
        return int(value) if integer else float(value)

    def flag(self, value: Any, where: str, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(where, f"must be true or false, got {value!r}")
        return value

    def choices(self, value: Any, where: str, default: tuple[str, ...], allowed: Sequence[str], empty: bool) -> tuple[str, ...]:
        if value is None:
            return default
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            raise self.fail(where, f"must be a list of {', '.join(allowed)}, got {_kind(value)}")
        for item in items:
            if not isinstance(item, str) or item.lower() not in allowed:
                raise self.fail(where, f"unknown value {item!r}; use {', '.join(allowed)}")
        if not items and not empty:
            raise self.fail(where, f"must name at least one of {', '.join(allowed)}")
        return tuple(dict.fromkeys(i.lower() for i in items))

    def file(self, value: Any, where: str, *, must_exist: bool = True) -> Path:
        raw = self.text(value, where)
        path = Path(raw).expanduser()
        path = path if path.is_absolute() else self.base / path
        if must_exist and not path.exists():
            raise self.fail(where, f"file not found: {path}; fix the path (relative to the job file)")
        if must_exist and path.is_dir():
            raise self.fail(where, f"{path} is a directory; name a file")
        return path

    def folder(self, value: Any, where: str, default: Path) -> Path:
        if value is None:
            return default
        path = Path(self.text(value, where)).expanduser()
        path = path if path.is_absolute() else self.base / path
        if path.exists() and not path.is_dir():
            raise self.fail(where, f"{path} exists and is not a folder; choose another path")
        return path


def load_job(path: Path) -> Job:
    """Read and validate a job file. Raises JobFileError with a one-line message."""
    path = Path(path)
    reader = _Reader(path)
    data = _read_yaml(reader)
    top = reader.mapping(data, "", _TOP_KEYS)
    title = reader.text(top.get("title"), "title", default=path.stem.replace("_", " ").title())
    voice = _voice(reader, top.get("voice"), "voice", VoiceSpec())
    stem = path.stem
    return Job(
        path=path,
        title=title,
        author=reader.text(top.get("author"), "author"),
        cover=reader.file(top["cover"], "cover") if top.get("cover") is not None else None,
        sources=_sources(reader, top.get("sources"), voice),
        voice=voice,
        server=_server(reader, top),
        synthesis=_synthesis(reader, top.get("synthesis")),
        pauses=_pauses(reader, top.get("pauses")),
        lexicon=_lexicon(reader, top.get("lexicon")),
        output=_output(reader, top.get("output"), reader.base / "out" / stem),
        workspace=reader.folder(top.get("workspace"), "workspace", reader.base / ".narrator" / stem),
    )


_TOP_KEYS = (
    "title", "author", "cover", "sources", "voice", "server", "synthesis", "pauses", "lexicon",
    "output", "workspace",
)  # fmt: skip


def _read_yaml(reader: _Reader) -> Any:
    path = reader.path
    if not path.exists():
        raise JobFileError(f"{path}: job file not found; check the path")
    if path.is_dir():
        raise JobFileError(f"{path}: is a directory; name the job's .yaml file")
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise JobFileError(f"{path}: cannot read the job file ({exc}); save it as UTF-8 text") from exc
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}" if mark is not None else "YAML"
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise reader.fail(line, f"YAML syntax error ({problem}); fix the indentation or quoting there") from exc
    if data is None:
        raise reader.fail("", "the job file is empty; it needs at least 'title' and 'sources'")
    if not isinstance(data, dict):
        raise reader.fail("", f"the top level must be a mapping (title:, sources:, ...), got {_kind(data)}")
    return data


def _voice(reader: _Reader, raw: Any, where: str, base: VoiceSpec) -> VoiceSpec:
    if isinstance(raw, str):
        raw = {"config_id": raw}
    data = reader.mapping(raw, where, ("config_id", "language", "params"))
    params = dict(base.params)
    extra = data.get("params")
    if extra is not None:
        if not isinstance(extra, dict) or not all(isinstance(k, str) for k in extra):
            raise reader.fail(f"{where}.params", f"must be a mapping of parameter names, got {_kind(extra)}")
        params.update(extra)
    tokens = params.get("max_new_tokens")
    if tokens is not None and (isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 1):
        raise reader.fail(f"{where}.params.max_new_tokens", f"must be a positive integer, got {tokens!r}")
    try:
        params_json = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise reader.fail(f"{where}.params", f"values must be plain YAML data ({exc})") from exc
    return VoiceSpec(
        config_id=reader.text(data.get("config_id"), f"{where}.config_id", default=base.config_id),
        language=reader.text(data.get("language"), f"{where}.language", default=base.language),
        params_json=params_json,
    )


def _sources(reader: _Reader, raw: Any, voice: VoiceSpec) -> tuple[SourceSpec, ...]:
    if raw is None or raw == []:
        raise reader.fail("sources", "no sources; list the files to narrate (txt, md, html, epub)")
    items = [raw] if isinstance(raw, (str, dict)) else raw
    if not isinstance(items, list):
        raise reader.fail("sources", f"must be a list of file paths, got {_kind(raw)}")
    return tuple(_source(reader, item, f"sources[{i}]", voice) for i, item in enumerate(items))


def _source(reader: _Reader, raw: Any, where: str, voice: VoiceSpec) -> SourceSpec:
    if not isinstance(raw, dict):
        return SourceSpec(path=reader.file(raw, where))
    data = reader.mapping(raw, where, ("path", "title", "split", "voice"))
    if "path" not in data:
        raise reader.fail(f"{where}.path", "missing; give the source file's path")
    split = reader.text(data.get("split"), f"{where}.split", default="auto")
    if split not in SPLITS:
        raise reader.fail(f"{where}.split", f"unknown mode {split!r}; use {', '.join(SPLITS)}")
    override = data.get("voice")
    return SourceSpec(
        path=reader.file(data["path"], f"{where}.path"),
        title=reader.text(data.get("title"), f"{where}.title"),
        split=split,
        voice=_voice(reader, override, f"{where}.voice", voice) if override is not None else None,
    )


def _server(reader: _Reader, top: dict[str, Any]) -> ServerSpec | None:
    if "server" not in top:
        return None
    data = reader.mapping(top["server"], "server", ("url", "api_key_env"))
    url = reader.text(data.get("url"), "server.url", default=HOSTED_URL)
    if not url.startswith(("ws://", "wss://")):
        raise reader.fail("server.url", f"{url!r} is not a WebSocket URL; it must start with ws:// or wss://")
    env = reader.text(data.get("api_key_env"), "server.api_key_env", default=DEFAULT_KEY_ENV)
    if not _ENV_RE.match(env):
        raise reader.fail("server.api_key_env", f"{env!r} is not an environment variable name; use e.g. OJIN_API_KEY")
    return ServerSpec(url, env)


def _synthesis(reader: _Reader, raw: Any) -> SynthesisSpec:
    d = reader.mapping(raw, "synthesis", tuple(SynthesisSpec.__dataclass_fields__))
    default = SynthesisSpec()
    w = "synthesis."
    timeout = d.get("connect_timeout")
    return SynthesisSpec(
        concurrency=reader.number(d.get("concurrency"), w + "concurrency", default.concurrency, 1, 64, True),
        max_segment_seconds=reader.number(d.get("max_segment_seconds"), w + "max_segment_seconds", default.max_segment_seconds, 1, 30),
        max_attempts=reader.number(d.get("max_attempts"), w + "max_attempts", default.max_attempts, 1, 100, True),
        request_timeout=reader.number(d.get("request_timeout"), w + "request_timeout", default.request_timeout, 1, 3600),
        connect_timeout=None if timeout is None else reader.number(timeout, w + "connect_timeout", None, 1, 3600),
    )  # fmt: skip


def _pauses(reader: _Reader, raw: Any) -> PausesSpec:
    names = tuple(PausesSpec.__dataclass_fields__)
    d = reader.mapping(raw, "pauses", names)
    default = PausesSpec()
    return PausesSpec(**{n: reader.number(d.get(n), f"pauses.{n}", getattr(default, n), 0, 30) for n in names})


def _lexicon(reader: _Reader, raw: Any) -> tuple[LexiconRule, ...]:
    if raw is None:
        return ()
    if isinstance(raw, dict):
        raw = [{"find": k, "replace": v} for k, v in raw.items()]
    if not isinstance(raw, list):
        raise reader.fail("lexicon", f"must be a list of {{find, replace}} rules, got {_kind(raw)}")
    return tuple(_rule(reader, item, f"lexicon[{i}]") for i, item in enumerate(raw))


def _rule(reader: _Reader, raw: Any, where: str) -> LexiconRule:
    d = reader.mapping(raw, where, tuple(LexiconRule.__dataclass_fields__))
    if d.get("find") is None or d.get("replace") is None:
        raise reader.fail(where, "needs both 'find' and 'replace'")
    rule = LexiconRule(
        find=reader.text(d["find"], f"{where}.find"),
        replace=reader.text(d["replace"], f"{where}.replace", empty=True),
        regex=reader.flag(d.get("regex"), f"{where}.regex", False),
        whole_word=reader.flag(d.get("whole_word"), f"{where}.whole_word", True),
        case_sensitive=reader.flag(d.get("case_sensitive"), f"{where}.case_sensitive", True),
    )
    try:
        rule.pattern()
    except re.error as exc:
        raise reader.fail(f"{where}.find", f"invalid regular expression ({exc}); fix it or set regex: false") from exc
    return rule


def _output(reader: _Reader, raw: Any, default_dir: Path) -> OutputSpec:
    d = reader.mapping(raw, "output", tuple(OutputSpec.__dataclass_fields__))
    base = OutputSpec(dir=default_dir)
    w = "output."
    loudness = d.get("loudness", base.loudness)
    spec = OutputSpec(
        dir=reader.folder(d.get("dir"), w + "dir", default_dir),
        formats=reader.choices(d.get("formats"), w + "formats", base.formats, FORMATS, empty=False),
        per_chapter=reader.flag(d.get("per_chapter"), w + "per_chapter", base.per_chapter),
        whole_book=reader.flag(d.get("whole_book"), w + "whole_book", base.whole_book),
        name_template=_template(reader, d.get("name_template"), w + "name_template", base.name_template),
        book_template=_template(reader, d.get("book_template"), w + "book_template", base.book_template),
        mp3_bitrate=_bitrate(reader, d.get("mp3_bitrate"), w + "mp3_bitrate", base.mp3_bitrate),
        aac_bitrate=_bitrate(reader, d.get("aac_bitrate"), w + "aac_bitrate", base.aac_bitrate),
        sample_rate=reader.number(d.get("sample_rate"), w + "sample_rate", base.sample_rate, 8000, 48000, True),
        loudness=None if loudness is None else reader.number(loudness, w + "loudness", None, -40, -5),
        true_peak=reader.number(d.get("true_peak"), w + "true_peak", base.true_peak, -20, 0),
        subtitles=reader.choices(d.get("subtitles"), w + "subtitles", base.subtitles, SUBTITLES, empty=True),
        qc=reader.flag(d.get("qc"), w + "qc", base.qc),
    )  # fmt: skip
    if not spec.per_chapter and not spec.whole_book:
        raise reader.fail("output", "per_chapter and whole_book are both false; set one of them to true")
    return spec


def _template(reader: _Reader, raw: Any, where: str, default: str) -> str:
    template = reader.text(raw, where, default=default)
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise reader.fail(where, f"bad template ({exc}); use fields like {{title}}") from exc
    for name in fields:
        if name.split(".")[0].split("[")[0] not in TEMPLATE_FIELDS:
            raise reader.fail(where, f"unknown field {{{name}}}; use {', '.join(TEMPLATE_FIELDS)}")
    if "/" in template or "\\" in template or ".." in template:
        raise reader.fail(where, "must not contain path separators or '..'; name a file, not a path")
    return template


def _bitrate(reader: _Reader, raw: Any, where: str, default: str) -> str:
    value = reader.text(raw, where, default=default)
    if not _BITRATE_RE.match(value):
        raise reader.fail(where, f"{value!r} is not a bitrate; write it like 64k")
    return value


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )


__all__: list[str] = [
    "Job", "SourceSpec", "VoiceSpec", "ServerSpec", "SynthesisSpec", "PausesSpec", "LexiconRule",
    "OutputSpec", "load_job", "apply_lexicon",
]  # fmt: skip
