"""The websockets side of ``make stress``: a server or a client in a process
of its own, so that its peak RSS is measured alone.

Usage::

    python stress/peer.py server MODE   # prints "READY <port>" then serves
    python stress/peer.py client PORT   # connects to 127.0.0.1:PORT, never reads

Server modes:

* ``sink``: the handler never reads (the worst case for queued messages);
* ``slow_request``: ``process_request`` takes 60 s (a slow database check);
* ``slow_auth``: Basic Auth with a ``check_credentials`` that takes 60 s;
* ``idle``: keepalive pings every ``PING_INTERVAL`` seconds; a line ``mem``
  on stdin prints the memory traced by :mod:`tracemalloc` (with
  ``TRACEMALLOC=1``, else 0), a line ``close`` closes the server and prints
  the time it took.

The process prints nothing else on stdout; the driver, ``stress/run.py``,
reads its RSS from ``/proc``.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import time
import tracemalloc
from typing import Any, Optional

import websockets
from websockets.auth import basic_auth_protocol_factory

SLOW = 60.0


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def sink(ws: Any, path: str) -> None:
    await ws.wait_closed()


async def slow_request(path: str, headers: Any) -> Optional[Any]:
    await asyncio.sleep(SLOW)
    return None


async def slow_check(username: str, password: str) -> bool:
    await asyncio.sleep(SLOW)
    return True


async def server(mode: str) -> None:
    kwargs: dict[str, Any] = {"compression": None}
    if mode == "slow_request":
        kwargs["process_request"] = slow_request
    elif mode == "slow_auth":
        kwargs["create_protocol"] = basic_auth_protocol_factory(
            realm="stress", check_credentials=slow_check
        )
    elif mode == "idle":
        kwargs["ping_interval"] = float(os.environ.get("PING_INTERVAL", "5"))
        kwargs["ping_timeout"] = 20
        kwargs["backlog"] = 4096
    else:
        assert mode == "sink", mode
    if os.environ.get("TRACEMALLOC"):
        tracemalloc.start()
    server = await websockets.serve(sink, "127.0.0.1", 0, **kwargs)
    port = server.sockets[0].getsockname()[1]  # type: ignore[index]
    print("READY", port, flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if line.strip() == "mem":
            traced = tracemalloc.get_traced_memory()[0]
            print("MEM", traced, flush=True)
        else:
            break
    if line.strip() == "close":
        start = time.perf_counter()
        server.close()
        await server.wait_closed()
        print("CLOSED", time.perf_counter() - start, flush=True)


async def client(port: int) -> None:
    # Handshake, then never read: the peer floods.
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/", compression=None)
    print("OPEN", flush=True)
    await ws.wait_closed()
    print("CLOSED", ws.close_code, flush=True)


def main() -> None:
    raise_fd_limit()
    role, arg = sys.argv[1], sys.argv[2]
    if role == "server":
        asyncio.run(server(arg))
    else:
        asyncio.run(client(int(arg)))


if __name__ == "__main__":
    main()
