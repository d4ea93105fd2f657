"""The endpoint a command talks to: the configured service, or narrator's own local server.

With no server configured, narrator starts its protocol-compatible server in-process on a free
loopback port with a random one-time key, and talks to it over a real WebSocket: the same
client code path as the hosted API.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field

from narrator.errors import UserError
from narrator.jobfile import Job
from narrator.wire.client import DEFAULT_KEY_ENV, Endpoint, is_env_name


def read_api_key(env_name: str, where: str = "api_key_env") -> str:
    """The API key from the environment variable `env_name`; never logged or stored."""
    if not is_env_name(env_name):
        raise UserError(f"{where}: {env_name!r} is not an environment variable name")
    key = os.environ.get(env_name, "").strip()
    if not key:
        raise UserError(
            f"environment variable {env_name} is not set; export {env_name}=<your API key> "
            f"(or name another variable with {where})"
        )
    return key


@dataclass(frozen=True)
class Service:
    """A TTS service to talk to: its URL and the API key (never shown)."""

    url: str
    api_key: str = field(repr=False)
    # Embedded server: requests it can synthesize at once (its Piper lanes); the pool keeps
    # at least this many in flight so no lane idles. 0 for a remote service.
    lanes: int = 0

    def endpoint(self, config_id: str) -> Endpoint:
        return Endpoint(self.url, config_id, self.api_key)


@asynccontextmanager
async def open_service(
    url: str | None,
    api_key_env: str,
    *,
    engines: tuple[str, ...] = ("joe", "test"),
    key_option: str = "api_key_env",
) -> AsyncIterator[Service]:
    """Yield the service to use; with `url` None, run the local server for the duration.

    `key_option` names where the user sets the key's variable, for the missing-key message.
    """
    if url is not None:
        yield Service(url, read_api_key(api_key_env, key_option))
        return
    from narrator.server import ServerConfig, running_server

    key = secrets.token_urlsafe(24)
    config = ServerConfig(api_keys=(key,), engines=engines)
    async with running_server(config) as server:
        yield Service(server.url, key, lanes=config.lanes()[0])


def key_env(job: Job) -> str:
    """The environment variable holding the job's API key."""
    return job.server.api_key_env if job.server else DEFAULT_KEY_ENV


def key_option(job: Job) -> str:
    """Where the user names that variable, for messages."""
    return f"{job.path.name}: server.api_key_env"


def job_service(job: Job) -> AbstractAsyncContextManager[Service]:
    """The job's service: its server with the key from `server.api_key_env`, or (no server)
    the embedded local server."""
    url = job.server.url if job.server else None
    return open_service(url, key_env(job), key_option=key_option(job))
