"""The segment state machine: this docstring and `TRANSITIONS` are the only place it is written.

Every state change in the store goes through `check_transition` (called by `Store._move`),
which raises StoreError for anything the table does not list.

    pending  --mark_in_flight-->  in_flight  --put_audio-->    done
    failed   --mark_in_flight-->  in_flight  --mark_failed-->  failed    (retried on a later run)
                                  in_flight  --split-->        split     (the audio was truncated)
                                  in_flight  --open-->         pending   (stale row of a killed run)
    done     --verify_done-->     pending                       (file missing, short or corrupt)

`split` is final: such a segment has no audio of its own; its audio is the concatenation of its
parts' audio, in order. Parts are segments too: they may be done already (the same text elsewhere)
or be split again. On open, a complete audio file found for a pending or in-flight segment (a
crash between the file and its row) is adopted by walking pending -> in_flight -> done.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from narrator.errors import StoreError

PENDING, IN_FLIGHT, DONE, FAILED, SPLIT = "pending", "in_flight", "done", "failed", "split"

# Everything that decides which state changes are legal lives in this table.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    PENDING: frozenset({IN_FLIGHT}),
    IN_FLIGHT: frozenset({DONE, FAILED, SPLIT, PENDING}),
    FAILED: frozenset({IN_FLIGHT}),
    DONE: frozenset({PENDING}),
    SPLIT: frozenset(),
}

TO_SYNTHESIZE = (PENDING, FAILED)


def check_transition(workspace: Path, key: str, state: str, to: str) -> None:
    """Raise StoreError unless `TRANSITIONS` allows `state` -> `to`."""
    if to not in TRANSITIONS.get(state, frozenset()):
        raise StoreError(
            f"workspace {workspace}: segment {key[:12]} cannot go from {state} to {to}"
        )
