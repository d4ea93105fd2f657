"""The job YAML: schema, defaults and validation messages.

Every problem is one line, `<file>: <field>: <problem>; <fix>`, raised as JobFileError. Unknown
keys are errors with a "did you mean". Paths are relative to the job file's folder and stored
absolute. The API key itself is never read here: only the name of the variable that holds it.

`pauses:` and `output:` are read into the assembler's own Pauses and OutputOptions: their limits
and rules live in narrator.assembly.options, and its OutputError becomes a JobFileError here.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import difflib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from narrator.assembly.options import (
    FORMATS,
    LOUDNESS_RANGE,
    PAUSE_RANGE,
    RECOMMENDED_LOUDNESS,
    SAMPLE_RATE_RANGE,
    SUBTITLE_FORMATS,
    TRUE_PEAK_RANGE,
    OutputOptions,
    Pauses,
    check_output,
    check_pauses,
)
from narrator.errors import JobFileError, SettingError
from narrator.sources.blocks import CODE_MODES, HTML_MODES, NOTES_MODES, ROLES, ReadOptions
from narrator.text.lexicon import LexiconRule, apply_lexicon
from narrator.wire.client import DEFAULT_KEY_ENV, HOSTED_URL, is_env_name, secret_names
from narrator.wire.protocol import DEFAULT_MAX_NEW_TOKENS

SPLITS = ("auto", "headings", "none")
# `matter:` names the roles (narrator.sources.ROLES) that are spoken; "all" is every role.
DEFAULT_MATTER = ("body",)
MATTER_ALL = "all"
# Params that have their own key: a second spelling in params would silently win on the wire.
_RESERVED_PARAMS = {"language": "voice.language"}
_T = TypeVar("_T")


class Params(Mapping[str, Any]):
    """Read-only InteractionInput params; equal and hashed by their canonical JSON.

    Hashable so that a VoiceSpec can key a dict (the pipeline groups segments by voice).
    """

    __slots__ = ("_data", "_json")

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._json = json.dumps(
            dict(data or {}),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        )
        self._data: dict[str, Any] = json.loads(self._json)

    def __getitem__(self, key: str) -> Any:
        # A copy, so nested values cannot be changed behind the frozen spec's back.
        return copy.deepcopy(self._data[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(self._json)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Params):
            return self._json == other._json
        return isinstance(other, Mapping) and self._data == dict(other)

    def __repr__(self) -> str:
        return f"Params({self._json})"


@dataclass(frozen=True)
class VoiceSpec:
    config_id: str = "joe"
    language: str = "English"
    params: Mapping[str, Any] = field(default_factory=Params)  # extra InteractionInput params

    def __post_init__(self) -> None:
        if not isinstance(self.params, Params):
            object.__setattr__(self, "params", Params(self.params))

    @property
    def max_new_tokens(self) -> int:
        """The per-request audio cap in tokens (12 per second of audio)."""
        return int(self.params.get("max_new_tokens", DEFAULT_MAX_NEW_TOKENS))


@dataclass(frozen=True)
class SourceSpec:
    path: Path
    title: str | None = None
    split: str = "auto"  # auto | headings | none
    voice: VoiceSpec | None = None  # None: the job's voice
    read: ReadOptions = ReadOptions()  # notes, code, alt_text, chapter_pattern, html
    matter: tuple[str, ...] = DEFAULT_MATTER  # the roles spoken
    speak: tuple[str, ...] = ()  # chapter titles spoken whatever their role
    skip: tuple[str, ...] = ()  # chapter titles never spoken


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
    backoff_max: float = 20.0


@dataclass(frozen=True)
class NormalizeSpec:
    """Say numbers, numerals and abbreviations as a reader would (narrator.text.normalize).

    `patterns` are lexicon-style rules run on the normalized text (the lexicon itself runs on
    the text as written, before normalization).
    """

    enabled: bool = True
    patterns: tuple[LexiconRule, ...] = ()


@dataclass(frozen=True)
class Job:
    path: Path
    title: str
    sources: tuple[SourceSpec, ...]
    voice: VoiceSpec
    synthesis: SynthesisSpec
    pauses: Pauses
    output: OutputOptions
    workspace: Path
    author: str | None = None
    cover: Path | None = None
    server: ServerSpec | None = None  # None: the embedded local server
    lexicon: tuple[LexiconRule, ...] = ()
    speak_titles: bool = True  # announce each chapter's title from the source before its text
    narrator: str | None = None  # who reads it: the opening credit, the EPUB metadata
    credit: str | None = None  # the opening credit spoken first; None: none
    verify: str = "off"  # proof-listening: off | report | fix (narrator.verify)
    normalize: NormalizeSpec = NormalizeSpec()


# --- loading -----------------------------------------------------------------------------


class _Reader:
    """Validates one job file; every error names the file and the dotted field."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.base = path.resolve().parent

    def fail(self, where: str, problem: str) -> JobFileError:
        message = f"{self.path}: {where}: {problem}" if where else f"{self.path}: {problem}"
        return JobFileError(" ".join(message.split()))  # one line, whatever a value held

    @contextlib.contextmanager
    def checked(self) -> Iterator[None]:
        """A layer's SettingError (its own field and fix) becomes a JobFileError at that field."""
        try:
            yield
        except SettingError as exc:
            raise self.fail(exc.field or "", exc.problem) from exc

    def mapping(self, value: Any, where: str, allowed: Sequence[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(
                where,
                f"must be a mapping of {', '.join(allowed)}, got {_kind(value)}; "
                "write 'key: value' lines under it",
            )
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                raise self.fail(
                    _join(where, str(key)), f"unknown key; {_suggest(str(key), allowed)}"
                )
        return value

    def text(
        self, value: Any, where: str, *, default: str | None = None, empty: bool = False
    ) -> Any:
        if value is None:
            return default
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise self.fail(
                where, f"must be text, got {_kind(value)}; quote it if it is meant as text"
            )
        value = str(value)
        if not empty and not value.strip():
            raise self.fail(where, "must not be empty; write a value or remove the key")
        return value

    def number(
        self, value: Any, where: str, default: Any, low: float, high: float, integer: bool = False
    ) -> Any:
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

    def choice(self, value: Any, where: str, default: str, allowed: Sequence[str]) -> str:
        text = self.text(value, where, default=default)
        if text.lower() not in allowed:
            raise self.fail(
                where, f"unknown value {text!r}; {_suggest(text.lower(), allowed, 'use')}"
            )
        return text.lower()

    def choices(
        self, value: Any, where: str, default: tuple[str, ...], allowed: Sequence[str], empty: bool
    ) -> tuple[str, ...]:
        if value is None:
            return default
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            raise self.fail(
                where, f"must be a list, got {_kind(value)}; write e.g. [{', '.join(allowed)}]"
            )
        if not items and not empty:
            raise self.fail(where, f"must name at least one of {', '.join(allowed)}")
        picked = [self.choice(item, f"{where}[{i}]", "", allowed) for i, item in enumerate(items)]
        return tuple(dict.fromkeys(picked))

    def resolve(self, value: Any, where: str) -> Path:
        if value is None:
            raise self.fail(
                where, "no path given; write the file's path (relative to the job file)"
            )
        raw = self.text(value, where)
        if "\x00" in raw:
            raise self.fail(where, "the path contains a NUL character; fix the path")
        path = Path(raw).expanduser()
        # resolve() drops the "../" of job-relative paths so messages show the real location.
        return self.stat(
            where, lambda: (path if path.is_absolute() else self.base / path).resolve()
        )

    def stat(self, where: str, probe: Callable[[], _T]) -> _T:
        """Run a filesystem probe; an OS refusal (name too long, loop) becomes a one-line error."""
        try:
            return probe()
        except (OSError, RuntimeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise self.fail(where, f"cannot use this path ({reason}); fix the path") from exc

    def file(self, value: Any, where: str) -> Path:
        path = self.resolve(value, where)
        if not self.stat(where, path.exists):
            raise self.fail(
                where, f"file not found: {path}; fix the path (it is relative to the job file)"
            )
        if self.stat(where, path.is_dir):
            raise self.fail(where, f"{path} is a directory; name a file")
        return path

    def folder(self, value: Any, where: str, default: Path) -> Path:
        if value is None:
            return default
        path = self.resolve(value, where)
        if self.stat(where, path.exists) and not self.stat(where, path.is_dir):
            raise self.fail(where, f"{path} exists and is not a folder; choose another path")
        return path


def load_job(path: Path) -> Job:
    """Read and validate a job file.

    Every key but `sources` has a default. Paths in the file are relative to its folder.

    Raises:
        JobFileError: one line, `<file>: <field>: <problem>; <fix>`.
    """
    path = Path(path)
    reader = _Reader(path)
    top = reader.mapping(_read_yaml(reader), "", _TOP_KEYS)
    voice = _voice(reader, top.get("voice"), "voice", VoiceSpec())
    stem = path.stem
    title = reader.text(top.get("title"), "title")
    author = reader.text(top.get("author"), "author")
    narrator = reader.text(top.get("narrator"), "narrator")
    defaults = _SourceDefaults(
        voice=voice,
        read=_read_options(reader, top, "", ReadOptions()),
        matter=_matter(reader, top.get("matter"), "matter", DEFAULT_MATTER),
    )
    return Job(
        path=path,
        title=title or stem.replace("_", " ").title(),
        author=author,
        narrator=narrator,
        credit=_credit(reader, top.get("credit"), title, author, narrator),
        cover=_cover(reader, top.get("cover")),
        sources=_sources(reader, top.get("sources"), defaults),
        voice=voice,
        server=_server(reader, top),
        synthesis=_synthesis(reader, top.get("synthesis")),
        pauses=_pauses(reader, top.get("pauses")),
        lexicon=_lexicon(reader, top.get("lexicon")),
        output=_output(reader, top.get("output"), reader.base / "out" / stem),
        workspace=reader.folder(
            top.get("workspace"), "workspace", reader.base / ".narrator" / stem
        ),
        speak_titles=reader.flag(top.get("speak_titles"), "speak_titles", True),
        verify=_verify(reader, top.get("verify")),
        normalize=_normalize(reader, top.get("normalize")),
    )


_TOP_KEYS = (
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
    "speak_titles",
    "matter",
    "narrator",
    "credit",
    "notes",
    "code",
    "alt_text",
    "chapter_pattern",
    "html",
    "verify",
    "normalize",
)
_READ_KEYS = ("notes", "code", "alt_text", "chapter_pattern", "html")
_SOURCE_KEYS = ("path", "title", "split", "voice", "matter", "speak", "skip", *_READ_KEYS)
VERIFY_MODES = ("off", "report", "fix")


def _verify(reader: _Reader, raw: Any) -> str:
    """`verify:`; YAML reads a bare `off` as false, which means off too."""
    if raw is False:
        return "off"
    if raw is True:
        raise reader.fail("verify", "must be off, report or fix, got true; write report or fix")
    return reader.choice(raw, "verify", "off", VERIFY_MODES)


class _DuplicateKey(Exception):
    def __init__(self, key: object, line: int) -> None:
        super().__init__(key, line)
        self.key, self.line = key, line


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (YAML keeps the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            # Merge keys (<<) may repeat what they merge: only literal keys are checked.
            if (
                not isinstance(key_node, yaml.ScalarNode)
                or key_node.tag == "tag:yaml.org,2002:merge"
            ):
                continue
            key = self.construct_object(key_node)
            if key in seen:
                raise _DuplicateKey(key, key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep)


def _read_yaml(reader: _Reader) -> dict[str, Any]:
    raw = _read_text(reader.path)
    try:
        data = yaml.load(raw, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except _DuplicateKey as exc:
        raise reader.fail(
            f"line {exc.line}", f"key {exc.key!r} appears twice; keep only one"
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise reader.fail(
            where, f"YAML syntax error: {problem}; fix the indentation/quoting there"
        ) from exc
    if data is None:
        raise reader.fail(
            "", "the job file is empty; it needs at least 'sources' (a list of files to narrate)"
        )
    if not isinstance(data, dict):
        raise reader.fail(
            "", f"the top level must be a mapping (title:, sources:, ...), got {_kind(data)}"
        )
    return data


def _read_text(path: Path) -> str:
    try:
        if not path.exists():
            raise JobFileError(f"{path}: job file not found; check the path")
        if path.is_dir():
            raise JobFileError(f"{path}: is a directory; name the job's .yaml file")
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JobFileError(
            f"{path}: not UTF-8 text ({exc.reason}); save the job file as UTF-8"
        ) from exc
    except OSError as exc:
        raise JobFileError(
            f"{path}: cannot read the job file ({exc.strerror}); check the path and its permissions"
        ) from exc


def _cover(reader: _Reader, raw: Any) -> Path | None:
    if raw is None:
        return None
    path = reader.file(raw, "cover")
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise reader.fail(
            "cover", f"cannot read {path} ({exc.strerror}); check its permissions"
        ) from exc
    if not (head.startswith(b"\xff\xd8\xff") or head == b"\x89PNG\r\n\x1a\n"):
        raise reader.fail(
            "cover", f"{path} is not a JPEG or PNG image; convert it or remove 'cover'"
        )
    return path


def _voice(reader: _Reader, raw: Any, where: str, base: VoiceSpec) -> VoiceSpec:
    if isinstance(raw, str):
        raw = {"config_id": raw}
    data = reader.mapping(raw, where, ("config_id", "language", "params"))
    params = dict(base.params)
    params.update(_params(reader, data.get("params"), f"{where}.params"))
    try:
        frozen = Params(params)
    except (TypeError, ValueError) as exc:
        raise reader.fail(
            f"{where}.params",
            f"values must be plain YAML data ({exc}); use text, numbers, lists, mappings",
        ) from exc
    return VoiceSpec(
        config_id=reader.text(data.get("config_id"), f"{where}.config_id", default=base.config_id),
        language=reader.text(data.get("language"), f"{where}.language", default=base.language),
        params=frozen,
    )


def _params(reader: _Reader, raw: Any, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(k, str) for k in raw):
        raise reader.fail(
            where, f"must be a mapping of parameter names to values, got {_kind(raw)}"
        )
    for name, key in _RESERVED_PARAMS.items():
        if name in raw:
            raise reader.fail(f"{where}.{name}", f"has its own key; set {key} instead")
    if found := secret_names(raw):
        raise reader.fail(
            f"{where}.{found[0]}",
            "looks like a credential, which a job file must not hold; "
            "name the environment variable in server.api_key_env instead",
        )
    tokens = raw.get("max_new_tokens")
    if "max_new_tokens" in raw and (
        isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 1
    ):
        raise reader.fail(
            f"{where}.max_new_tokens",
            f"must be a positive integer (default {DEFAULT_MAX_NEW_TOKENS}), got {tokens!r}",
        )
    return raw


def _sources(reader: _Reader, raw: Any, defaults: _SourceDefaults) -> tuple[SourceSpec, ...]:
    if raw is None or raw == []:
        raise reader.fail("sources", "no sources; list the files to narrate (txt, md, html, epub)")
    items = [raw] if isinstance(raw, (str, dict)) else raw
    if not isinstance(items, list):
        raise reader.fail(
            "sources",
            f"must be a list of file paths, got {_kind(raw)}; write e.g. [chapter1.txt, book.epub]",
        )
    return tuple(_source(reader, item, f"sources[{i}]", defaults) for i, item in enumerate(items))


@dataclass(frozen=True)
class _SourceDefaults:
    """What a source inherits from the top level of the job."""

    voice: VoiceSpec
    read: ReadOptions
    matter: tuple[str, ...]


def _source(reader: _Reader, raw: Any, where: str, defaults: _SourceDefaults) -> SourceSpec:
    if not isinstance(raw, dict):
        path = reader.file(raw, f"{where}.path")
        return SourceSpec(path=path, read=defaults.read, matter=defaults.matter)
    data = reader.mapping(raw, where, _SOURCE_KEYS)
    if data.get("path") is None:
        raise reader.fail(f"{where}.path", "missing; give the source file's path")
    override = data.get("voice")
    voice = defaults.voice
    return SourceSpec(
        path=reader.file(data["path"], f"{where}.path"),
        title=reader.text(data.get("title"), f"{where}.title"),
        split=reader.choice(data.get("split"), f"{where}.split", "auto", SPLITS),
        voice=_voice(reader, override, f"{where}.voice", voice) if override is not None else None,
        read=_read_options(reader, data, f"{where}.", defaults.read),
        matter=_matter(reader, data.get("matter"), f"{where}.matter", defaults.matter),
        speak=_titles(reader, data.get("speak"), f"{where}.speak"),
        skip=_titles(reader, data.get("skip"), f"{where}.skip"),
    )


def _read_options(reader: _Reader, data: dict[str, Any], w: str, base: ReadOptions) -> ReadOptions:
    """How sources are read (narrator.sources.ReadOptions); a source's keys override the job's."""
    pattern = reader.text(data.get("chapter_pattern"), w + "chapter_pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise reader.fail(
                w + "chapter_pattern",
                f"invalid regular expression ({exc}); fix it (a heading line matches it in full)",
            ) from exc
    return ReadOptions(
        notes=reader.choice(data.get("notes"), w + "notes", base.notes, NOTES_MODES),
        code=reader.choice(data.get("code"), w + "code", base.code, CODE_MODES),
        alt_text=reader.flag(data.get("alt_text"), w + "alt_text", base.alt_text),
        chapter_pattern=pattern if pattern is not None else base.chapter_pattern,
        html=reader.choice(data.get("html"), w + "html", base.html, HTML_MODES),
    )


def _matter(reader: _Reader, raw: Any, where: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """The roles spoken: `body`, `all`, or a list of roles."""
    allowed = (MATTER_ALL, *ROLES)
    if isinstance(raw, str):  # one word: named as the key itself in messages
        raw = [reader.choice(raw, where, "", allowed)]
    roles = reader.choices(raw, where, default, allowed, empty=False)
    return ROLES if MATTER_ALL in roles else roles


def _titles(reader: _Reader, raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list):
        raise reader.fail(
            where, f"must be a list of chapter titles, got {_kind(raw)}; write e.g. [Preface]"
        )
    return tuple(reader.text(item, f"{where}[{i}]") for i, item in enumerate(items))


def _credit(
    reader: _Reader, raw: Any, title: str | None, author: str | None, narrator: str | None
) -> str | None:
    """The opening credit: given as text, or made from the title, author and narrator the job
    names (a title made from the file name is not worth saying); `credit: false` for none."""
    if isinstance(raw, bool) or raw is None:
        return opening_credit(title, author, narrator) if raw is not False else None
    return reader.text(raw, "credit")


def opening_credit(title: str | None, author: str | None, narrator: str | None) -> str | None:
    """ "Dracula, by Bram Stoker. Read by Ann." from what the job names; None without a title
    or author."""
    if not title and not author:
        return None
    work = f"{title}, by {author}" if title and author else title or f"By {author}"
    lines = [work.rstrip(".") + "."]
    if narrator:
        lines.append(f"Read by {narrator.rstrip('.')}.")
    return " ".join(lines)


def _server(reader: _Reader, top: dict[str, Any]) -> ServerSpec | None:
    if "server" not in top:
        return None
    data = reader.mapping(top["server"], "server", ("url", "api_key_env"))
    url = reader.text(data.get("url"), "server.url", default=HOSTED_URL).strip()
    if not re.match(r"^wss?://[^/\s]+", url):
        raise reader.fail(
            "server.url",
            f"{url!r} is not a WebSocket URL; it must start with ws:// or wss:// and a host",
        )
    env = reader.text(data.get("api_key_env"), "server.api_key_env", default=DEFAULT_KEY_ENV)
    if not is_env_name(env):
        raise reader.fail(
            "server.api_key_env",
            f"{env!r} is not an environment variable name; "
            f"name the variable (e.g. {DEFAULT_KEY_ENV}), not the key",
        )
    return ServerSpec(url, env)


def _synthesis(reader: _Reader, raw: Any) -> SynthesisSpec:
    d = reader.mapping(raw, "synthesis", tuple(SynthesisSpec.__dataclass_fields__))
    default = SynthesisSpec()

    def number(key: str, low: float, high: float, integer: bool = False) -> Any:
        where = f"synthesis.{key}"
        return reader.number(d.get(key), where, getattr(default, key), low, high, integer)

    return SynthesisSpec(
        concurrency=number("concurrency", 1, 64, integer=True),
        max_segment_seconds=number("max_segment_seconds", 1, 30),
        max_attempts=number("max_attempts", 1, 100, integer=True),
        request_timeout=number("request_timeout", 1, 3600),
        connect_timeout=number("connect_timeout", 1, 3600),  # absent or null: no own limit
        backoff_max=number("backoff_max", 0.1, 600),
    )


_PAUSE_KEYS = tuple(f.name for f in dataclasses.fields(Pauses))
# The `output:` keys: OutputOptions' fields, `dir` for `directory`; `force` is --force, per run.
_OUTPUT_KEYS = tuple(
    "dir" if f.name == "directory" else f.name
    for f in dataclasses.fields(OutputOptions)
    if f.name != "force"
)


def _pauses(reader: _Reader, raw: Any) -> Pauses:
    d = reader.mapping(raw, "pauses", _PAUSE_KEYS)
    default = Pauses()
    pauses = Pauses(
        **{
            n: reader.number(d.get(n), f"pauses.{n}", getattr(default, n), *PAUSE_RANGE)
            for n in _PAUSE_KEYS
        }
    )
    with reader.checked():
        check_pauses(pauses)
    return pauses


def _lexicon(reader: _Reader, raw: Any) -> tuple[LexiconRule, ...]:
    if raw is None:
        return ()
    if isinstance(raw, dict):
        raw = [{"find": k, "replace": v} for k, v in raw.items()]
    if not isinstance(raw, list):
        raise reader.fail(
            "lexicon",
            "must be a list of {find, replace} rules or a mapping find: replace, "
            f"got {_kind(raw)}",
        )
    return tuple(_rule(reader, item, f"lexicon[{i}]") for i, item in enumerate(raw))


def _rule(reader: _Reader, raw: Any, where: str) -> LexiconRule:
    d = reader.mapping(raw, where, tuple(LexiconRule.__dataclass_fields__))
    if d.get("find") is None or d.get("replace") is None:
        raise reader.fail(where, "needs both 'find' and 'replace' (replace: '' deletes)")
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
        raise reader.fail(
            f"{where}.find", f"invalid regular expression ({exc}); fix it or set regex: false"
        ) from exc
    try:
        rule.check()
    except (re.error, IndexError) as exc:
        raise reader.fail(
            f"{where}.replace", f"invalid replacement ({exc}); refer only to groups in 'find'"
        ) from exc
    return rule


def _normalize(reader: _Reader, raw: Any) -> NormalizeSpec:
    """`normalize: false`, or `normalize: {enabled: true, patterns: [{find, replace}...]}`."""
    if raw is None or isinstance(raw, bool):
        return NormalizeSpec(enabled=raw is not False)
    d = reader.mapping(raw, "normalize", ("enabled", "patterns"))
    patterns = d.get("patterns")
    if patterns is not None and not isinstance(patterns, list):
        raise reader.fail(
            "normalize.patterns",
            f"must be a list of {{find, replace}} rules, got {_kind(patterns)}",
        )
    return NormalizeSpec(
        enabled=reader.flag(d.get("enabled"), "normalize.enabled", True),
        patterns=tuple(
            _rule(reader, item, f"normalize.patterns[{i}]") for i, item in enumerate(patterns or [])
        ),
    )


def _output(reader: _Reader, raw: Any, default_dir: Path) -> OutputOptions:
    """`output:` read into the assembler's options, then checked by the assembler's rules."""
    d = reader.mapping(raw, "output", _OUTPUT_KEYS)
    base = OutputOptions(directory=default_dir, loudness=RECOMMENDED_LOUDNESS)

    def text(key: str) -> str:
        return reader.text(d.get(key), f"output.{key}", default=getattr(base, key))

    def flag(key: str) -> bool:
        return reader.flag(d.get(key), f"output.{key}", getattr(base, key))

    def number(key: str, limits: tuple[float, float], integer: bool = False) -> Any:
        return reader.number(d.get(key), f"output.{key}", getattr(base, key), *limits, integer)

    def choices(key: str, allowed: Sequence[str], empty: bool) -> tuple[str, ...]:
        return reader.choices(d.get(key), f"output.{key}", getattr(base, key), allowed, empty)

    unleveled = "loudness" in d and d["loudness"] is None  # `loudness: null`: no normalization
    options = OutputOptions(
        directory=reader.folder(d.get("dir"), "output.dir", default_dir),
        formats=choices("formats", FORMATS, empty=False),
        per_chapter=flag("per_chapter"),
        whole_book=flag("whole_book"),
        name_template=text("name_template"),
        book_template=text("book_template"),
        mp3_bitrate=text("mp3_bitrate").strip(),
        aac_bitrate=text("aac_bitrate").strip(),
        sample_rate=number("sample_rate", SAMPLE_RATE_RANGE, integer=True),
        loudness=None if unleveled else number("loudness", LOUDNESS_RANGE),
        true_peak=number("true_peak", TRUE_PEAK_RANGE),
        subtitles=choices("subtitles", SUBTITLE_FORMATS, empty=True),
        qc=flag("qc"),
        timings=flag("timings"),
    )
    with reader.checked():
        check_output(options)
    return options


def _suggest(word: str, allowed: Sequence[str], lead: str = "allowed:") -> str:
    close = difflib.get_close_matches(word, allowed, n=1)
    return f"did you mean '{close[0]}'?" if close else f"{lead} {', '.join(allowed)}"


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind(value: Any) -> str:
    kinds = {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "true/false",
        type(None): "nothing",
    }
    return kinds.get(type(value), type(value).__name__)


__all__: list[str] = [
    "Job",
    "SourceSpec",
    "VoiceSpec",
    "opening_credit",
    "DEFAULT_MATTER",
    "Params",
    "ServerSpec",
    "SynthesisSpec",
    "LexiconRule",
    "NormalizeSpec",
    "load_job",
    "apply_lexicon",
]
