"""Shared fixtures: anyio on asyncio only (websockets' asyncio API needs it), test data paths."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def transcript_path() -> Path:
    """The 1.6 MB public-domain court transcript (tests/data/README.md says where it is from)."""
    return DATA / "nuremberg_trial_vol8.txt"
