"""Shared fixtures: anyio on asyncio only (websockets' asyncio API needs it), paths to shared data."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_TEXTS = REPO.parent / "shared" / "texts"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def transcript_path() -> Path:
    """The 1.6 MB public-domain court transcript in ../shared/texts (never copied here)."""
    path = SHARED_TEXTS / "nuremberg_trial_vol8.txt"
    if not path.exists():
        pytest.fail(f"shared test text missing: {path} (CI clones shared/ beside the repo)")
    return path
