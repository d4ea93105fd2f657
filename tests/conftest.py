"""Shared fixtures: anyio on asyncio only (websockets' asyncio API needs it), test data paths,
the local server for jobs (the plain helpers behind them are in support.py)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from functools import partial
from pathlib import Path

import pytest
import support

from narrator.server import RunningServer

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def transcript_path() -> Path:
    """The 1.6 MB public-domain court transcript (tests/data/README.md says where it is from)."""
    return DATA / "nuremberg_trial_vol8.txt"


@pytest.fixture
def job_server(
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., AbstractAsyncContextManager[RunningServer]]:
    """`async with job_server(**config) as srv`: the local server on port 0 (test voice), its
    fresh key in support.KEY_ENV for this test, so `support.write_job(url=srv.url)` reaches it."""
    return partial(support.job_server, monkeypatch)
