"""Protocol overhead: requests/s and ms/request of narrator's client + local server.

The `test` engine at zero latency, short texts, sessions reused: what is left is the cost of
the codec, the WebSocket and both event-loop sides. Goal: < 5 ms per request.

    python bench/protocol_overhead.py [--requests 400]
"""

from __future__ import annotations

import argparse
import secrets
import time

import anyio

from narrator.server import ServerConfig, running_server
from narrator.wire.client import Endpoint, Session

TEXT = "The quick brown fox jumps over the lazy dog."


async def _worker(endpoint: Endpoint, count: int) -> None:
    async with Session(endpoint) as session:
        await session.connect()
        for _ in range(count):
            await session.synthesize(TEXT, {"language": "English"})


async def measure(endpoint: Endpoint, requests: int, concurrency: int) -> tuple[float, float]:
    per_worker = requests // concurrency
    start = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(concurrency):
            tg.start_soon(_worker, endpoint, per_worker)
    elapsed = time.perf_counter() - start
    done = per_worker * concurrency
    return done / elapsed, elapsed / done * 1000 * concurrency


async def main(requests: int) -> None:
    key = secrets.token_urlsafe(16)
    config = ServerConfig(api_keys=(key,), engines=("test",), capacity=64, latency=0.0)
    async with running_server(config) as server:
        endpoint = Endpoint(server.url, "test", key)
        await measure(endpoint, 40, 4)  # warm-up
        audio_s = len(TEXT) / 15
        print(f"text: {len(TEXT)} chars -> ~{audio_s:.1f} s of test-engine audio per request")
        print(f"{'concurrency':>11}  {'requests':>8}  {'req/s':>8}  {'ms/request':>10}  goal")
        for concurrency in (1, 8):
            rate, latency_ms = await measure(endpoint, requests, concurrency)
            verdict = "ok" if latency_ms < 5 or concurrency > 1 else "MISSED"
            print(
                f"{concurrency:>11}  {requests:>8}  {rate:>8.0f}  {latency_ms:>10.2f}  "
                f"{'< 5 ms ' + verdict if concurrency == 1 else '(latency seen by each worker)'}"
            )
        print(f"per request at concurrency 8 (wall / requests): {1000 / rate:.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    anyio.run(main, parser.parse_args().requests)
