#!/usr/bin/env python
"""Many clients of the scale-out example in one process, checking delivery.

Run it with::

    python example/scaleout/swarm.py ws://127.0.0.1:8080/ --clients 500

The test (``tests/test_scaleout.py``) and the benchmark (``bench.py``) drive
it. Each client is ``async for websocket in connect(...)``, as in
``client.py``, resuming after the last stream ID it saw. The publisher
numbers messages 1, 2, 3... and each client checks that it receives every
number exactly once and in order: it counts what it got, duplicates
(a number again), reorderings (a lower number after a higher one, counted as
duplicates too) and losses (numbers skipped).

It reads commands on stdin, one per line, and answers on stdout:

* ``wait <seq> <timeout>``: when every client received message ``<seq>``,
  ``DONE <stats>``, or ``TIMEOUT <stats>`` after ``<timeout>`` seconds;
* ``stats``: ``STATS <stats>``;
* ``quit``: closes the connections, prints ``BYE <stats>`` and exits.

``<stats>`` is a JSON object; ``CONNECTED <n>`` is printed once every
client is connected.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import resource
import sys
import time
from typing import Any, Counter, Dict, List, Optional

import websockets


class Client:
    __slots__ = (
        "duplicates",
        "expected",
        "last_id",
        "lost",
        "received",
        "reconnects",
        "worker",
    )

    def __init__(self, last_id: str) -> None:
        self.last_id = last_id
        self.expected = 1  # next sequence number
        self.received = 0
        self.duplicates = 0
        self.lost = 0
        self.reconnects = -1
        self.worker: Optional[str] = None


class Swarm:
    def __init__(self, uri: str, clients: int, last_id: str) -> None:
        self.uri = uri
        self.clients = [Client(last_id) for _ in range(clients)]
        self.connected = 0
        self.all_connected = asyncio.Event()
        self.closes: Counter[Optional[int]] = collections.Counter()
        self.target = 0
        self.reached = 0
        self.target_reached = asyncio.Event()
        self.stopping = False
        self.failures = 0  # clients that stopped on an exception
        # Clients don't all arrive in the same millisecond: at most this many
        # opening handshakes at a time until every client connected once.
        self.opening = asyncio.Semaphore(100)

    async def run_client(self, client: Client) -> None:
        await self.opening.acquire()
        try:
            await self.connect_and_receive(client)
        finally:
            if client.reconnects < 0:
                self.opening.release()

    async def connect_and_receive(self, client: Client) -> None:
        async for websocket in websockets.connect(
            self.uri, compression=None, open_timeout=30
        ):
            client.reconnects += 1
            client.worker = websocket.response_headers.get("X-Worker")
            if client.reconnects == 0:
                self.opening.release()
                self.connected += 1
                if self.connected == len(self.clients):
                    self.all_connected.set()
            try:
                await websocket.send(json.dumps({"last_id": client.last_id}))
                async for message in websocket:
                    self.receive(client, message)
            except websockets.ConnectionClosed as exc:
                self.closes[exc.code] += 1
            client.worker = None
            if self.stopping:
                break

    def report_failure(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self.failures += 1
            print("FAILED", repr(task.exception()), file=sys.stderr, flush=True)

    def receive(self, client: Client, message: Any) -> None:
        event = json.loads(message)
        seq = event.get("seq")
        if seq is None:
            raise AssertionError(f"unexpected message: {message}")
        client.last_id = event["id"]
        client.received += 1
        expected = client.expected
        if seq == expected:
            client.expected = seq + 1
            if seq == self.target:
                self.reached += 1
                if self.reached == len(self.clients):
                    self.target_reached.set()
        elif seq < expected:
            client.duplicates += 1
        else:
            client.lost += seq - expected
            client.expected = seq + 1

    def stats(self) -> Dict[str, Any]:
        clients = self.clients
        workers: Counter[Optional[str]] = collections.Counter(
            client.worker for client in clients
        )
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "clients": len(clients),
            "connected": sum(client.worker is not None for client in clients),
            "received": sum(client.received for client in clients),
            "min_seq": min(client.expected - 1 for client in clients),
            "max_seq": max(client.expected - 1 for client in clients),
            "duplicates": sum(client.duplicates for client in clients),
            "lost": sum(client.lost for client in clients),
            "reconnects": sum(client.reconnects for client in clients),
            "failures": self.failures,
            "closes": {str(code): n for code, n in sorted(self.closes.items())},
            "per_worker": {
                str(name): n for name, n in sorted(workers.items(), key=str)
            },
            "cpu": usage.ru_utime + usage.ru_stime,
            "time": time.monotonic(),
        }

    def set_target(self, seq: int) -> None:
        self.target = seq
        self.reached = sum(client.expected > seq for client in self.clients)
        self.target_reached = asyncio.Event()
        if self.reached == len(self.clients):
            self.target_reached.set()

    async def commands(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line or line.strip() == "quit":
                return
            command, *args = line.split()
            if command == "wait":
                self.set_target(int(args[0]))
                try:
                    await asyncio.wait_for(self.target_reached.wait(), float(args[1]))
                    answer = "DONE"
                except asyncio.TimeoutError:
                    answer = "TIMEOUT"
                print(answer, json.dumps(self.stats()), flush=True)
            elif command == "stats":
                print("STATS", json.dumps(self.stats()), flush=True)

    async def main(self) -> None:
        tasks: List[asyncio.Task[None]] = []
        for client in self.clients:
            task = asyncio.ensure_future(self.run_client(client))
            task.add_done_callback(self.report_failure)
            tasks.append(task)
            # Don't open thousands of connections in the same loop turn.
            if len(tasks) % 100 == 0:
                await asyncio.sleep(0)

        async def announce() -> None:
            await self.all_connected.wait()
            print("CONNECTED", len(self.clients), flush=True)

        announcer = asyncio.ensure_future(announce())
        await self.commands()
        self.stopping = True
        announcer.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        print("BYE", json.dumps(self.stats()), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("uri")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--last-id", default="0-0")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = args.clients + 256
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    asyncio.run(Swarm(args.uri, args.clients, args.last_id).main())


if __name__ == "__main__":
    main()
