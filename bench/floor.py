"""What an opening handshake can cost: this library against its floors.

Usage: python bench/floor.py [--reps 5] [--loop asyncio|uvloop] [--out FILE]

Runs the ``handshake`` workload (connect, one 64 B round trip, close; 20
connections at a time) with, in turn and repetition by repetition:

* **websockets**, this library;
* **aiohttp**, the reference of issue 16's target (0.6x its CPU time);
* **raw**, the minimal WebSocket over ``asyncio.Protocol`` of
  ``bench/common.py``: callbacks only, the client closes the TCP connection
  as soon as it receives the server's close frame;
* **raw-task**, the same with the shape of the websockets 8.1 API: on the
  server, a handler task per connection started in ``connection_made()``
  that waits for the handshake, for each message and for the end of the
  stream, as ``ws_handler(websocket, path)`` does; on the client, the raw
  client, which already waits in coroutines, but which waits for the server
  to close the TCP connection after the closing handshake (RFC 6455 7.1.1),
  as this library's client does, instead of closing it first.

The raw peers warm up glibc's allocator like this library does
(``websockets.allocator``); aiohttp runs as it does by default, and the page
fault columns show what that costs it.

raw-task is the floor of any implementation of the 8.1 API on that event
loop: what remains between it and the target is what the library may spend
on everything else (HTTP parsing into ``Headers``, checks, timers, the
closing handshake, errors). The report gives CPU time per connection of each
side (user + system, medians and ranges), paired ratios to aiohttp, page
faults per connection (glibc may serve each 256 KiB read buffer of asyncio's
transports from a fresh mmap(), which costs several microseconds per read:
see bench/results/PROFILE.md), and that budget.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from typing import Dict, List

from run import BENCH, metrics, run_one
from workloads import BY_NAME

LIBS = ["websockets", "aiohttp", "raw", "raw-task"]
TARGET = 0.6  # issue 16: handshake CPU <= 0.6x aiohttp's, each side


def spread(values: List[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument("--out", default=os.path.join(BENCH, "results", "floor.md"))
    args = parser.parse_args()
    workload = BY_NAME["handshake"]
    results: Dict[str, List[Dict[str, float]]] = {lib: [] for lib in LIBS}
    os.makedirs(os.path.join(BENCH, ".work"), exist_ok=True)
    with open(os.path.join(BENCH, ".work", "floor-children.log"), "w") as log:
        for rep in range(args.reps):
            for lib in LIBS:
                raw = run_one(workload, lib, False, log, loop=args.loop)
                results[lib].append(metrics(workload, raw))
                figures = results[lib][-1]
                print(
                    f"rep {rep + 1}/{args.reps} {lib}: server "
                    f"{figures['server_us']:.1f} µs, client "
                    f"{figures['client_us']:.1f} µs",
                    file=sys.stderr,
                )
    lines = [
        f"# Handshake floor ({args.loop} loop, {args.reps} repetitions)",
        "",
        "Written by `bench/floor.py` (see its docstring). CPU time per "
        "connection, µs, median (min-max); ratios to aiohttp are medians of "
        "the ratios of each repetition.",
        "",
        "| library | server | client | server ÷ aiohttp | client ÷ aiohttp "
        "| server faults | client faults |",
        "|---|---|---|---|---|---|---|",
    ]
    medians: Dict[str, Dict[str, float]] = {}
    for lib in LIBS:
        runs = results[lib]
        row = [lib]
        medians[lib] = {}
        for side in ("server_us", "client_us"):
            values = [run[side] for run in runs]
            medians[lib][side] = statistics.median(values)
            row.append(spread(values))
        for side in ("server_us", "client_us"):
            ratios = [
                run[side] / base[side] for run, base in zip(runs, results["aiohttp"])
            ]
            row.append(f"{statistics.median(ratios):.2f}x")
        for side in ("server_faults", "client_faults"):
            row.append(f"{statistics.median(run[side] for run in runs):.1f}")
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        f"Budget of the target ({TARGET}x aiohttp) above the raw-task floor, "
        "and what this library spends there, µs per connection:",
        "",
        "| side | target | raw-task floor | budget | websockets above the floor |",
        "|---|---|---|---|---|",
    ]
    for side in ("server_us", "client_us"):
        target = TARGET * medians["aiohttp"][side]
        floor = medians["raw-task"][side]
        spent = medians["websockets"][side] - floor
        lines.append(
            f"| {side[:-3]} | {target:.1f} | {floor:.1f} | {target - floor:.1f} "
            f"| {spent:.1f} |"
        )
    report = "\n".join(lines) + "\n"
    print(report)
    with open(args.out, "w") as file:
        file.write(report)
    print(f"Written {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
