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
    Unreachable,
    Verdict,
    classify,
    classify_streak,
    is_retryable,
    keeps_session,
    lost_streak,
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


def test_segments_lost_in_a_row_to_transport_errors_end_the_job_at_the_limit():
    streak = 0
    for exc in (TransportError("drop"), Unreachable("refused"), DeadlineExceeded("slow")):
        streak = lost_streak(exc, streak)
    assert streak == 0  # a loss that is not a transport error starts the count over
    for expected in (Verdict.FATAL_SEGMENT, Verdict.FATAL_SEGMENT, Verdict.FATAL_JOB):
        streak = lost_streak(TransportError("refused"), streak)
        assert classify_streak(streak, unreachable_after=3) is expected
    assert lost_streak(ServerError("TIMEOUT", "m"), streak) == 0
    assert classify_streak(0, unreachable_after=0) is Verdict.FATAL_SEGMENT


@pytest.mark.parametrize(
    "exc, kept",
    [
        (ServerError("RATE_LIMITED", "m"), True),
        (ServerError("BACKEND_UNAVAILABLE", "m"), True),
        (ServerError("INVALID_MESSAGE", "m"), False),  # a second answer may follow
        (ServerError("TIMEOUT", "m"), False),
        (ServerError(None, "plain text"), False),
        (AuthError("AUTH_FAILED", "no"), False),
        (TransportError("drop"), False),
        (DeadlineExceeded("slow"), False),
    ],
)
def test_only_an_outright_refusal_keeps_the_session(exc, kept):
    assert keeps_session(exc) is kept
