"""Tests of websockets.allocator: asyncio's read buffers stay off mmap()."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from websockets import allocator

# 200 reads like asyncio's socket transports make (recv(262144) of a small
# message); prints the page faults they took.
READS = """
import resource, socket, sys
a, b = socket.socketpair()
if sys.argv[1] == "websockets":
    # A WebSocket connection, the process's first: a protocol gets its
    # transport.
    import asyncio, websockets
    async def connect():
        loop = asyncio.get_running_loop()
        transport, _ = await loop.connect_accepted_socket(
            websockets.WebSocketCommonProtocol, socket.socketpair()[0]
        )
        transport.abort()
    asyncio.run(connect())
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(200):
    a.send(b"x" * 100)
    b.recv(262144)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    result = subprocess.run(
        [sys.executable, "-c", READS, mode],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    return int(result.stdout)


def test_read_buffers_take_no_page_faults() -> None:
    control = page_faults("plain")
    if control < 200:
        pytest.skip(
            f"this C library doesn't mmap() 256 KiB blocks ({control} page "
            "faults in 200 reads without websockets): nothing to warm up"
        )
    assert page_faults("websockets") < 20


def test_warm_up_size_is_above_asyncio_reads() -> None:
    # asyncio's selector transports read up to max_size bytes at a time.
    from asyncio import selector_events

    read_size = selector_events._SelectorSocketTransport.max_size
    assert read_size + 4096 < allocator.WARM_UP_SIZE
    allocator.warm_up()
