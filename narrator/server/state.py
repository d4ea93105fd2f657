"""Server-wide state shared by every connection: engines, limits, faults, stats and keys."""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass, field

from narrator.server.config import ServerConfig
from narrator.server.engines import Engine, build_engines
from narrator.server.faults import Fault, FaultInjector
from narrator.server.limits import Capacity, RateLimiter
from narrator.server.stats import ServerStats


@dataclass
class ServerState:
    """Everything connections share; touched only from the server's event loop."""

    config: ServerConfig
    engines: dict[str, Engine]
    capacity: Capacity
    limiter: RateLimiter | None
    injector: FaultInjector | None
    stats: ServerStats = field(default_factory=ServerStats)

    @classmethod
    def create(cls, config: ServerConfig) -> ServerState:
        return cls(
            config=config,
            engines=build_engines(config.engines, config.voice_path, config.lanes()),
            capacity=Capacity(config.capacity),
            limiter=RateLimiter(config.rate) if config.rate else None,
            injector=config.faults.injector() if config.faults else None,
        )

    def next_fault(self) -> Fault:
        """The injected fault for the next request (none without a fault plan)."""
        return self.injector.next() if self.injector else Fault()

    def key_id(self, presented: str | None) -> int | None:
        """Which configured key `presented` is (its index), or None; constant time over all keys."""
        given = (presented or "").encode("utf-8", "surrogateescape")
        found = None
        for index, key in enumerate(self.config.api_keys):
            # Compare against every key, whatever matched, so timing says nothing about which.
            if hmac.compare_digest(given, key.encode("utf-8")) and found is None:
                found = index
        return found


class RedactAuthorization(logging.Filter):
    """Hide the Authorization header in websockets' debug logs of the handshake."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 2 and str(args[0]).lower() == "authorization":
            record.args = (args[0], "[redacted]")
        return True


def websockets_logger() -> logging.Logger:
    """The logger handed to websockets: its own name, with keys redacted."""
    logger = logging.getLogger("narrator.server.websockets")
    if not any(isinstance(f, RedactAuthorization) for f in logger.filters):
        logger.addFilter(RedactAuthorization())
    return logger
