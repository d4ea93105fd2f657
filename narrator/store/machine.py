"""The segment state machine: this docstring and `TRANSITIONS` are the only place it is written.

Every state change in the store goes through `check_transition` (called by `Store._move`),
which raises StoreError for anything the table does not list.

    from        to          by                         why
    pending     in_flight   mark_in_flight / claim     a request is about to be sent
    failed      in_flight   mark_in_flight / claim     a retry (on this run or a later one)
    in_flight   done        put_audio                  the audio file is durable
    in_flight   failed      mark_failed                every attempt failed
    in_flight   split       split                      the audio came back truncated
    in_flight   pending     Store.open                 a stale row of a killed run
    done        split       split                      truncation noticed after storing
    done        pending     verify_done                the file is missing, short or corrupt
    done        done        replace_audio              proof-listening kept a better take
    split       (none)                                 final

`claim` is `mark_in_flight` that answers False instead of raising when the segment is neither
pending nor failed (another worker took it, or it is done already).

A split segment has no audio of its own (a done one's file is deleted): its audio is the
concatenation of its parts' audio, in order. Parts are segments too: they may be done already
(the same text elsewhere) or be split again. On open, a complete audio file found for a pending
or in-flight segment (a crash between the file and its row) is adopted by walking
pending -> in_flight -> done.
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
    DONE: frozenset({PENDING, SPLIT, DONE}),
    SPLIT: frozenset(),
}

TO_SYNTHESIZE = (PENDING, FAILED)


def check_transition(workspace: Path, key: str, state: str, to: str) -> None:
    """Raise StoreError unless `TRANSITIONS` allows `state` -> `to`."""
    if to not in TRANSITIONS.get(state, frozenset()):
        raise StoreError(
            f"workspace {workspace}: segment {key[:12]} cannot go from {state} to {to}"
        )
