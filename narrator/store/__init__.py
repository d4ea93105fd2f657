"""The job store: SQLite manifest + atomic PCM files per job workspace (see `workspace`).

The segment state machine lives in `machine` (docstring + `TRANSITIONS`).
"""

from __future__ import annotations

from narrator.store.machine import DONE, FAILED, IN_FLIGHT, PENDING, SPLIT, TRANSITIONS
from narrator.store.status import ChapterStatus, StoreStatus
from narrator.plan import PlannedSegment, segment_key
from narrator.store.workspace import PlanDiff, Store, StoredSegment

__all__ = [
    "DONE",
    "FAILED",
    "IN_FLIGHT",
    "PENDING",
    "SPLIT",
    "TRANSITIONS",
    "ChapterStatus",
    "PlanDiff",
    "PlannedSegment",
    "Store",
    "StoreStatus",
    "StoredSegment",
    "segment_key",
]
