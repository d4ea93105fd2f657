"""One function says retryable or fatal, for every kind of error narrator meets."""

from __future__ import annotations

import asyncio

import pytest

from narrator.codes import ErrorCode
from narrator.errors import (
    AuthError,
    DeadlineExceeded,
    JobFileError,
    LocalProtocolError,
    RemoteProtocolError,
    ServerError,
    TransportError,
    Verdict,
    classify,
    is_retryable,
)


@pytest.mark.parametrize(
    "code, verdict",
    [
        ("AUTH_FAILED", Verdict.FATAL_JOB),
        ("UNAUTHORIZED", Verdict.FATAL_JOB),
        ("MISSING_CONFIG_ID", Verdict.FATAL_JOB),
        ("MODEL_NOT_FOUND", Verdict.FATAL_JOB),
        ("INVALID_HEADERS", Verdict.FATAL_JOB),
        ("INVALID_MESSAGE", Verdict.FATAL_SEGMENT),
        ("FRAME_SIZE_EXCEEDED", Verdict.FATAL_SEGMENT),
        ("RATE_LIMITED", Verdict.RETRY),
        ("BACKEND_UNAVAILABLE", Verdict.RETRY),
        ("TIMEOUT", Verdict.RETRY),
        ("INTERNAL_ERROR", Verdict.RETRY),
        ("CANCELLED", Verdict.FATAL_SEGMENT),
        ("SOMETHING_NEW", Verdict.FATAL_SEGMENT),  # unknown codes: fatal for the segment
        (None, Verdict.RETRY),  # plain-text error frame
    ],
)
def test_server_codes(code, verdict):
    assert classify(ServerError(code, "m")) is verdict


def test_transport_deadline_and_malformed_frames_are_retryable():
    for exc in (TransportError("drop"), DeadlineExceeded("slow"), RemoteProtocolError("bad")):
        assert classify(exc) is Verdict.RETRY and is_retryable(exc)


def test_local_bugs_user_errors_and_auth_are_not_retried():
    assert classify(LocalProtocolError("too big")) is Verdict.FATAL_SEGMENT
    assert classify(JobFileError("job.yaml: x")) is Verdict.FATAL_JOB
    assert classify(AuthError(ErrorCode.AUTH_FAILED, "no")) is Verdict.FATAL_JOB
    assert classify(ValueError("bug")) is Verdict.FATAL_SEGMENT


def test_cancellation_is_never_retryable():
    assert not is_retryable(asyncio.CancelledError())
    assert not is_retryable(KeyboardInterrupt())
