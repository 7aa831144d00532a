"""Broadcast benchmark: one server, 1,000 clients, one message to all.

Usage: python bench/bench_broadcast.py [--clients N] [--messages N]
       [--size BYTES] [--reps N] [--out DIR]

Run it with the benchmark's venv (``make bench`` does, after bench/run.py).

Three ways of sending the same text message to every connected client are
compared, by the server's CPU time per delivered message:

* ``broadcast``: this library, ``websockets.broadcast(server.connections,
  message)``: one frame written to every transport, nothing awaited;
* ``gather``: this library, ``asyncio.gather(*[ws.send(message) for ws in
  connections])``, the 8.1 idiom;
* ``aiohttp``: aiohttp's server, ``await ws.send_str(message)`` for each
  connection in a loop.

The server (pinned to core 0) and the clients (one process pinned to core
1, a minimal WebSocket client over ``asyncio.Protocol`` that counts the
bytes it receives) are separate processes. For each repetition and each
way, the orchestrator starts the server, lets the clients connect and warm
up, then tells the server to send ``--messages`` messages to all clients,
back to back (yielding to the event loop between two messages), waits
until the clients received every byte, and reads the server's CPU time
(``time.process_time()``) spent over that section: CPU per delivered
message is that time divided by clients x messages.

Results: ``bench/results/broadcast.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any, Dict, List, Set

BENCH = os.path.dirname(os.path.abspath(__file__))
WAYS = ("broadcast", "gather", "aiohttp")


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def pin(core: int) -> None:
    try:
        os.sched_setaffinity(0, {core % (os.cpu_count() or 1)})
    except (AttributeError, OSError):  # pragma: no cover - not on Linux
        pass


# Server side


async def websockets_server(way: str, args: argparse.Namespace) -> None:
    import websockets

    async def handler(websocket: Any) -> None:
        await websocket.wait_closed()

    async with websockets.serve(
        handler, "127.0.0.1", 0, compression=None, ping_interval=None
    ) as server:
        port = server.sockets[0].getsockname()[1]

        async def send_all(message: str) -> None:
            if way == "broadcast":
                websockets.broadcast(server.connections, message)
            else:
                await asyncio.gather(*[ws.send(message) for ws in server.connections])

        await control(port, send_all, lambda: len(server.connections), args)


async def aiohttp_server(args: argparse.Namespace) -> None:
    from aiohttp import web

    clients: Set[web.WebSocketResponse] = set()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, heartbeat=None)
        await ws.prepare(request)
        clients.add(ws)
        try:
            async for _ in ws:
                pass
        finally:
            clients.discard(ws)
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def send_all(message: str) -> None:
        for ws in list(clients):
            await ws.send_str(message)

    try:
        await control(port, send_all, lambda: len(clients), args)
    finally:
        await runner.cleanup()


async def control(
    port: int, send_all: Any, count: Any, args: argparse.Namespace
) -> None:
    """Speak to the orchestrator on stdin/stdout."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    print(f"PORT {port}", flush=True)
    message = "x" * args.size
    while True:
        line = (await reader.readline()).decode().strip()
        if line == "COUNT":
            print(f"COUNT {count()}", flush=True)
        elif line.startswith("SEND"):
            messages = int(line.split()[1])
            started = time.process_time()
            for _ in range(messages):
                await send_all(message)
                await asyncio.sleep(0)
            print("SENT", flush=True)
        elif line == "CPU":
            print(f"CPU {time.process_time() - started}", flush=True)
        else:
            return


def server_main(way: str, args: argparse.Namespace) -> None:
    raise_fd_limit()
    pin(0)
    if way == "aiohttp":
        asyncio.run(aiohttp_server(args))
    else:
        asyncio.run(websockets_server(way, args))


# Client side: a minimal WebSocket client that counts bytes.


class Counter(asyncio.Protocol):
    def __init__(self, state: Dict[str, Any]) -> None:
        self.state = state
        self.handshake = b""
        self.open = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def data_received(self, data: bytes) -> None:
        if not self.open.done():
            self.handshake += data
            head, sep, rest = self.handshake.partition(b"\r\n\r\n")
            if not sep:
                return
            assert head.startswith(b"HTTP/1.1 101"), head
            self.open.set_result(None)
            data = rest
        self.state["received"] += len(data)
        if self.state["received"] >= self.state["expected"] and "done" in self.state:
            waiter = self.state["done"]
            if not waiter.done():
                waiter.set_result(None)


async def clients_main_async(port: int, args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    state: Dict[str, Any] = {"received": 0, "expected": float("inf")}
    protocols = []
    for _ in range(args.clients):
        _, protocol = await loop.create_connection(
            lambda: Counter(state), "127.0.0.1", port
        )
        protocols.append(protocol)
    await asyncio.gather(*[p.open for p in protocols])
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    print("READY", flush=True)
    while True:
        line = (await reader.readline()).decode().strip()
        if not line.startswith("EXPECT"):
            return
        # Cumulative: bytes may arrive before this line is read.
        state["expected"] = int(line.split()[1])
        state["done"] = loop.create_future()
        if state["received"] >= state["expected"]:
            state["done"].set_result(None)
        await asyncio.wait_for(state["done"], 120)
        print("DONE", flush=True)


def clients_main(port: int, args: argparse.Namespace) -> None:
    raise_fd_limit()
    pin(1)
    asyncio.run(clients_main_async(port, args))


# Orchestrator


class Child:
    def __init__(self, argv: List[str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def expect(self, prefix: str) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith(prefix):
            raise RuntimeError(f"expected {prefix}, got {line!r}")
        return line[len(prefix) :].strip()

    def stop(self) -> None:
        try:
            self.send("QUIT")
        except BrokenPipeError:  # pragma: no cover
            pass
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:  # pragma: no cover
            self.proc.kill()


def frame_size(size: int) -> int:
    return size + (2 if size < 126 else 4 if size < 65536 else 10)


def run_one(way: str, args: argparse.Namespace) -> float:
    """Return the server's CPU microseconds per delivered message."""
    common = ["--clients", str(args.clients), "--size", str(args.size)]
    server = Child(["--serve", way, *common])
    try:
        port = server.expect("PORT")
        clients = Child(["--clients-of", port, *common])
        try:
            clients.expect("READY")
            for _ in range(50):
                server.send("COUNT")
                if int(server.expect("COUNT")) == args.clients:
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError("clients didn't all connect")
            # Warm up with a few messages, then measure.
            expected = 0
            for messages in (args.messages // 10 or 1, args.messages):
                expected += messages * args.clients * frame_size(args.size)
                clients.send(f"EXPECT {expected}")
                server.send(f"SEND {messages}")
                server.expect("SENT")
                clients.expect("DONE")
                server.send("CPU")
                cpu = float(server.expect("CPU"))
        finally:
            clients.stop()
    finally:
        server.stop()
    return cpu / (messages * args.clients) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", default=os.path.join(BENCH, "results"))
    parser.add_argument("--serve", choices=WAYS, help=argparse.SUPPRESS)
    parser.add_argument("--clients-of", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        server_main(args.serve, args)
        return
    if args.clients_of:
        clients_main(args.clients_of, args)
        return

    results: Dict[str, List[float]] = {way: [] for way in WAYS}
    for rep in range(args.reps):
        shift = rep % len(WAYS)
        for way in WAYS[shift:] + WAYS[:shift]:
            us = run_one(way, args)
            results[way].append(us)
            print(f"rep {rep + 1}/{args.reps} {way:10} {us:.2f} µs CPU per message")
    medians = {way: statistics.median(values) for way, values in results.items()}
    ratios = {
        "broadcast / gather": statistics.median(
            b / g for b, g in zip(results["broadcast"], results["gather"])
        ),
        "broadcast / aiohttp": statistics.median(
            b / a for b, a in zip(results["broadcast"], results["aiohttp"])
        ),
    }
    lines = [
        "# Broadcast benchmark (bench/bench_broadcast.py)",
        "",
        f"{args.clients} clients, {args.messages} messages of {args.size} B text, "
        f"{args.reps} repetitions; server CPU time per delivered message "
        f"(median, min-max). Load average at the end: "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}.",
        "",
        "| way | µs CPU per delivered message |",
        "|---|---|",
    ]
    for way, values in results.items():
        lines.append(
            f"| {way} | {medians[way]:.2f} ({min(values):.2f}-{max(values):.2f}) |"
        )
    lines.append("")
    for name, value in ratios.items():
        lines.append(f"* {name}: {value:.2f} (median of paired ratios)")
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "broadcast.md"), "w") as file:
        file.write(text)
    with open(os.path.join(args.out, "broadcast.json"), "w") as file:
        json.dump(
            {"args": vars(args), "results": results, "ratios": ratios},
            file,
            indent=1,
        )


if __name__ == "__main__":
    main()
