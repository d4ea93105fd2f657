"""The local Oris Voice compatible server: handshake and limits, engines, fault injection.

async with running_server(ServerConfig(api_keys=(key,))) as server:
    ...  # connect to server.url with config_id=test or joe; server.stats records requests
"""

from __future__ import annotations

from narrator.server.app import RunningServer, running_server
from narrator.server.config import KEYS_ENV, KNOWN_ENGINES, ServerConfig
from narrator.server.engines import Engine, PiperEngine, SynthesisRequest, TestEngine
from narrator.server.faults import Fault, FaultInjector, FaultPlan, parse_faults, parse_script
from narrator.server.stats import InteractionRecord, ServerStats

__all__ = [
    "KEYS_ENV",
    "KNOWN_ENGINES",
    "Engine",
    "Fault",
    "FaultInjector",
    "FaultPlan",
    "InteractionRecord",
    "PiperEngine",
    "RunningServer",
    "ServerConfig",
    "ServerStats",
    "SynthesisRequest",
    "TestEngine",
    "parse_faults",
    "parse_script",
    "running_server",
]
