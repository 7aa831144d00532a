"""Benchmark server process: one library, one mode, driven by the orchestrator.

Usage: python bench/server.py --lib {websockets,aiohttp,raw,picows}
       --mode {echo,sink} [--loop {asyncio,uvloop}] [--deflate] [--cpu N]
       [--profile FILE] [--tracemalloc | --bytecodes]

Prints ``READY <port>`` once listening, then answers commands read on
standard input, one per line, with one line of JSON each:

* ``cpu``: CPU time of this process so far, in seconds, and minor page
  faults;
* ``rss``: resident set size in KiB, after a garbage collection;
* ``prof-start`` / ``prof-stop``: start and stop cProfile, or tracemalloc
  with ``--tracemalloc``, or a count of executed bytecodes with
  ``--bytecodes``, and write the result to ``--profile``;
* ``quit`` (or end of input): close the server and exit.

Modes: "echo" sends every message back; "sink" counts the bytes of binary
messages and answers the text message "done" with that count as text.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import gc
import json
import os
import sys
import time
import tracemalloc
from typing import Any, Dict, Optional

import common

# Extra keyword arguments of websockets.serve(), from --kwargs (JSON): for
# measuring what a feature costs, e.g. '{"open_timeout": null}'.
EXTRA: dict[str, Any] = {}


async def start_websockets(mode: str, deflate: bool) -> tuple[int, Any]:
    import websockets

    async def echo(ws: Any, path: str) -> None:
        async for message in ws:
            await ws.send(message)

    async def sink(ws: Any, path: str) -> None:
        received = 0
        async for message in ws:
            if isinstance(message, str):
                await ws.send(str(received))
            else:
                received += len(message)

    server = await websockets.serve(
        echo if mode == "echo" else sink,
        "127.0.0.1",
        0,
        compression="deflate" if deflate else None,
        max_size=None,
        **EXTRA,
    )
    port = server.sockets[0].getsockname()[1]

    async def stop() -> None:
        server.close()
        await server.wait_closed()

    return port, stop


async def start_aiohttp(mode: str, deflate: bool) -> tuple[int, Any]:
    from aiohttp import WSMsgType, web

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=deflate, max_msg_size=0)
        await ws.prepare(request)
        received = 0
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                if mode == "echo":
                    await ws.send_str(message.data)
                else:
                    await ws.send_str(str(received))
            elif message.type == WSMsgType.BINARY:
                if mode == "echo":
                    await ws.send_bytes(message.data)
                else:
                    received += len(message.data)
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = runner.addresses[0][1]

    async def stop() -> None:
        await runner.cleanup()

    return port, stop


async def start_raw(
    mode: str, deflate: bool, protocol: Any = common.RawServerProtocol
) -> tuple[int, Any]:
    if deflate:
        raise SystemExit("the raw peer doesn't implement permessage-deflate")
    # The raw peers warm up glibc's allocator like this library does (see
    # websockets.allocator): their floor isn't its luck.
    from websockets.allocator import warm_up

    warm_up()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: protocol(mode), "127.0.0.1", 0, backlog=1024
    )
    port = server.sockets[0].getsockname()[1]

    async def stop() -> None:
        server.close()
        await server.wait_closed()

    return port, stop


async def start_picows(mode: str, deflate: bool) -> tuple[int, Any]:
    if deflate:
        raise SystemExit("picows doesn't implement permessage-deflate")
    import picows_peer

    return await picows_peer.start_server(mode)


class BytecodeCounter:
    """Count the bytecodes each Python function executes, and its calls.

    A trace function with ``f_trace_opcodes``, with the interface of
    :class:`cProfile.Profile` that :func:`main` uses; ``dump_stats()`` writes
    JSON: ``{"ops": {function: count}, "calls": {function: count}}``, where
    a function is ``file:first line:name``. Coroutines count a call per
    resumption. It slows the process down tenfold or more: counts are
    exact, the batching of events per loop iteration isn't the unprofiled
    one.
    """

    def __init__(self) -> None:
        self.ops: Dict[str, int] = collections.Counter()
        self.calls: Dict[str, int] = collections.Counter()

    def _trace(self, frame: Any, event: str, arg: Any) -> Any:
        if event != "call":
            return None
        code = frame.f_code
        where = os.path.basename(code.co_filename)
        key = f"{where}:{code.co_firstlineno}:{code.co_name}"
        self.calls[key] += 1
        frame.f_trace_opcodes = True
        ops = self.ops

        def local(frame: Any, event: str, arg: Any) -> Any:
            if event == "opcode":
                ops[key] += 1
            return local

        return local

    def enable(self) -> None:
        sys.settrace(self._trace)

    def disable(self) -> None:
        sys.settrace(None)

    def dump_stats(self, path: str) -> None:
        with open(path, "w") as file:
            json.dump({"ops": self.ops, "calls": self.calls}, file)


def dump_allocations(path: str) -> None:
    """Write the memory blocks still allocated since tracemalloc started."""
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    sites = [
        {
            "where": f"{stat.traceback[0].filename}:{stat.traceback[0].lineno}",
            "size": stat.size,
            "count": stat.count,
        }
        for stat in snapshot.statistics("lineno")
    ]
    with open(path, "w") as file:
        json.dump(sites, file)


async def start_raw_task(mode: str, deflate: bool) -> tuple[int, Any]:
    return await start_raw(mode, deflate, common.RawTaskServerProtocol)


STARTERS = {
    "websockets": start_websockets,
    "aiohttp": start_aiohttp,
    "raw": start_raw,
    "raw-task": start_raw_task,
    "picows": start_picows,
}


async def main(args: argparse.Namespace) -> None:
    common.raise_nofile()
    port, stop = await STARTERS[args.lib](args.mode, args.deflate)
    stdin = common.StdinLines()
    await stdin.start()
    profiler: Optional[cProfile.Profile] = None
    common.emit(f"READY {port} {common.loop_name()}")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + common.PROCESS_DEADLINE
    while True:
        try:
            command = await stdin.readline(timeout=max(deadline - loop.time(), 0.1))
        except asyncio.TimeoutError:
            print("server: deadline reached", file=sys.stderr)
            break
        if command in ("", "quit"):
            break
        if command == "cpu":
            cpu = {"cpu": common.cpu_time(), "minflt": common.minor_faults()}
            common.emit(json.dumps(cpu))
        elif command == "rss":
            gc.collect()
            common.emit(json.dumps({"rss_kib": common.rss_kib()}))
        elif command == "prof-start":
            if args.tracemalloc:
                gc.collect()
                tracemalloc.start()
            elif args.bytecodes:
                profiler = BytecodeCounter()  # type: ignore[assignment]
                profiler.enable()
            else:
                profiler = cProfile.Profile(time.process_time)
                profiler.enable()
            common.emit(json.dumps({"ok": True}))
        elif command == "prof-stop":
            if args.tracemalloc:
                gc.collect()
                dump_allocations(args.profile)
            elif profiler is not None:
                profiler.disable()
                profiler.dump_stats(args.profile)
            common.emit(json.dumps({"ok": True}))
        else:
            common.emit(json.dumps({"error": f"unknown command {command!r}"}))
    try:
        await asyncio.wait_for(stop(), 10)
    except asyncio.TimeoutError:
        print("server: stop timed out", file=sys.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib", choices=sorted(STARTERS), required=True)
    parser.add_argument("--mode", choices=["echo", "sink"], default="echo")
    parser.add_argument("--loop", choices=common.LOOPS, default="asyncio")
    parser.add_argument("--deflate", action="store_true")
    parser.add_argument("--kwargs", default="{}", help="more serve() arguments")
    parser.add_argument("--cpu", type=int, default=None)
    parser.add_argument("--profile", default="server.prof")
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="profile memory allocations instead of CPU time",
    )
    parser.add_argument(
        "--bytecodes",
        action="store_true",
        help="count executed bytecodes per function instead (bench/bytecodes.py)",
    )
    arguments = parser.parse_args()
    EXTRA.update(json.loads(arguments.kwargs))
    common.pin(arguments.cpu)
    common.run(main(arguments), arguments.loop)
