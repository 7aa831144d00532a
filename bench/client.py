"""Benchmark client process: runs one workload against a server, one library.

Usage: python bench/client.py --lib {websockets,aiohttp,raw,picows}
       --workload NAME --port PORT [--loop {asyncio,uvloop}]
       [--quick | --count N] [--seconds S] [--cpu N] [--profile FILE]

Protocol with the orchestrator (bench/run.py), one line each way:

1. setup (connections, warm-up), then prints ``READY``;
2. waits for ``go``, runs the measured section, prints ``RESULT {json}``
   with the wall time, the units of work done and this process's CPU time
   spent in the measured section;
3. waits for ``go``, closes its connections, prints ``DONE`` and exits.

The orchestrator reads the server's CPU time (or memory) at 1 and 2, so both
sides are measured over the same section, setup and teardown excluded.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import sys
import time
from typing import Any, Callable, List, Optional

import common
from workloads import BY_NAME, MB, Workload


class Conn:
    """The same interface over each library's connection object."""

    send_text: Callable[[str], Any]
    send_bytes: Callable[[bytes], Any]
    recv_text: Callable[[], Any]
    recv_bytes: Callable[[], Any]
    close: Callable[[], Any]
    negotiated: bool


# Extra keyword arguments of websockets.connect(), from --kwargs (JSON).
EXTRA: dict[str, Any] = {}


class Client:
    def __init__(self, lib: str, port: int, deflate: bool) -> None:
        self.lib = lib
        self.port = port
        self.deflate = deflate
        self.session: Any = None
        if lib == "websockets":
            import websockets

            self.websockets = websockets
        elif lib == "aiohttp":
            import aiohttp

            self.aiohttp = aiohttp
        elif lib == "picows":
            import picows_peer

            self.picows = picows_peer
        else:
            # The raw peers warm up glibc's allocator like this library does
            # (see websockets.allocator): their floor isn't its luck.
            from websockets.allocator import warm_up

            warm_up()

    async def start(self) -> None:
        if self.lib == "aiohttp":
            connector = self.aiohttp.TCPConnector(limit=0)
            self.session = self.aiohttp.ClientSession(connector=connector)

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()

    async def connect(self) -> Any:
        if self.lib == "websockets":
            ws = await self.websockets.connect(
                f"ws://127.0.0.1:{self.port}/",
                compression="deflate" if self.deflate else None,
                max_size=None,
                **EXTRA,
            )
            conn = Conn()
            conn.send_text = conn.send_bytes = ws.send
            conn.recv_text = conn.recv_bytes = ws.recv
            conn.close = ws.close
            conn.negotiated = bool(ws.extensions)
            return conn
        if self.lib == "aiohttp":
            ws = await self.session.ws_connect(
                f"http://127.0.0.1:{self.port}/",
                compress=15 if self.deflate else 0,
                max_msg_size=0,
            )
            conn = Conn()
            conn.send_text = ws.send_str
            conn.send_bytes = ws.send_bytes
            conn.recv_text = ws.receive_str
            conn.recv_bytes = ws.receive_bytes
            conn.close = ws.close
            conn.negotiated = bool(ws.compress)
            return conn
        if self.lib == "picows":
            return await self.picows.connect(self.port)
        return await common.raw_connect(self.port, wait_eof=self.lib == "raw-task")


async def gather_bounded(coros: List[Any], limit: int) -> List[Any]:
    """Run coroutines with at most ``limit`` of them at a time, in order."""
    semaphore = asyncio.Semaphore(limit)

    async def run(coro: Any) -> Any:
        async with semaphore:
            return await coro

    return await asyncio.gather(*(run(coro) for coro in coros))


async def round_trip(conn: Any, text: bool, payload: Any) -> None:
    if text:
        await conn.send_text(payload)
        reply = await conn.recv_text()
    else:
        await conn.send_bytes(payload)
        reply = await conn.recv_bytes()
    if reply != payload:
        raise AssertionError("echo mismatch")


class Runner:
    """Setup, measured section and teardown of one workload."""

    def __init__(self, client: Client, workload: Workload, count: int, seconds: float):
        self.client = client
        self.workload = workload
        self.count = count
        self.seconds = seconds
        self.params = workload.params
        self.conns: List[Any] = []
        self.extra: dict[str, Any] = {}
        self.expected_bytes = 0
        self._payload: Any = None

    def payload(self) -> Any:
        """The message of this workload, made once, before measuring."""
        cached = self._payload
        if cached is not None:
            return cached
        self._payload = self._make_payload()
        return self._payload

    def _make_payload(self) -> Any:
        params = self.params
        if params.get("text", True) and self.workload.kind != "stream":
            return common.text_payload(params["size"])
        if params.get("compressible"):
            return common.compressible_payload(params["size"])
        return common.binary_payload(params["size"])

    async def setup(self) -> None:
        kind = self.workload.kind
        client = self.client
        if kind == "rt":
            self.conns = await gather_bounded(
                [client.connect() for _ in range(self.params["conns"])], 50
            )
            payload = self.payload()
            text = self.params["text"]
            await asyncio.gather(
                *(self._warm(conn, text, payload) for conn in self.conns)
            )
        elif kind == "stream":
            self.conns = [await client.connect()]
            conn = self.conns[0]
            payload = self.payload()
            for _ in range(4):
                await conn.send_bytes(payload)
            self.expected_bytes = 4 * len(payload)
            await conn.send_text("done")
            reply = await conn.recv_text()
            if int(reply) != self.expected_bytes:
                raise AssertionError(f"server counted {reply}")
        elif kind == "handshake":
            payload = self.payload()
            for _ in range(5):
                conn = await client.connect()
                await round_trip(conn, True, payload)
                await conn.close()
        elif kind == "memory":
            self.conns = await self._open_idle(self.params["base"])
        else:  # pragma: no cover
            raise ValueError(kind)
        self.extra["negotiated"] = (
            all(conn.negotiated for conn in self.conns) if self.conns else None
        )

    async def _warm(self, conn: Any, text: bool, payload: Any) -> None:
        for _ in range(10):
            await round_trip(conn, text, payload)

    async def _open_idle(self, number: int) -> List[Any]:
        payload = common.text_payload(64)

        async def open_one() -> Any:
            conn = await self.client.connect()
            await round_trip(conn, True, payload)
            return conn

        return await gather_bounded(
            [open_one() for _ in range(number)], self.params["concurrency"]
        )

    async def run(self) -> float:
        """Run the measured section; return the units of work done."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.seconds
        kind = self.workload.kind
        count = self.count
        if kind == "rt":
            payload = self.payload()
            text = self.params["text"]
            done = 0

            async def worker(conn: Any) -> None:
                nonlocal done
                send = conn.send_text if text else conn.send_bytes
                recv = conn.recv_text if text else conn.recv_bytes
                while done < count and loop.time() < deadline:
                    done += 1
                    await send(payload)
                    if await recv() != payload:
                        raise AssertionError("echo mismatch")

            await asyncio.gather(*(worker(conn) for conn in self.conns))
            return done
        if kind == "stream":
            conn = self.conns[0]
            payload = self.payload()
            sent = 0
            send = conn.send_bytes
            while sent < count and loop.time() < deadline:
                await send(payload)
                sent += 1
            await conn.send_text("done")
            reply = await conn.recv_text()
            self.expected_bytes += sent * len(payload)
            if int(reply) != self.expected_bytes:
                raise AssertionError(f"server counted {reply}")
            self.extra["messages"] = sent
            return sent * len(payload) / MB
        if kind == "handshake":
            payload = self.payload()
            client = self.client
            done = 0

            async def connector() -> None:
                nonlocal done
                while done < count and loop.time() < deadline:
                    done += 1
                    conn = await client.connect()
                    await round_trip(conn, True, payload)
                    await conn.close()

            await asyncio.gather(
                *(connector() for _ in range(self.params["concurrency"]))
            )
            return done
        if kind == "memory":
            more = await self._open_idle(count)
            self.extra["negotiated"] = all(conn.negotiated for conn in more)
            self.conns.extend(more)
            return len(more)
        raise ValueError(kind)  # pragma: no cover

    async def teardown(self) -> None:
        if self.conns:
            await asyncio.gather(
                *(conn.close() for conn in self.conns), return_exceptions=True
            )


async def main(args: argparse.Namespace) -> None:
    common.raise_nofile()
    workload = BY_NAME[args.workload]
    count = args.count or (workload.quick if args.quick else workload.count)
    seconds = args.seconds or workload.seconds
    client = Client(args.lib, args.port, workload.deflate)
    await client.start()
    stdin = common.StdinLines()
    await stdin.start()
    runner = Runner(client, workload, count, seconds)
    try:
        await asyncio.wait_for(runner.setup(), 120)
        common.emit(f"READY {common.loop_name()}")
        if await stdin.readline() != "go":
            return
        profiler: Optional[cProfile.Profile] = None
        if args.profile:
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
        wall0 = time.perf_counter()
        faults0 = common.minor_faults()
        cpu0 = common.cpu_time()
        units = await asyncio.wait_for(runner.run(), seconds + 60)
        cpu1 = common.cpu_time()
        faults1 = common.minor_faults()
        wall1 = time.perf_counter()
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        result = {
            "wall": wall1 - wall0,
            "units": units,
            "client_cpu": cpu1 - cpu0,
            "client_minflt": faults1 - faults0,
            "timed_out": wall1 - wall0 >= seconds,
            **runner.extra,
        }
        common.emit("RESULT " + json.dumps(result))
        await stdin.readline()
        try:
            await asyncio.wait_for(runner.teardown(), 60)
        except asyncio.TimeoutError:
            print("client: teardown timed out", file=sys.stderr)
    finally:
        await client.stop()
    common.emit("DONE")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lib",
        choices=["websockets", "aiohttp", "raw", "raw-task", "picows"],
        required=True,
    )
    parser.add_argument("--loop", choices=common.LOOPS, default="asyncio")
    parser.add_argument("--workload", choices=sorted(BY_NAME), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=0.0)
    parser.add_argument("--cpu", type=int, default=None)
    parser.add_argument("--profile", default="")
    parser.add_argument("--kwargs", default="{}", help="more connect() arguments")
    arguments = parser.parse_args()
    EXTRA.update(json.loads(arguments.kwargs))
    common.pin(arguments.cpu)
    common.run(main(arguments), arguments.loop)
