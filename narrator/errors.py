"""narrator's error tree, and the one function that says whether an error is worth a retry.

    NarratorError                      root of everything narrator raises on purpose
    ├── UserError                      what the user wrote or asked for; exit code 2
    │   ├── JobFileError               the job YAML: a field and the fix
    │   ├── SourceError                a source file that cannot be read
    │   └── SettingError(field)        a value a layer cannot honour; `field` names it
    │       ├── OutputError            output/pause options the assembler refuses, or an
    │       │                          output that cannot be written
    │       └── SegmenterError         a segmenter setting out of range
    ├── SynthesisError                 talking to the TTS service
    │   ├── TransportError             connection refused/dropped, abnormal close   (retryable)
    │   │   └── Unreachable            nothing listens on loopback / name unknown   (fatal soon)
    │   ├── DeadlineExceeded           our own per-request deadline ran out          (retryable)
    │   ├── ProtocolError              bytes that do not follow PROTOCOL.md
    │   │   ├── LocalProtocolError     we were asked to encode something invalid    (fatal: bug)
    │   │   └── RemoteProtocolError    the peer sent something malformed            (retryable)
    │   │       └── UnknownMessageType  a JSON message type we do not know (skipped)
    │   ├── ServerError(code)          an errorResponse from the service (by code)
    │   │   └── AuthError              HTTP 401 at the upgrade or AUTH_FAILED        (fatal: job)
    │   ├── TruncatedAudio             audio came back cut at the cap                (re-split)
    │   └── JobStopped(cause)          a fatal error ended the whole job; names the fix
    ├── StoreError                     the job workspace is damaged or locked
    │   └── WorkspaceBusy              another run holds the workspace (exit code 5)
    └── AssemblyError                  encoding/writing the audiobook failed

`classify(exc, attempt)` is the single place that decides RETRY / FATAL_SEGMENT / FATAL_JOB;
beside it, `classify_streak` (segments lost in a row) and `keeps_session` (reuse after a refusal).
"""

from __future__ import annotations

import enum

from narrator.codes import CodeClass, ErrorCode


class NarratorError(Exception):
    """Root of narrator's errors."""


class UserError(NarratorError):
    """Something the user wrote or asked for is wrong; the message names the fix."""

    exit_code = 2


class JobFileError(UserError):
    """The job YAML is invalid."""


class SourceError(UserError):
    """A source document cannot be read."""


class SettingError(UserError):
    """A value handed to a layer (assembler, segmenter) that it cannot honour.

    The layer knows nothing of job files: it names the setting in `field` (dotted, as in the
    job file where there is one, e.g. `output.sample_rate`) and says what is wrong and the fix
    in `problem`; the job file reader turns that into a JobFileError at the same field.
    """

    def __init__(self, problem: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.problem = problem
        self.field = field


class OutputError(SettingError):
    """An output option the assembler refuses, or an output location that cannot be written."""


class SegmenterError(SettingError):
    """A segmenter setting (budget, ceiling, pace) that is not a positive number."""


class SynthesisError(NarratorError):
    """Talking to the TTS service failed."""


class TransportError(SynthesisError):
    """The connection could not be made, dropped, or closed abnormally."""


class Unreachable(TransportError):
    """No server at the address: a refused connection on loopback, or a host name that does not
    resolve. Usually a wrong URL or a server not started, so a job does not wait it out."""


# Attempts given to an Unreachable error before it ends the job: the few tenths of a second a
# server that is just starting takes to listen, no more.
UNREACHABLE_ATTEMPTS = 3


class DeadlineExceeded(SynthesisError):
    """A request ran past narrator's own per-request deadline."""


class ProtocolError(SynthesisError):
    """Bytes or messages that do not follow the Oris Voice protocol."""


class LocalProtocolError(ProtocolError):
    """We were asked to encode something the protocol cannot carry."""


class RemoteProtocolError(ProtocolError):
    """The peer sent a malformed frame or message."""


class UnknownMessageType(RemoteProtocolError):
    """A well-formed JSON message of a type this version does not know (a client skips it)."""


class ServerError(SynthesisError):
    """An `errorResponse` (or plain-text error frame) from the service."""

    def __init__(self, code: str | None, message: str = "", interaction_id: str | None = None):
        self.code = code
        self.message = message
        self.interaction_id = interaction_id
        super().__init__(
            f"{code or 'server error'}: {message}" if message else (code or "server error")
        )


class AuthError(ServerError):
    """The API key was refused (HTTP 401 at the upgrade, or AUTH_FAILED)."""


class TruncatedAudio(SynthesisError):
    """The audio reached the max_new_tokens cap, so the end of the text was cut."""


class JobStopped(SynthesisError):
    """A fatal error that ends the whole job; `cause` is the error that caused it."""

    def __init__(self, cause: BaseException, message: str) -> None:
        super().__init__(message)
        self.cause = cause


class StoreError(NarratorError):
    """The job workspace is damaged, locked or unwritable."""


class WorkspaceBusy(StoreError):
    """Another narrator run holds the job's workspace; nothing is wrong, it is just taken."""


class AssemblyError(NarratorError):
    """Writing the finished audio failed."""


class Verdict(enum.Enum):
    RETRY = "retry"
    FATAL_SEGMENT = "fatal-segment"
    FATAL_JOB = "fatal-job"


_VERDICT_OF_CLASS = {
    CodeClass.RETRY: Verdict.RETRY,
    CodeClass.FATAL_JOB: Verdict.FATAL_JOB,
    CodeClass.FATAL_SEGMENT: Verdict.FATAL_SEGMENT,
    # A CANCELLED that reaches a caller was not asked for by it: do not resend blindly.
    CodeClass.EXPECTED: Verdict.FATAL_SEGMENT,
}


def classify(exc: BaseException, attempt: int = 1) -> Verdict:
    """Decide what an error means for the job.

    Args:
        attempt: how many attempts (this one included) the request has had; only an
            Unreachable error depends on it (RETRY up to UNREACHABLE_ATTEMPTS, then FATAL_JOB).
    Returns:
        RETRY for transient failures (worth another attempt on a fresh or reused session),
        FATAL_JOB when no later request can succeed either (bad key, unknown voice),
        FATAL_SEGMENT when only this segment is lost (malformed input, unknown code).
    """
    if isinstance(exc, Unreachable):
        return Verdict.RETRY if attempt < UNREACHABLE_ATTEMPTS else Verdict.FATAL_JOB
    if isinstance(exc, (TransportError, DeadlineExceeded, RemoteProtocolError)):
        return Verdict.RETRY
    if isinstance(exc, AuthError):
        return Verdict.FATAL_JOB
    if isinstance(exc, ServerError):
        if exc.code is None:  # a plain-text error frame: the service hiccuped
            return Verdict.RETRY
        code = ErrorCode.parse(exc.code)
        if code is None:  # PROTOCOL.md: an unknown code is fatal for the segment
            return Verdict.FATAL_SEGMENT
        return _VERDICT_OF_CLASS[code.code_class]
    if isinstance(exc, UserError):
        return Verdict.FATAL_JOB
    return Verdict.FATAL_SEGMENT


def is_retryable(exc: BaseException, attempt: int = 1) -> bool:
    """True when `classify` says another attempt may succeed; never for cancellation."""
    return isinstance(exc, Exception) and classify(exc, attempt) is Verdict.RETRY


def lost_streak(exc: BaseException, streak: int) -> int:
    """Segments lost in a row to transport errors, once one more is lost to `exc`.

    `exc` is the last error of a segment that used every attempt: a transport error adds one
    to `streak`, any other loss (the service answered) starts the count over.
    """
    return streak + 1 if isinstance(exc, TransportError) else 0


def classify_streak(streak: int, unreachable_after: int) -> Verdict:
    """What `streak` segments lost in a row to transport errors mean for the job.

    Each of them was retried to the end already; after `unreachable_after` of them the service
    is taken to be gone (FATAL_JOB) rather than every remaining segment burning its attempts.
    """
    gone = streak > 0 and streak >= unreachable_after
    return Verdict.FATAL_JOB if gone else Verdict.FATAL_SEGMENT


# Refusals sent in place of a started interaction leave nothing else on the wire. A rejected
# *input* (INVALID_MESSAGE, FRAME_SIZE_EXCEEDED) may be followed by a second answer to the
# endInteraction already sent after it, which the next interaction would read.
_SESSION_KEEPING_CODES = frozenset({ErrorCode.RATE_LIMITED, ErrorCode.BACKEND_UNAVAILABLE})


def keeps_session(exc: BaseException) -> bool:
    """True when the session that raised `exc` may carry the next interaction.

    Only an errorResponse that refused the interaction outright keeps it; after anything else
    (a rejected input, a drop, a deadline, a cancel) frames of the abandoned interaction could
    be mistaken for the next one's, so the session is closed.
    """
    return isinstance(exc, ServerError) and exc.code in _SESSION_KEEPING_CODES
