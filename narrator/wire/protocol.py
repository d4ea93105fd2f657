"""Sans-I/O codec for the Oris Voice real-time TTS protocol (see PROTOCOL.md).

Bytes and strings in, values out, and back. No sockets, clocks or randomness live here:
timestamps and interaction ids are passed in by the caller. The client and the local server
both use this module, so it is the one source of truth for the wire format.

Every decoder raises `RemoteProtocolError` (never IndexError / struct.error / ValueError) on
malformed input; encoders raise `LocalProtocolError` on values the format cannot carry.
"""

from __future__ import annotations

import json
import math
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from narrator.codes import ErrorCode
from narrator.errors import LocalProtocolError, RemoteProtocolError, UnknownMessageType

__all__ = [
    "ErrorCode",
    "PayloadType",
    "MAX_MESSAGE_BYTES",
    "SAMPLE_RATE",
    "TOKENS_PER_SECOND",
    "DEFAULT_MAX_NEW_TOKENS",
    "InteractionInput",
    "Entry",
    "InteractionResponse",
    "SessionReady",
    "EndInteraction",
    "CancelInteraction",
    "ErrorResponse",
    "encode_input",
    "decode_input",
    "encode_response",
    "decode_response",
    "encode_message",
    "decode_message",
    "cap_seconds",
]

MAX_MESSAGE_BYTES = 512 * 1024
SAMPLE_RATE = 24_000  # Hz, mono, signed 16-bit little-endian
SAMPLE_WIDTH = 2
TOKENS_PER_SECOND = 12
DEFAULT_MAX_NEW_TOKENS = 360

_INPUT_HEADER = struct.Struct("!BQI")  # payload type, timestamp ms, params size
_RESPONSE_HEADER = struct.Struct("!B16sQIII")  # final, id, timestamp, usage, index, entries
_ENTRY_HEADER = struct.Struct("!IB")  # size, payload type
_U32 = 0xFFFF_FFFF
_U64 = 0xFFFF_FFFF_FFFF_FFFF


class PayloadType:
    TEXT = 0
    AUDIO = 1
    IMAGE = 2
    VIDEO = 3


def cap_seconds(max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS) -> float:
    """Seconds of audio the service produces at most for one interaction."""
    return max_new_tokens / TOKENS_PER_SECOND


# --- binary: InteractionInput (client -> server) ---------------------------------------


@dataclass(frozen=True)
class InteractionInput:
    text: str
    timestamp_ms: int
    params: dict[str, Any] = field(default_factory=dict)
    payload_type: int = PayloadType.TEXT


def _check_uint(name: str, value: int, limit: int) -> None:
    if not isinstance(value, int) or not 0 <= value <= limit:
        raise LocalProtocolError(f"{name} must be an integer in 0..{limit}, got {value!r}")


def encode_input(msg: InteractionInput) -> bytes:
    """Encode an InteractionInput. Empty params are sent as N = 0 (absent)."""
    _check_uint("payload_type", msg.payload_type, 0xFF)
    _check_uint("timestamp_ms", msg.timestamp_ms, _U64)
    try:
        params = (
            json.dumps(msg.params, separators=(",", ":"), ensure_ascii=False).encode()
            if msg.params
            else b""
        )
        text = msg.text.encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError) as exc:
        raise LocalProtocolError(f"cannot encode interaction input: {exc}") from exc
    return _INPUT_HEADER.pack(msg.payload_type, msg.timestamp_ms, len(params)) + params + text


def decode_input(data: bytes) -> InteractionInput:
    """Decode an InteractionInput frame; only text payloads (type 0) are accepted."""
    if len(data) < _INPUT_HEADER.size:
        raise RemoteProtocolError(
            f"InteractionInput shorter than its {_INPUT_HEADER.size}-byte header ({len(data)} "
            "bytes)"
        )
    payload_type, timestamp_ms, params_size = _INPUT_HEADER.unpack_from(data)
    end = _INPUT_HEADER.size + params_size
    if end > len(data):
        raise RemoteProtocolError(
            f"InteractionInput params size {params_size} runs past the end of the frame"
        )
    if payload_type != PayloadType.TEXT:
        raise RemoteProtocolError(f"unsupported payload type {payload_type} (TTS takes text, 0)")
    params = _decode_params(bytes(data[_INPUT_HEADER.size : end]))
    try:
        text = bytes(data[end:]).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RemoteProtocolError(f"InteractionInput text is not valid UTF-8: {exc}") from exc
    return InteractionInput(text, timestamp_ms, params, payload_type)


def _decode_params(raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        params = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: deep nesting
        raise RemoteProtocolError(f"InteractionInput params are not UTF-8 JSON: {exc}") from exc
    if not isinstance(params, dict):
        raise RemoteProtocolError("InteractionInput params must be a JSON object")
    return params


# --- binary: InteractionResponse (server -> client) ------------------------------------


@dataclass(frozen=True)
class Entry:
    payload_type: int
    data: bytes


@dataclass(frozen=True)
class InteractionResponse:
    is_final: bool
    interaction_id: uuid.UUID
    timestamp_ms: int
    usage: int = 0
    index: int = 0
    entries: tuple[Entry, ...] = ()

    @property
    def audio(self) -> bytes:
        """The PCM of every audio entry, in order."""
        return b"".join(e.data for e in self.entries if e.payload_type == PayloadType.AUDIO)


def encode_response(msg: InteractionResponse, trailer: bytes = b"") -> bytes:
    """Encode an InteractionResponse; `trailer` is appended after the entries (peers ignore it)."""
    for name, value, limit in (
        ("timestamp_ms", msg.timestamp_ms, _U64),
        ("usage", msg.usage, _U32),
        ("index", msg.index, _U32),
    ):
        _check_uint(name, value, limit)
    parts = [
        _RESPONSE_HEADER.pack(
            1 if msg.is_final else 0,
            msg.interaction_id.bytes,
            msg.timestamp_ms,
            msg.usage,
            msg.index,
            len(msg.entries),
        )
    ]
    for entry in msg.entries:
        _check_uint("entry payload_type", entry.payload_type, 0xFF)
        _check_uint("entry size", len(entry.data), _U32)
        parts.append(_ENTRY_HEADER.pack(len(entry.data), entry.payload_type))
        parts.append(entry.data)
    parts.append(trailer)
    return b"".join(parts)


def decode_response(data: bytes) -> InteractionResponse:
    """Decode an InteractionResponse; bytes after the declared entries are ignored."""
    if len(data) < _RESPONSE_HEADER.size:
        raise RemoteProtocolError(
            f"InteractionResponse shorter than its {_RESPONSE_HEADER.size}-byte header "
            f"({len(data)} bytes)"
        )
    final, raw_id, timestamp_ms, usage, index, count = _RESPONSE_HEADER.unpack_from(data)
    entries = []
    offset = _RESPONSE_HEADER.size
    for number in range(count):
        if offset + _ENTRY_HEADER.size > len(data):
            raise RemoteProtocolError(f"entry {number} of {count} header runs past the frame end")
        size, payload_type = _ENTRY_HEADER.unpack_from(data, offset)
        offset += _ENTRY_HEADER.size
        if offset + size > len(data):
            raise RemoteProtocolError(f"entry {number} declares {size} bytes past the frame end")
        entries.append(Entry(payload_type, bytes(data[offset : offset + size])))
        offset += size
    return InteractionResponse(
        bool(final), uuid.UUID(bytes=bytes(raw_id)), timestamp_ms, usage, index, tuple(entries)
    )


# --- text: JSON messages ----------------------------------------------------------------


@dataclass(frozen=True)
class SessionReady:
    trace_id: str
    timestamp_ms: int
    status: str = "success"
    load: float = 0.0
    parameters: dict[str, Any] | None = None
    num_clients: int | None = None
    max_capacity: int | None = None


@dataclass(frozen=True)
class EndInteraction:
    timestamp_ms: int


@dataclass(frozen=True)
class CancelInteraction:
    timestamp_ms: int


@dataclass(frozen=True)
class ErrorResponse:
    code: str
    message: str
    timestamp_ms: int
    interaction_id: str | None = None
    details: dict[str, Any] | None = None


Message = SessionReady | EndInteraction | CancelInteraction | ErrorResponse


def encode_message(msg: Message) -> str:
    """Encode a JSON message as the text of one frame."""
    if isinstance(msg, SessionReady):
        payload: dict[str, Any] = {
            "trace_id": msg.trace_id,
            "status": msg.status,
            "load": msg.load,
            "timestamp": msg.timestamp_ms,
        }
        for key in ("parameters", "num_clients", "max_capacity"):
            if getattr(msg, key) is not None:
                payload[key] = getattr(msg, key)
        kind = "sessionReady"
    elif isinstance(msg, (EndInteraction, CancelInteraction)):
        payload = {"timestamp": msg.timestamp_ms}
        kind = "endInteraction" if isinstance(msg, EndInteraction) else "cancelInteraction"
    elif isinstance(msg, ErrorResponse):
        payload = {
            "interaction_id": msg.interaction_id,
            "code": str(msg.code),
            "message": msg.message,
            "details": msg.details,
            "timestamp": msg.timestamp_ms,
        }
        kind = "errorResponse"
    else:
        raise LocalProtocolError(f"not a protocol message: {msg!r}")
    return json.dumps({"type": kind, "payload": payload}, separators=(",", ":"))


def decode_message(text: str) -> Message:
    """Decode one JSON text frame. Non-JSON text raises RemoteProtocolError."""
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise RemoteProtocolError(f"text frame is not JSON: {text[:200]!r}") from exc
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        raise RemoteProtocolError("JSON message needs a string 'type'")
    payload = obj.get("payload", {})
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise RemoteProtocolError("JSON message 'payload' must be an object")
    decoder = _DECODERS.get(obj["type"])
    if decoder is None:
        raise UnknownMessageType(f"unknown message type {obj['type']!r}")
    try:
        return decoder(payload)
    except (TypeError, ValueError, OverflowError) as exc:  # OverflowError: int(1e400)
        raise RemoteProtocolError(f"bad {obj['type']} payload: {exc}") from exc


def _timestamp(payload: dict[str, Any]) -> int:
    value = payload.get("timestamp", 0)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("timestamp must be a number")
    return int(value)


def _decode_ready(p: dict[str, Any]) -> SessionReady:
    # Server messages are read leniently: a field of the wrong type is informational only and
    # must not turn a usable session (or an error's code) into a malformed-message failure.
    load = p.get("load")
    return SessionReady(
        trace_id=str(p.get("trace_id", "")),
        timestamp_ms=_lenient_timestamp(p),
        status=str(p.get("status", "success")),
        load=float(load) if _is_number(load) else 0.0,
        parameters=_lenient(p, "parameters", dict),
        num_clients=_lenient(p, "num_clients", int),
        max_capacity=_lenient(p, "max_capacity", int),
    )


def _decode_error(p: dict[str, Any]) -> ErrorResponse:
    interaction_id = p.get("interaction_id")
    return ErrorResponse(
        code=str(p.get("code") or ""),
        message=str(p.get("message") or ""),
        timestamp_ms=_lenient_timestamp(p),
        interaction_id=None if interaction_id is None else str(interaction_id),
        details=_lenient(p, "details", dict),
    )


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _lenient_timestamp(payload: dict[str, Any]) -> int:
    value = payload.get("timestamp")
    return int(value) if _is_number(value) else 0


def _lenient(payload: dict[str, Any], key: str, kind: type) -> Any:
    value = payload.get(key)
    return value if isinstance(value, kind) and not isinstance(value, bool) else None


_DECODERS: dict[str, Callable[[dict[str, Any]], Message]] = {
    "sessionReady": _decode_ready,
    "endInteraction": lambda p: EndInteraction(_timestamp(p)),
    "cancelInteraction": lambda p: CancelInteraction(_timestamp(p)),
    "errorResponse": _decode_error,
}
