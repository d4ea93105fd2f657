"""Client session for the Oris Voice real-time TTS API: connect, synthesize, cancel, reconnect.

One `Session` holds one WebSocket and runs one interaction at a time; it is reused for the next
interaction and re-opened when the server closed it. Every library error is translated here
into narrator's error tree (see narrator/errors.py), so callers only ever see `SynthesisError`s.

A session whose interaction ended abnormally (deadline, cancel, drop, malformed frame,
cancellation of the caller) is closed rather than reused: frames of the abandoned interaction
could otherwise be mistaken for the next one's.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import re
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import anyio
import websockets
from websockets.asyncio.client import ClientConnection, connect
from websockets.protocol import State

from narrator.codes import ErrorCode
from narrator.errors import (
    AuthError,
    DeadlineExceeded,
    LocalProtocolError,
    RemoteProtocolError,
    ServerError,
    TransportError,
    UnknownMessageType,
    Unreachable,
    keeps_session,
)
from narrator.wire import protocol as proto

HOSTED_URL = "wss://models.ojin.ai/realtime"
DEFAULT_KEY_ENV = "OJIN_API_KEY"
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# 30 s of 24 kHz int16 is 1.44 MB; a server may send it in one message (PITFALLS: default 1 MiB).
MAX_INCOMING_BYTES = 64 * 1024 * 1024


def is_env_name(name: str) -> bool:
    """True for a name an environment variable can have (so not an API key pasted by mistake)."""
    return bool(_ENV_NAME_RE.match(name))


# Parameter names that would carry a credential. The store keeps text and hashes only: the API
# key travels from the environment to the session and never reaches the manifest.
SECRET_NAMES = frozenset(
    {"apikey", "key", "authorization", "auth", "bearer", "password", "secret", "token"}
    | {"accesstoken", "authtoken", "secretkey"}
)


def secret_names(params: Mapping[str, Any]) -> list[str]:
    """The names in `params` that look like a credential (compared without case, '-' or '_')."""
    return [n for n in params if n.lower().replace("-", "").replace("_", "") in SECRET_NAMES]


def truncation_tolerance(cap: float) -> float:
    """How close to the cap audio must come to count as cut (PROTOCOL.md: "~max_new_tokens / 12").

    A service may trim a little after the last token, so "at the cap" is read loosely: 5 % of
    the cap, at least two tokens, at most one second. A false alarm costs one extra split.
    """
    return max(2 / proto.TOKENS_PER_SECOND, min(1.0, 0.05 * cap))


CANCEL_GRACE_S = 2.0


@dataclass(frozen=True)
class Endpoint:
    """Where to synthesize: the service URL, the voice (config id) and the key (never shown)."""

    url: str
    config_id: str
    api_key: str = field(repr=False)

    def uri(self) -> str:
        """The URL with `config_id` set in its query string."""
        parts = urlsplit(self.url)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "config_id"]
        query.append(("config_id", self.config_id))
        return urlunsplit(parts._replace(query=urlencode(query)))

    @property
    def is_loopback(self) -> bool:
        host = urlsplit(self.url).hostname or ""
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False


@dataclass(frozen=True)
class SynthesisResult:
    pcm: bytes  # 24 kHz mono signed 16-bit little-endian
    usage: int  # summed usage of every response message
    truncated: bool  # the audio reached the max_new_tokens cap: the text's end was cut
    seconds: float
    interaction_id: str | None
    messages: int


class Session:
    """One WebSocket to the service, reused across interactions.

    Args:
        endpoint: URL, config id and API key.
        request_timeout: overall deadline for one interaction, connect included.
        connect_timeout: deadline for the upgrade alone (None: vendor advice, cold loads are slow;
            the request deadline still bounds it).
        clock_ms: the clock that stamps outgoing messages (injectable for tests).
    """

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        request_timeout: float = 120.0,
        connect_timeout: float | None = None,
        clock_ms: Callable[[], int] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self._clock_ms = clock_ms or (lambda: int(time.time() * 1000))
        self._ws: ClientConnection | None = None
        self.ready: proto.SessionReady | None = None
        self.connects = 0
        self._cancel_requested = False
        self._interacting = False
        self._collecting: anyio.CancelScope | None = None

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def is_open(self) -> bool:
        return self._ws is not None and self._ws.state is State.OPEN

    async def connect(self) -> proto.SessionReady:
        """Open the WebSocket and wait for `sessionReady` (nothing may be sent before it)."""
        await self.aclose()
        with _deadline(self.request_timeout, "connecting"):
            with _map_connect_errors(self.endpoint):
                self._ws = await connect(
                    self.endpoint.uri(),
                    additional_headers={"Authorization": self.endpoint.api_key},
                    max_size=MAX_INCOMING_BYTES,
                    open_timeout=self.connect_timeout,
                    ping_timeout=None,
                    proxy=None if self.endpoint.is_loopback else True,
                    user_agent_header="narrator",
                )
            self.connects += 1
            try:
                self.ready = await self._await_ready()
            except BaseException:
                await self._discard()
                raise
        return self.ready

    async def _await_ready(self) -> proto.SessionReady:
        while True:
            message = await self._receive_message()
            if isinstance(message, proto.SessionReady):
                return message
            # Any other message before sessionReady carries no meaning yet: skip it.

    async def synthesize(
        self, text: str, params: Mapping[str, Any] | None = None
    ) -> SynthesisResult:
        """Speak `text` in one interaction and return its audio.

        Raises:
            AuthError, ServerError: the service refused (see `errors.classify`).
            TransportError, RemoteProtocolError: the connection or a frame failed (retryable).
            DeadlineExceeded: the interaction ran past `request_timeout`.
            LocalProtocolError: the message is over 512 KB (split the text).
        """
        params = dict(params or {})
        frame = proto.encode_input(proto.InteractionInput(text, self._clock_ms(), params))
        if len(frame) > proto.MAX_MESSAGE_BYTES:
            raise LocalProtocolError(
                f"text of {len(text)} characters makes a {len(frame)}-byte message, over the "
                f"{proto.MAX_MESSAGE_BYTES}-byte limit; split it"
            )
        cap = proto.cap_seconds(int(params.get("max_new_tokens", proto.DEFAULT_MAX_NEW_TOKENS)))
        self._cancel_requested = False
        self._collecting = None
        self._interacting = True
        clean = False
        try:
            with _deadline(self.request_timeout, "synthesizing"):
                await self._send_request(frame)
                result = await self._collect(cap)
            clean = True
            return result
        except ServerError as exc:
            clean = keeps_session(exc)  # else frames of this interaction might still arrive
            raise
        finally:
            self._interacting = False
            if not clean:
                await self._discard()

    async def _send_request(self, frame: bytes) -> None:
        reused = self.is_open
        if not reused:
            await self.connect()
        try:
            await self._send(frame)
        except TransportError:
            if not reused:
                raise
            # The server closed the idle session before we noticed: open a fresh one, once.
            await self.connect()
            await self._send(frame)
        await self._send(proto.encode_message(proto.EndInteraction(self._clock_ms())))

    async def _collect(self, cap: float) -> SynthesisResult:
        chunks: list[bytes] = []
        usage = messages = 0
        interaction_id: str | None = None
        with anyio.CancelScope() as self._collecting:
            if self._cancel_requested:  # cancelled while the request was still being sent
                self._collecting.deadline = anyio.current_time() + CANCEL_GRACE_S
            while True:
                data = await self._receive()
                if isinstance(data, str):
                    _decode_text(data)  # raises on errors; anything else is informational
                    continue
                response = proto.decode_response(data)
                messages += 1
                usage += response.usage
                interaction_id = interaction_id or str(response.interaction_id)
                chunks.append(response.audio)
                if response.is_final:
                    break
        self._collecting = None
        if self._cancel_requested:
            # After a cancel the server answers CANCELLED or simply stops: both end here.
            raise ServerError(ErrorCode.CANCELLED, "interaction cancelled")
        pcm = b"".join(chunks)
        seconds = len(pcm) / (proto.SAMPLE_RATE * proto.SAMPLE_WIDTH)
        truncated = seconds >= cap - truncation_tolerance(cap)
        return SynthesisResult(pcm, usage, truncated, seconds, interaction_id, messages)

    async def cancel(self) -> None:
        """Ask the server to stop the running interaction; `synthesize` then raises CANCELLED.

        Does nothing when no interaction is running. Before `sessionReady` nothing may be sent,
        so a cancel during the connect only marks the interaction: it ends once the request is
        out, after the grace period.
        """
        if not self._interacting:
            return
        self._cancel_requested = True
        if self._collecting is not None:
            self._collecting.deadline = anyio.current_time() + CANCEL_GRACE_S
        if self.is_open and self.ready is not None:
            await self._send(proto.encode_message(proto.CancelInteraction(self._clock_ms())))

    async def aclose(self) -> None:
        """Close the WebSocket politely (bounded), if open."""
        ws, self._ws = self._ws, None
        if ws is not None:
            with anyio.move_on_after(2, shield=True):
                await ws.close()

    async def _discard(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            with anyio.move_on_after(1, shield=True):
                await ws.close()

    async def _send(self, message: bytes | str) -> None:
        if self._ws is None:
            raise TransportError("session is not connected")
        with _map_transport_errors("sending"):
            await self._ws.send(message)

    async def _receive(self) -> bytes | str:
        if self._ws is None:
            raise TransportError("session is not connected")
        with _map_transport_errors("receiving"):
            return await self._ws.recv()

    async def _receive_message(self) -> proto.Message | None:
        data = await self._receive()
        if isinstance(data, bytes):
            raise RemoteProtocolError("binary frame before sessionReady")
        return _decode_text(data)


def _decode_text(data: str) -> proto.Message | None:
    """Decode a text frame; error messages and plain-text error frames are raised.

    A message of a type this version does not know is skipped (None): a newer service may
    send more kinds of news than PROTOCOL.md lists.
    """
    try:
        message = proto.decode_message(data)
    except UnknownMessageType:
        return None
    except RemoteProtocolError:
        # PROTOCOL.md: a plain, non-JSON text frame is an error string, not a crash.
        raise ServerError(None, data[:300]) from None
    if isinstance(message, proto.ErrorResponse):
        raise _server_error(message)
    return message


def _server_error(message: proto.ErrorResponse) -> ServerError:
    cls = AuthError if message.code == ErrorCode.AUTH_FAILED else ServerError
    return cls(message.code, message.message, message.interaction_id)


@contextlib.contextmanager
def _deadline(seconds: float, doing: str) -> Iterator[None]:
    try:
        with anyio.fail_after(seconds):
            yield
    except TimeoutError as exc:
        raise DeadlineExceeded(f"no complete answer after {seconds:g} s while {doing}") from exc


@contextlib.contextmanager
def _map_transport_errors(doing: str) -> Iterator[None]:
    try:
        yield
    except websockets.exceptions.ConnectionClosed as exc:
        code = exc.rcvd.code if exc.rcvd is not None else None
        reason = exc.rcvd.reason if exc.rcvd is not None else ""
        detail = (
            f"close code {code}" + (f" ({reason})" if reason else "") if code else "no close frame"
        )
        raise TransportError(f"connection closed while {doing}: {detail}") from exc
    except OSError as exc:
        raise TransportError(f"connection failed while {doing}: {exc.strerror or exc}") from exc


@contextlib.contextmanager
def _map_connect_errors(endpoint: Endpoint) -> Iterator[None]:
    try:
        yield
    except websockets.exceptions.InvalidStatus as exc:
        raise _status_error(exc.response.status_code) from exc
    except websockets.exceptions.InvalidURI as exc:
        raise ServerError(
            ErrorCode.INVALID_HEADERS, f"server URL is not a WebSocket URL: {exc.uri}"
        ) from exc
    except (websockets.exceptions.InvalidHandshake, TimeoutError) as exc:
        raise TransportError(f"WebSocket handshake failed: {exc}") from exc
    except OSError as exc:
        if _nobody_there(exc, endpoint.is_loopback):
            raise Unreachable(
                f"cannot reach the TTS service at {endpoint.url}: {_os_reason(exc)}"
            ) from exc
        raise TransportError(f"cannot connect: {exc.strerror or exc}") from exc


def _nobody_there(exc: OSError, loopback: bool) -> bool:
    """A name that does not resolve, or a refusal on this machine (where nothing listens).

    A refusal from another host stays an ordinary transport error: a load balancer being
    replaced refuses for a moment, and a long job should wait that out.
    """
    if isinstance(exc, socket.gaierror):
        return exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME))
    if not loopback:
        return False
    if isinstance(exc, ConnectionRefusedError) or exc.errno == errno.ECONNREFUSED:
        return True
    # asyncio tried several addresses (::1 and 127.0.0.1) and every one refused.
    text = str(exc)
    return text.startswith("Multiple exceptions") and text.count(
        f"[Errno {errno.ECONNREFUSED}]"
    ) == text.count("[Errno ")


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, socket.gaierror):
        return "the host name does not resolve"
    return "connection refused (nothing listens there)"


def _status_error(status: int) -> ServerError:
    if status == HTTPStatus.UNAUTHORIZED:
        return AuthError(ErrorCode.AUTH_FAILED, "the server refused the API key (HTTP 401)")
    if status == HTTPStatus.FORBIDDEN:
        return AuthError(ErrorCode.UNAUTHORIZED, "the API key lacks permission (HTTP 403)")
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        return ServerError(ErrorCode.RATE_LIMITED, "HTTP 429 at the upgrade")
    if status >= 500:
        return ServerError(ErrorCode.BACKEND_UNAVAILABLE, f"HTTP {status} at the upgrade")
    return ServerError(ErrorCode.INVALID_HEADERS, f"the server refused the upgrade (HTTP {status})")
