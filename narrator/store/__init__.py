"""The job store: SQLite manifest + atomic PCM files per job workspace (see `workspace`).

The segment state machine lives in `machine` (docstring + `TRANSITIONS`).
"""

from __future__ import annotations

from narrator.store.machine import DONE, FAILED, IN_FLIGHT, PENDING, SPLIT, TRANSITIONS
from narrator.store.manifest import Take
from narrator.store.status import ChapterStatus, StoreStatus
from narrator.store.takes import Leaf
from narrator.store.workspace import PlanDiff, Store, StoredSegment

__all__ = [
    "DONE",
    "FAILED",
    "IN_FLIGHT",
    "PENDING",
    "SPLIT",
    "TRANSITIONS",
    "ChapterStatus",
    "Leaf",
    "PlanDiff",
    "Store",
    "StoreStatus",
    "StoredSegment",
    "Take",
]
