"""Tests of websockets.allocator: asyncio's read buffers stay off mmap()."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from websockets import allocator

# Prints the page faults taken by a workload, after the process's first
# WebSocket connection (argv[1] == "websockets") or without one:
# * "reads": 200 reads like asyncio's socket transports make (recv(262144)
#   of a small message);
# * "queue": after a first time, 50 times, 32 messages of 64 KiB received,
#   then all consumed, the way a full message queue fills and drains under
#   uvloop, which reads until the queue is full in one turn of its loop.
WORKLOAD = """
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
if sys.argv[2] == "queue":
    # The first time, the heap grows.
    queue = [b"x" * 65536 for _ in range(32)]
    del queue
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
if sys.argv[2] == "reads":
    for _ in range(200):
        a.send(b"x" * 100)
        b.recv(262144)
else:
    for _ in range(50):
        queue = [b"x" * 65536 for _ in range(32)]
        del queue
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(mode: str, workload: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    result = subprocess.run(
        [sys.executable, "-c", WORKLOAD, mode, workload],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    return int(result.stdout)


@pytest.mark.parametrize(
    ("workload", "least", "most", "unless"),
    [
        # 256 KiB blocks served by mmap(): 2 faults per read.
        ("reads", 200, 20, "doesn't mmap() 256 KiB blocks"),
        # 2 MiB freed at once: glibc returns the top of its heap to the
        # system above its trim threshold (128 KiB, or twice the mmap
        # threshold once that has risen), then takes it back one page fault
        # per page.
        ("queue", 5000, 100, "keeps 2 MiB freed at the top of its heap"),
    ],
)
def test_workload_takes_no_page_faults(
    workload: str, least: int, most: int, unless: str
) -> None:
    control = page_faults("plain", workload)
    if control < least:
        pytest.skip(
            f"this C library {unless} ({control} page faults without "
            f"websockets in the {workload} workload): nothing to warm up"
        )
    assert page_faults("websockets", workload) < most


def test_warm_up_size_is_above_asyncio_reads() -> None:
    # asyncio's selector transports read up to max_size bytes at a time.
    from asyncio import selector_events

    read_size = selector_events._SelectorSocketTransport.max_size
    assert read_size + 4096 < allocator.WARM_UP_SIZE
    # A full queue of 32 messages of 64 KiB stays under the trim threshold.
    assert 2 * allocator.WARM_UP_SIZE > 32 * (64 * 1024 + 4096)
    allocator.warm_up()
