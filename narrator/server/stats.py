"""What a running server has seen: every interaction and a few counters (for tests and benches)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# Outcomes besides the fault names (faults.SCRIPT_NAMES) an interaction can end with.
CANCELLED = "cancelled"
DISCONNECTED = "disconnected"  # the client went away mid-stream


@dataclass(frozen=True)
class InteractionRecord:
    """One request (an endInteraction with an input) and how it ended."""

    interaction_id: str
    config_id: str
    text: str
    outcome: str  # "ok", an error code, "drop", "malformed", "plain_text", "cancelled", ...
    audio_seconds: float = 0.0
    truncated: bool = False  # the audio was cut at max_new_tokens
    injected: bool = False  # the outcome came from the fault plan


@dataclass
class ServerStats:
    """Counters and the interaction log of one running server (mutated on its event loop only)."""

    connections: int = 0  # accepted WebSocket sessions, ever
    open_connections: int = 0
    auth_failures: int = 0
    requests: int = 0  # endInteractions that had an input to synthesize
    outcomes: Counter[str] = field(default_factory=Counter)
    interactions: list[InteractionRecord] = field(default_factory=list)

    def record(self, record: InteractionRecord) -> None:
        self.interactions.append(record)
        self.outcomes[record.outcome] += 1

    def texts(self, outcome: str | None = "ok") -> list[str]:
        """Texts of the interactions that ended with `outcome` (None: all), in order."""
        return [r.text for r in self.interactions if outcome is None or r.outcome == outcome]
