"""Fault injection for the local server: what goes wrong with each request, reproducibly.

A `FaultPlan` is a value (seed, probabilities, a script); a `FaultInjector` is the one stateful
object per running server that hands out one `Fault` per request, in request order. The script
is consumed first, one entry per request; then each request draws from a `random.Random(seed)`,
always exactly two numbers (outcome, latency spike), so the sequence depends only on the seed
and the number of requests before it.

Mis-speaking faults (for proof-listening tests) answer normally, but speak a changed text: one
sentence left out, one said twice, a different text, or only the first half with no truncation
mark. Which sentence is changed depends on the text alone (`mis_speak` is pure).
"""

from __future__ import annotations

import random
import re
import zlib
from dataclasses import dataclass, fields

from narrator.codes import ErrorCode
from narrator.errors import UserError

OK = "ok"
DROP = "drop"  # close the TCP connection abruptly after some audio
MALFORMED = "malformed"  # send a binary frame whose entry runs past the frame end
PLAIN_TEXT = "plain_text"  # send a non-JSON text frame ("internal error"), stop the interaction
SLOW = "slow"  # ok, after an extra delay before the first chunk
SKIP_SENTENCE = "skip_sentence"  # leave one sentence out (a middle run of words if only one)
REPEAT_SENTENCE = "repeat_sentence"  # say one sentence twice
WRONG_TEXT = "wrong_text"  # say a different text of about the same length
STOP_HALF = "stop_half"  # say the first half of the words, ending as if complete

# Outcomes answered with an errorResponse carrying the code; the connection stays open.
ERROR_OUTCOMES = (
    ErrorCode.RATE_LIMITED.value,
    ErrorCode.BACKEND_UNAVAILABLE.value,
    ErrorCode.TIMEOUT.value,
    ErrorCode.INTERNAL_ERROR.value,
)
MID_STREAM_OUTCOMES = (DROP, MALFORMED, PLAIN_TEXT)
MIS_SPEAKING_OUTCOMES = (SKIP_SENTENCE, REPEAT_SENTENCE, WRONG_TEXT, STOP_HALF)
SCRIPT_NAMES = (OK, *ERROR_OUTCOMES, *MID_STREAM_OUTCOMES, *MIS_SPEAKING_OUTCOMES)


@dataclass(frozen=True)
class Fault:
    """What happens to one request: `kind` is an outcome name, `delay` extra seconds first."""

    kind: str = OK
    delay: float = 0.0

    @property
    def error_code(self) -> str | None:
        return self.kind if self.kind in ERROR_OUTCOMES else None

    @property
    def mid_stream(self) -> bool:
        return self.kind in MID_STREAM_OUTCOMES

    @property
    def mis_speaks(self) -> bool:
        return self.kind in MIS_SPEAKING_OUTCOMES

    def spoken(self, text: str) -> str:
        """The text the voice will actually say for this request."""
        return mis_speak(self.kind, text) if self.mis_speaks else text


@dataclass(frozen=True)
class FaultPlan:
    """Per-request fault probabilities (each 0..1, summing to at most 1) and a script."""

    seed: int = 0
    rate_limited: float = 0.0
    backend_unavailable: float = 0.0
    timeout: float = 0.0
    internal_error: float = 0.0
    drop: float = 0.0
    malformed: float = 0.0
    plain_text: float = 0.0
    skip_sentence: float = 0.0
    repeat_sentence: float = 0.0
    wrong_text: float = 0.0
    stop_half: float = 0.0
    spike: float = 0.0  # probability of a latency spike on a request
    spike_seconds: float = 1.0
    script: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, value in self._weights():
            if not 0.0 <= value <= 1.0:
                raise UserError(f"--faults: {name}={value} must be a probability in 0..1")
        if not 0.0 <= self.spike <= 1.0:
            raise UserError(f"--faults: spike={self.spike} must be a probability in 0..1")
        if self.spike_seconds < 0:
            raise UserError(f"--faults: spike_seconds={self.spike_seconds} must be >= 0")
        if sum(v for _, v in self._weights()) > 1.0 + 1e-9:
            raise UserError("--faults: the outcome probabilities add up to more than 1; lower them")
        for entry in self.script:
            parse_script_entry(entry)

    def _weights(self) -> list[tuple[str, float]]:
        return [(name, getattr(self, name)) for name in _WEIGHTED]

    def injector(self) -> FaultInjector:
        """A fresh injector that starts at the first request."""
        return FaultInjector(self)


# Outcome order for the cumulative draw (fixed: changing it changes every seeded run).
_WEIGHTED = (
    "rate_limited",
    "backend_unavailable",
    "timeout",
    "internal_error",
    "drop",
    "malformed",
    "plain_text",
    "skip_sentence",
    "repeat_sentence",
    "wrong_text",
    "stop_half",
)
_OUTCOME_OF = {
    "rate_limited": ErrorCode.RATE_LIMITED.value,
    "backend_unavailable": ErrorCode.BACKEND_UNAVAILABLE.value,
    "timeout": ErrorCode.TIMEOUT.value,
    "internal_error": ErrorCode.INTERNAL_ERROR.value,
    "drop": DROP,
    "malformed": MALFORMED,
    "plain_text": PLAIN_TEXT,
    "skip_sentence": SKIP_SENTENCE,
    "repeat_sentence": REPEAT_SENTENCE,
    "wrong_text": WRONG_TEXT,
    "stop_half": STOP_HALF,
}


class FaultInjector:
    """Hands out one Fault per request: the script first, then seeded draws."""

    def __init__(self, plan: FaultPlan):
        self._plan = plan
        self._script = [parse_script_entry(entry) for entry in plan.script]
        self._random = random.Random(plan.seed)

    def next(self) -> Fault:
        """The fault for the next request."""
        if self._script:
            return self._script.pop(0)
        outcome_draw, spike_draw = self._random.random(), self._random.random()
        delay = self._plan.spike_seconds if spike_draw < self._plan.spike else 0.0
        return Fault(self._outcome(outcome_draw), delay)

    def _outcome(self, draw: float) -> str:
        edge = 0.0
        for name, weight in self._plan._weights():
            edge += weight
            if draw < edge:
                return _OUTCOME_OF[name]
        return OK


def parse_script_entry(entry: str) -> Fault:
    """One scripted outcome: a name from SCRIPT_NAMES, or `slow:<seconds>`."""
    name = entry.strip()
    if name in SCRIPT_NAMES:
        return Fault(name)
    if name.startswith(f"{SLOW}:"):
        try:
            seconds = float(name.split(":", 1)[1])
        except ValueError:
            seconds = -1.0
        if seconds >= 0:
            return Fault(OK, seconds)
    raise UserError(
        f"--fault-script: unknown outcome {entry!r}; use {', '.join(SCRIPT_NAMES)} or "
        "slow:<seconds>"
    )


def parse_script(text: str) -> tuple[str, ...]:
    """A comma-separated script, e.g. "RATE_LIMITED,ok,drop,slow:0.5" (validated)."""
    entries = tuple(part.strip() for part in text.split(",") if part.strip())
    for entry in entries:
        parse_script_entry(entry)
    return entries


def parse_faults(text: str, script: tuple[str, ...] = ()) -> FaultPlan:
    """A plan from `--faults "rate_limited=0.3,drop=0.05,seed=7"` (and an optional script)."""
    known = {f.name for f in fields(FaultPlan)} - {"script"}
    values: dict[str, float | int] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, raw = part.partition("=")
        name = name.strip()
        if not sep or name not in known:
            raise UserError(
                f"--faults: {part!r} is not NAME=VALUE with NAME one of {', '.join(sorted(known))}"
            )
        try:
            values[name] = int(raw) if name == "seed" else float(raw)
        except ValueError:
            raise UserError(f"--faults: {name}={raw.strip()!r} is not a number") from None
    return FaultPlan(script=script, **values)  # type: ignore[arg-type]


# -- mis-speaking -------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'\u201d\u2019)]))\s+")
# Said instead of the text by WRONG_TEXT: original prose, cycled to the text's length.
_OTHER_TEXT = (
    "The lighthouse keeper wrote a long letter to the harbour office about the broken lamp, "
    "the missing rope and the gulls that nested on the railing every spring. Nobody answered, "
    "so he painted the door green and waited for the supply boat on Thursday morning."
).split()


def sentences_of(text: str) -> list[str]:
    """The sentences of `text`, split after . ! ? (and closing quotes) before a space."""
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


def mis_speak(kind: str, text: str) -> str:
    """`text` as a voice with the fault `kind` says it (deterministic: no randomness)."""
    words, parts = text.split(), sentences_of(text)
    pick = zlib.crc32(text.encode("utf-8"))
    if kind == STOP_HALF:
        return " ".join(words[: max(1, len(words) // 2)])
    if kind == WRONG_TEXT:
        return " ".join(_OTHER_TEXT[(pick + i) % len(_OTHER_TEXT)] for i in range(len(words)))
    if kind == SKIP_SENTENCE:
        if len(parts) >= 2:
            drop = pick % len(parts)
            return " ".join(p for i, p in enumerate(parts) if i != drop)
        third = len(words) // 3
        return " ".join(words[:third] + words[2 * third :]) if third >= 1 else ""
    if kind == REPEAT_SENTENCE:
        again = pick % len(parts) if parts else 0
        return " ".join(p for i, p in enumerate(parts) for _ in range(2 if i == again else 1))
    return text
