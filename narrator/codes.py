"""The service's error codes and what each one means for the job (pure data)."""

from __future__ import annotations

import enum


class CodeClass(enum.Enum):
    FATAL_JOB = "fatal-job"  # no later request can succeed: stop the job
    FATAL_SEGMENT = "fatal-segment"  # this segment cannot succeed as sent
    RETRY = "retry"  # transient: back off and try again
    EXPECTED = "expected"  # the answer to our own cancel


class ErrorCode(enum.StrEnum):
    AUTH_FAILED = "AUTH_FAILED"
    UNAUTHORIZED = "UNAUTHORIZED"
    MISSING_CONFIG_ID = "MISSING_CONFIG_ID"
    MODEL_NOT_FOUND = "MODEL_NOT_FOUND"
    INVALID_HEADERS = "INVALID_HEADERS"
    INVALID_MESSAGE = "INVALID_MESSAGE"
    FRAME_SIZE_EXCEEDED = "FRAME_SIZE_EXCEEDED"
    RATE_LIMITED = "RATE_LIMITED"
    BACKEND_UNAVAILABLE = "BACKEND_UNAVAILABLE"
    TIMEOUT = "TIMEOUT"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    CANCELLED = "CANCELLED"

    @property
    def code_class(self) -> CodeClass:
        return _CLASS[self]

    @classmethod
    def parse(cls, code: str | None) -> ErrorCode | None:
        """The enum member for `code`, or None for a code PROTOCOL.md does not list."""
        if code is None:
            return None
        try:
            return cls(code)
        except ValueError:
            return None


_CLASS = {
    ErrorCode.AUTH_FAILED: CodeClass.FATAL_JOB,
    ErrorCode.UNAUTHORIZED: CodeClass.FATAL_JOB,
    ErrorCode.MISSING_CONFIG_ID: CodeClass.FATAL_JOB,
    ErrorCode.MODEL_NOT_FOUND: CodeClass.FATAL_JOB,
    ErrorCode.INVALID_HEADERS: CodeClass.FATAL_JOB,
    ErrorCode.INVALID_MESSAGE: CodeClass.FATAL_SEGMENT,
    ErrorCode.FRAME_SIZE_EXCEEDED: CodeClass.FATAL_SEGMENT,
    ErrorCode.RATE_LIMITED: CodeClass.RETRY,
    ErrorCode.BACKEND_UNAVAILABLE: CodeClass.RETRY,
    ErrorCode.TIMEOUT: CodeClass.RETRY,
    ErrorCode.INTERNAL_ERROR: CodeClass.RETRY,
    ErrorCode.CANCELLED: CodeClass.EXPECTED,
}
