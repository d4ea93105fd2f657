"""`narrator say`: one text spoken into one audio file."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import wave
from pathlib import Path
from urllib.parse import urlsplit

import anyio
import numpy as np

from narrator.cli.parser import Commands
from narrator.codes import ErrorCode
from narrator.errors import (
    AuthError,
    NarratorError,
    OutputError,
    ServerError,
    SynthesisError,
    TransportError,
    UserError,
    is_retryable,
)
from narrator.service import open_service
from narrator.sources.decode import clean_text
from narrator.wire import protocol as proto
from narrator.wire.client import DEFAULT_KEY_ENV, HOSTED_URL, Session, SynthesisResult

SAY_PAUSE_S = 0.35
SAY_FORMATS = {".wav": "wav", ".mp3": "mp3", ".m4b": "m4b", ".m4a": "m4b"}
SAY_MP3_KBPS, SAY_AAC_KBPS = 64, 64  # the job defaults (output.mp3_bitrate / aac_bitrate)
SAY_ATTEMPTS = 6  # per text on retryable errors, as a job retries its segments
SAY_BACKOFF_INITIAL_S, SAY_BACKOFF_MAX_S = 0.25, 5.0


def add_say(sub: Commands) -> None:
    say = sub.add_parser("say", help="speak one text into an audio file (.wav, .mp3, .m4b, .m4a)")
    say.add_argument("text", help="the text to speak ('-' reads standard input)")
    say.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        help="file to write; its extension picks the format: .wav, .mp3, .m4b or .m4a",
    )
    say.add_argument(
        "--server",
        nargs="?",
        const=HOSTED_URL,
        default=None,
        metavar="URL",
        help=f"service URL (bare --server: {HOSTED_URL}); default: the embedded local server",
    )
    say.add_argument(
        "--config-id",
        default=None,
        help="voice config id (default: joe on the embedded server; required with --server)",
    )
    say.add_argument("--api-key-env", default=DEFAULT_KEY_ENV, help="env var holding the API key")
    say.add_argument("--language", default="English", help="language name or Auto")
    say.add_argument("--force", action="store_true", help="overwrite an existing output file")
    say.set_defaults(handler=say_command)


def say_command(args: argparse.Namespace) -> int:
    # Control characters (a NUL from a pasted binary, say) never reach the voice, as in a job.
    text = clean_text(sys.stdin.read() if args.text == "-" else args.text)
    if not text.strip():
        raise UserError("say: the text is empty; give the words to speak")
    _check_say_options(args)
    kind = output_kind(args.output)
    check_output_path(args.output, args.force, "-o/--output")
    config_id = args.config_id or "joe"
    pcm = anyio.run(_say, text, args, config_id)
    write_audio(args.output, pcm, kind)
    seconds = len(pcm) / (proto.SAMPLE_RATE * proto.SAMPLE_WIDTH)
    print(f"wrote {args.output} ({seconds:.1f} s of audio)")
    return 0


def _check_say_options(args: argparse.Namespace) -> None:
    if args.server is not None:
        url = urlsplit(args.server)
        if url.scheme not in ("ws", "wss") or not url.hostname:
            raise UserError(
                f"say: --server {args.server!r} is not a ws:// or wss:// URL; "
                f"e.g. --server {HOSTED_URL}"
            )
        if args.config_id is None:
            raise UserError(
                "say: --server needs --config-id (the voice's config id on that service)"
            )
    if not args.language.strip():
        raise UserError('say: --language is empty; name a language, e.g. English, or "Auto"')


async def _say(text: str, args: argparse.Namespace, config_id: str) -> bytes:
    from narrator.text.paragraphs import split_paragraphs
    from narrator.text.segmenter import SegmenterSettings, segment_chapter

    settings = SegmenterSettings(language=args.language)
    segments = await anyio.to_thread.run_sync(
        lambda: segment_chapter(split_paragraphs(text), settings)
    )
    silence = b"\x00\x00" * int(SAY_PAUSE_S * proto.SAMPLE_RATE)
    params = {"language": args.language}
    parts: list[bytes] = []
    async with open_service(args.server, args.api_key_env, key_option="--api-key-env") as service:
        async with Session(service.endpoint(config_id)) as session:
            for number, segment in enumerate(segments):
                try:
                    result = await _with_retries(session, segment.text, params)
                except ServerError as exc:
                    raise _with_fix(exc, args, config_id) from None
                except TransportError as exc:
                    raise _unreachable(exc, service.url) from None
                if result.truncated:
                    print(
                        f"narrator: warning: the service cut {segment.text[:40]!r}... at its "
                        f"{result.seconds:.0f} s cap; its end may be missing",
                        file=sys.stderr,
                    )
                parts.append(result.pcm)
                if number < len(segments) - 1:
                    parts.append(silence)
    return b"".join(parts)


async def _with_retries(session: Session, text: str, params: dict) -> SynthesisResult:
    """One text, retried like a job's segments on RATE_LIMITED, drops and the like."""
    from narrator.scheduler import retrying

    async for attempt in retrying(SAY_ATTEMPTS, SAY_BACKOFF_INITIAL_S, SAY_BACKOFF_MAX_S):
        with attempt:
            return await session.synthesize(text, params)
    raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover


def _with_fix(exc: ServerError, args: argparse.Namespace, config_id: str) -> NarratorError:
    """The service's refusal with what to change on the command line (the key is never shown)."""
    if isinstance(exc, AuthError) or exc.code == ErrorCode.UNAUTHORIZED:
        return type(exc)(exc.code, f"{exc.message}; set {args.api_key_env} to a valid API key")
    if exc.code == ErrorCode.MODEL_NOT_FOUND:
        return ServerError(
            exc.code, f"{exc.message}; --config-id {config_id!r} is unknown to the service"
        )
    if is_retryable(exc):  # still failing after every attempt: not a refusal of the request
        return SynthesisError(f"{exc}; the service kept failing, try again later")
    return exc


def _unreachable(exc: TransportError, url: str) -> TransportError:
    """A connection that failed every attempt, with what to check."""
    return type(exc)(
        f"{exc}; check --server {url} (typed right? server running? start a local one with "
        "narrator serve --port PORT), or leave --server out to use the built-in voices"
    )


def check_output_path(path: Path, force: bool, option: str) -> None:
    """Refuse to overwrite silently, and say so before any work is done."""
    if path.is_dir():
        raise OutputError(f"{option}: {path} is a directory; name a file")
    if path.exists() and not force:
        raise OutputError(f"{option}: {path} exists; pass --force to overwrite it")
    parent = path.resolve().parent
    if not parent.is_dir():
        raise OutputError(f"{option}: folder {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{option}: folder {parent} is not writable; choose another path")


def output_kind(path: Path) -> str:
    """The format `say` writes for `path`, from its extension; a one-line refusal otherwise."""
    kind = SAY_FORMATS.get(path.suffix.lower())
    if kind is None:
        shown = repr(path.suffix) if path.suffix else "no extension"
        raise OutputError(
            f"-o/--output {path}: {shown} is not an audio format say writes; "
            "end the name in .wav, .mp3, .m4b or .m4a"
        )
    return kind


def write_audio(path: Path, pcm: bytes, kind: str) -> None:
    """Write 24 kHz mono int16 PCM as `kind`, atomically: a temp name beside `path`, then a
    rename. The file gets the permissions of the umask, like every file a run writes."""
    temp = path.resolve().parent / f".{path.name}.{secrets.token_hex(4)}.part"
    try:
        if kind == "wav":
            _write_wav(temp, pcm)
        else:
            _encode(temp, pcm, kind, path.name)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _write_wav(temp: Path, pcm: bytes) -> None:
    with open(temp, "xb") as raw, wave.open(raw, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(proto.SAMPLE_WIDTH)
        out.setframerate(proto.SAMPLE_RATE)
        out.writeframes(pcm)


def _encode(temp: Path, pcm: bytes, kind: str, label: str) -> None:
    from narrator.assembly import encode

    rate = proto.SAMPLE_RATE
    inputs: list[str] = []
    if kind == "mp3":
        output = encode.mp3_args(SAY_MP3_KBPS, rate)
    else:
        inputs, output = encode.m4b_args(SAY_AAC_KBPS, rate, None)
    pipe = encode.FfmpegPipe(label, inputs, [*output, str(temp)])
    try:
        pipe.write(np.frombuffer(pcm, dtype="<i2"))
        pipe.finish()
    except BaseException:  # Ctrl-C included: no ffmpeg is left writing a deleted temp file
        pipe.abort()
        raise
