"""The codec against PROTOCOL.md's test vectors, both ways, plus malformed input and round trips."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from protocol_vectors import (
    ID,
    VECTOR_INPUT_PARAMS,
    VECTOR_INPUT_PLAIN,
    VECTOR_RESPONSE_AUDIO,
    VECTOR_RESPONSE_FINAL,
)

from narrator.codes import CodeClass, ErrorCode
from narrator.errors import LocalProtocolError, RemoteProtocolError, UnknownMessageType
from narrator.wire import protocol as p

INPUT_PARAMS = p.InteractionInput(
    "Hello world.", 1700000000000, {"language": "English", "max_new_tokens": 360}
)
INPUT_PLAIN = p.InteractionInput("Ça va?", 1700000000000)
SAMPLES = b"".join(v.to_bytes(2, "little", signed=True) for v in (0, 1, -1, 32767))
RESPONSE_AUDIO = p.InteractionResponse(False, ID, 1700000000123, 7, 0, (p.Entry(1, SAMPLES),))
RESPONSE_FINAL = p.InteractionResponse(True, ID, 1700000000456, 12, 1, ())


def test_input_vectors_encode_byte_for_byte():
    assert len(VECTOR_INPUT_PARAMS) == 68 and len(VECTOR_INPUT_PLAIN) == 20
    assert p.encode_input(INPUT_PARAMS) == VECTOR_INPUT_PARAMS
    assert p.encode_input(INPUT_PLAIN) == VECTOR_INPUT_PLAIN


def test_input_vectors_decode():
    assert p.decode_input(VECTOR_INPUT_PARAMS) == INPUT_PARAMS
    assert p.decode_input(VECTOR_INPUT_PLAIN) == INPUT_PLAIN


def test_response_vectors_encode_byte_for_byte():
    assert len(VECTOR_RESPONSE_AUDIO) == 50 and len(VECTOR_RESPONSE_FINAL) == 38
    assert p.encode_response(RESPONSE_AUDIO) == VECTOR_RESPONSE_AUDIO
    assert p.encode_response(RESPONSE_FINAL, trailer=b"\x01") == VECTOR_RESPONSE_FINAL


def test_response_vectors_decode():
    audio = p.decode_response(VECTOR_RESPONSE_AUDIO)
    assert audio == RESPONSE_AUDIO
    assert audio.audio == SAMPLES
    final = p.decode_response(VECTOR_RESPONSE_FINAL)
    assert final == RESPONSE_FINAL and final.audio == b""


@pytest.mark.parametrize("garbage", [b"\x00", b"\xff" * 7, b"trailing junk"])
def test_response_ignores_any_trailing_bytes(garbage):
    assert p.decode_response(VECTOR_RESPONSE_AUDIO + garbage) == RESPONSE_AUDIO


def test_every_truncated_response_raises_protocol_error():
    for vector in (VECTOR_RESPONSE_AUDIO, VECTOR_RESPONSE_FINAL[:-1]):
        for cut in range(len(vector)):
            with pytest.raises(RemoteProtocolError):
                p.decode_response(vector[:cut])


def test_every_truncated_input_raises_or_decodes_a_prefix():
    # A cut inside the header or params is malformed; a cut inside the text is a shorter text
    # unless it splits a UTF-8 sequence, which is malformed too.
    for vector, expected in (
        (VECTOR_INPUT_PARAMS, INPUT_PARAMS),
        (VECTOR_INPUT_PLAIN, INPUT_PLAIN),
    ):
        text_start = len(vector) - len(expected.text.encode())
        for cut in range(len(vector)):
            try:
                decoded = p.decode_input(vector[:cut])
            except RemoteProtocolError:
                continue
            assert cut >= text_start
            assert expected.text.encode().startswith(decoded.text.encode())
            assert decoded.params == expected.params


def test_entry_size_past_end_is_malformed():
    bad = bytearray(VECTOR_RESPONSE_AUDIO)
    bad[37:41] = (9).to_bytes(4, "big")  # declares 9 bytes, 8 follow
    with pytest.raises(RemoteProtocolError, match="past the frame end"):
        p.decode_response(bytes(bad))


def test_huge_entry_count_is_malformed_not_a_hang():
    bad = bytearray(VECTOR_RESPONSE_FINAL[:-1])
    bad[33:37] = (0xFFFFFFFF).to_bytes(4, "big")
    with pytest.raises(RemoteProtocolError):
        p.decode_response(bytes(bad))


def test_multi_entry_response_keeps_order_and_types():
    msg = p.InteractionResponse(
        True, ID, 5, 3, 2, (p.Entry(1, b"\x01\x00"), p.Entry(9, b"meta"), p.Entry(1, b"\x02\x00"))
    )
    decoded = p.decode_response(p.encode_response(msg))
    assert decoded == msg
    assert decoded.audio == b"\x01\x00\x02\x00"


@pytest.mark.parametrize(
    "params_bytes, why",
    [
        (b"\xff\xfe", "not UTF-8"),
        (b"{not json", "not JSON"),
        (b"[1, 2]", "must be a JSON object"),
    ],
)
def test_bad_params_raise_protocol_error(params_bytes, why):
    frame = bytes([0]) + (1).to_bytes(8, "big") + len(params_bytes).to_bytes(4, "big")
    with pytest.raises(RemoteProtocolError):
        p.decode_input(frame + params_bytes + b"hi")


def test_deeply_nested_params_are_malformed_not_a_crash():
    nested = b"[" * 100_000 + b"]" * 100_000
    frame = bytes([0]) + (1).to_bytes(8, "big") + len(nested).to_bytes(4, "big") + nested
    with pytest.raises(RemoteProtocolError):
        p.decode_input(frame)


def test_bad_text_utf8_and_non_text_payload_are_malformed():
    header = bytes([0]) + (1).to_bytes(8, "big") + (0).to_bytes(4, "big")
    with pytest.raises(RemoteProtocolError, match="UTF-8"):
        p.decode_input(header + b"\xc3")
    with pytest.raises(RemoteProtocolError, match="payload type"):
        p.decode_input(bytes([1]) + header[1:] + b"pcm")


def test_params_size_past_end_is_malformed():
    frame = bytes([0]) + (1).to_bytes(8, "big") + (100).to_bytes(4, "big") + b"{}"
    with pytest.raises(RemoteProtocolError, match="params size"):
        p.decode_input(frame)


def test_encoder_rejects_values_the_format_cannot_carry():
    with pytest.raises(LocalProtocolError):
        p.encode_input(p.InteractionInput("x", -1))
    with pytest.raises(LocalProtocolError):
        p.encode_input(p.InteractionInput("x", 1, {"bad": object()}))
    with pytest.raises(LocalProtocolError):
        p.encode_response(p.InteractionResponse(False, ID, 1, usage=2**32))


def test_json_messages_round_trip_and_have_the_documented_shape():
    messages = [
        p.SessionReady("trace-1", 1700000000000, "success", 0.25, {"voice": "joe"}, 3, 8),
        p.EndInteraction(1700000000001),
        p.CancelInteraction(1700000000002),
        p.ErrorResponse("RATE_LIMITED", "slow down", 1700000000003, "abc", {"retry_after": 1}),
        p.ErrorResponse("AUTH_FAILED", "bad key", 1700000000004),
    ]
    for msg in messages:
        text = p.encode_message(msg)
        assert p.decode_message(text) == msg
    end = json.loads(p.encode_message(messages[1]))
    assert end == {"type": "endInteraction", "payload": {"timestamp": 1700000000001}}
    err = json.loads(p.encode_message(messages[4]))
    assert err["type"] == "errorResponse"
    assert set(err["payload"]) == {"interaction_id", "code", "message", "details", "timestamp"}


def test_session_ready_tolerates_missing_optional_fields():
    ready = p.decode_message(
        '{"type":"sessionReady","payload":{"trace_id":"t","status":"success"}}'
    )
    assert isinstance(ready, p.SessionReady) and ready.max_capacity is None


def test_server_messages_read_informational_fields_leniently():
    # A field of an unexpected type must not cost the session or, worse, an error's code.
    ready = p.decode_message(
        '{"type":"sessionReady","payload":{"load":null,"max_capacity":"eight","timestamp":"now",'
        '"num_clients":true,"parameters":[1]}}'
    )
    assert ready == p.SessionReady("", 0, load=0.0)
    error = p.decode_message(
        '{"type":"errorResponse","payload":{"code":"AUTH_FAILED","message":"bad key",'
        '"details":"see docs","timestamp":null}}'
    )
    assert isinstance(error, p.ErrorResponse)
    assert (error.code, error.message, error.details, error.timestamp_ms) == (
        "AUTH_FAILED",
        "bad key",
        None,
        0,
    )


def test_unknown_message_type_is_its_own_protocol_error():
    with pytest.raises(UnknownMessageType, match="'progress'"):
        p.decode_message('{"type":"progress","payload":{"done":0.5}}')


def test_any_nonzero_is_final_byte_means_final():
    frame = bytearray(VECTOR_RESPONSE_FINAL)
    frame[0] = 0xFF
    assert p.decode_response(bytes(frame)).is_final


@pytest.mark.parametrize(
    "text",
    [
        "internal error",  # a plain-text error frame
        "[1]",
        '{"payload": {}}',
        '{"type": "nope", "payload": {}}',
        '{"type": "endInteraction", "payload": []}',
        '{"type": "endInteraction", "payload": {"timestamp": "soon"}}',
        '{"type": "endInteraction", "payload": {"timestamp": 1e400}}',
        '{"type": "endInteraction", "payload": {"timestamp": NaN}}',
        "[" * 100_000 + "]" * 100_000,
    ],
)
def test_malformed_json_messages_raise_protocol_error(text):
    with pytest.raises(RemoteProtocolError):
        p.decode_message(text)


def test_error_codes_carry_their_class():
    assert ErrorCode.RATE_LIMITED.code_class is CodeClass.RETRY
    assert ErrorCode.AUTH_FAILED.code_class is CodeClass.FATAL_JOB
    assert ErrorCode.FRAME_SIZE_EXCEEDED.code_class is CodeClass.FATAL_SEGMENT
    assert ErrorCode.CANCELLED.code_class is CodeClass.EXPECTED
    assert ErrorCode.parse("NOT_A_CODE") is None
    assert all(code.code_class in CodeClass for code in ErrorCode)


def test_cap_seconds_matches_the_documented_limit():
    assert p.cap_seconds() == 30.0
    assert p.cap_seconds(120) == 10.0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(max_size=300),
    timestamp=st.integers(0, 2**64 - 1),
    params=st.dictionaries(st.text(max_size=10), json_values, max_size=5),
)
def test_input_round_trip(text, timestamp, params):
    msg = p.InteractionInput(text, timestamp, params)
    assert p.decode_input(p.encode_input(msg)) == msg


entries = st.lists(st.builds(p.Entry, st.integers(0, 255), st.binary(max_size=64)), max_size=5).map(
    tuple
)


@settings(max_examples=200, deadline=None)
@given(
    final=st.booleans(),
    raw_id=st.binary(min_size=16, max_size=16),
    timestamp=st.integers(0, 2**64 - 1),
    usage=st.integers(0, 2**32 - 1),
    index=st.integers(0, 2**32 - 1),
    items=entries,
    trailer=st.binary(max_size=3),
)
def test_response_round_trip(final, raw_id, timestamp, usage, index, items, trailer):
    msg = p.InteractionResponse(final, uuid.UUID(bytes=raw_id), timestamp, usage, index, items)
    assert p.decode_response(p.encode_response(msg, trailer)) == msg


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_any_bytes_either_decode_or_raise_the_documented_error(data):
    for decode in (p.decode_response, p.decode_input):
        try:
            decode(data)
        except RemoteProtocolError:
            pass


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_text_frame_either_decodes_or_raises_the_documented_error(text):
    try:
        p.decode_message(text)
    except RemoteProtocolError:
        pass
