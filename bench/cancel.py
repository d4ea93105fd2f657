"""Audio that still arrives after a cancel, with the server's send queue bounded and not.

The local server, `test` voice, an interaction of about 40 minutes of audio: the client reads
the first chunk, sends cancelInteraction, and counts the audio that arrives before CANCELLED.
Three servers: this one (socket send buffer of one chunk, a yield between chunks), without
the bound, and without either (as before). Two clients: a tight one (4 KB receive buffer, a
one-frame queue: what arrives was queued at the server) and narrator's own `Session` defaults
(what a user's run sees). Also the speed of
one long uncancelled interaction, so the bound's cost shows. Goal: <= 1 chunk queued at the
server when it reads the cancel (tight client: a few chunks in all, the rest being its own).

    python bench/cancel.py [--trials 5]
"""

from __future__ import annotations

import argparse
import secrets
import socket
import statistics
import time
from contextlib import ExitStack
from unittest import mock

import anyio
import anyio.lowlevel
from websockets.asyncio.client import connect

from narrator.server import ServerConfig, running_server
from narrator.server.connection import Connection
from narrator.wire import protocol as p

CHUNK_BYTES = 24_000  # 0.5 s at 24 kHz s16
LONG = "word " * 2000
PARAMS = {"max_new_tokens": 30000, "chars_per_second": 4}


async def _open(port: int, key: str, tight: bool):
    url = f"ws://127.0.0.1:{port}/?config_id=test"
    options = {"additional_headers": {"Authorization": key}, "proxy": None, "max_size": None}
    if tight:
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.connect(("127.0.0.1", port))
        raw.setblocking(False)
        options.update(sock=raw, max_queue=1)
    ws = await connect(url, **options)
    await ws.recv()  # sessionReady
    return ws


async def _after_cancel(ws) -> float:
    await ws.send(p.encode_input(p.InteractionInput(LONG, 0, PARAMS)))
    await ws.send(p.encode_message(p.EndInteraction(0)))
    await ws.recv()
    await ws.send(p.encode_message(p.CancelInteraction(0)))
    after = 0
    while isinstance(frame := await ws.recv(), bytes):
        after += len(p.decode_response(frame).audio)
    return after / CHUNK_BYTES


async def _speed(ws) -> float:
    """Times real time of one uncancelled interaction (8 minutes of audio)."""
    params = {"max_new_tokens": 6000, "chars_per_second": 4}
    start = time.perf_counter()
    await ws.send(p.encode_input(p.InteractionInput(LONG, 0, params)))
    await ws.send(p.encode_message(p.EndInteraction(0)))
    audio = 0
    while True:
        response = p.decode_response(await ws.recv())
        audio += len(response.audio)
        if response.is_final:
            break
    return audio / 48_000 / (time.perf_counter() - start)


async def _no_checkpoint() -> None:
    pass


def _server_as(kind: str) -> ExitStack:
    """This server, or with its send-queue bound off, or also without the per-chunk yield."""
    stack = ExitStack()
    if kind != "bounded":
        stack.enter_context(mock.patch.object(Connection, "_bound_send_queue"))
    if kind == "as before":
        stack.enter_context(mock.patch.object(anyio.lowlevel, "checkpoint", _no_checkpoint))
    return stack


async def measure(kind: str, trials: int) -> dict[str, float]:
    key = secrets.token_urlsafe(16)
    results: dict[str, float] = {}
    with _server_as(kind):
        async with running_server(ServerConfig(api_keys=(key,), engines=("test",))) as srv:
            for tight in (True, False):
                ws = await _open(srv.port, key, tight)
                counts = [await _after_cancel(ws) for _ in range(trials)]
                results["tight" if tight else "default"] = max(counts)
                results[f"{'tight' if tight else 'default'} median"] = statistics.median(counts)
                if not tight:
                    results["speed"] = await _speed(ws)
                await ws.close()
    return results


async def main(trials: int) -> None:
    kinds = ("bounded", "unbounded", "as before")
    rows = {kind: await measure(kind, trials) for kind in kinds}
    print(f"audio chunks (0.5 s) received after cancelInteraction, max (median) of {trials}:")
    print(f"{'server queue':<14}{'tight client':>20}{'default client':>22}{'x real time':>14}")
    for name, r in rows.items():
        tight = f"{r['tight']:.1f} ({r['tight median']:.1f})"
        default = f"{r['default']:.1f} ({r['default median']:.1f})"
        print(f"{name:<14}{tight:>20}{default:>22}{r['speed']:>14.0f}")
    ratio = rows["as before"]["tight"] / max(rows["bounded"]["tight"], 1e-9)
    print(f"tight client: as before / bounded = {ratio:.0f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5)
    anyio.run(main, parser.parse_args().trials)
