"""The workloads of the benchmark suite: what the client does, and how much.

Each workload has a kind (what the client process runs), parameters, and the
amount of work for ``make bench`` (``count``) and ``make bench-quick``
(``quick``). Every run stops at that count or after ``seconds``, whichever
comes first: the figures are per unit of work, so a run cut short by the time
limit still counts (the report says how many units were done).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Tuple

MB = 1_000_000  # streaming figures are per MB of payload (10**6 bytes)


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    kind: str  # "rt", "stream", "handshake", "memory"
    unit: str  # unit of work, for the report
    count: int  # units in a full run
    quick: int  # units in a quick run
    params: Dict[str, Any] = field(default_factory=dict)
    deflate: bool = False
    seconds: float = 20.0  # time limit of the measured section
    libs: Tuple[str, ...] = ("websockets", "aiohttp", "raw", "picows")

    @property
    def server_mode(self) -> str:
        return "sink" if self.kind == "stream" else "echo"


WORKLOADS = [
    Workload(
        "rt64",
        "1 connection, round trips of 64 B text",
        "rt",
        "round trip",
        count=10_000,
        quick=1_500,
        params={"size": 64, "text": True, "conns": 1},
    ),
    Workload(
        "rt4k",
        "1 connection, round trips of 4 KiB binary",
        "rt",
        "round trip",
        count=10_000,
        quick=1_500,
        params={"size": 4096, "text": False, "conns": 1},
    ),
    Workload(
        "conc100",
        "100 connections, round trips of 64 B text",
        "rt",
        "round trip",
        count=20_000,
        quick=3_000,
        params={"size": 64, "text": True, "conns": 100},
    ),
    Workload(
        "stream64k",
        "1 connection, 64 KiB binary messages, client to server",
        "stream",
        "MB",
        count=4_000,
        quick=500,
        params={"size": 64 * 1024, "compressible": False},
    ),
    Workload(
        "stream1m",
        "1 connection, 1 MiB binary messages, client to server",
        "stream",
        "MB",
        count=256,
        quick=32,
        params={"size": 1024 * 1024, "compressible": False},
    ),
    Workload(
        "handshake",
        "handshake + one 64 B message + close, 20 at a time",
        "handshake",
        "connection",
        count=1_500,
        quick=200,
        params={"size": 64, "concurrency": 20},
    ),
    Workload(
        "memory",
        "server memory per idle connection (2,000 connections)",
        "memory",
        "KiB/conn",
        count=2_000,
        quick=400,
        params={"base": 100, "concurrency": 50},
    ),
    Workload(
        "rt64-deflate",
        "permessage-deflate: 1 connection, round trips of 64 B text",
        "rt",
        "round trip",
        count=5_000,
        quick=1_000,
        params={"size": 64, "text": True, "conns": 1},
        deflate=True,
        libs=("websockets", "aiohttp"),
    ),
    Workload(
        "stream64k-deflate",
        "permessage-deflate: 64 KiB compressible messages, client to server",
        "stream",
        "MB",
        count=600,
        quick=100,
        params={"size": 64 * 1024, "compressible": True},
        deflate=True,
        libs=("websockets", "aiohttp"),
    ),
    Workload(
        "memory-deflate",
        "permessage-deflate: server memory per idle connection (2,000 connections)",
        "memory",
        "KiB/conn",
        count=2_000,
        quick=400,
        params={"base": 100, "concurrency": 50},
        deflate=True,
        libs=("websockets", "aiohttp"),
    ),
]

BY_NAME = {workload.name: workload for workload in WORKLOADS}
