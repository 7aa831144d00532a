#!/usr/bin/env python
"""Benchmark of the scale-out example: ``make bench-scaleout``.

Run it with::

    python example/scaleout/bench.py [--quick]

For 1, 2 and 4 workers behind nginx, with 1,000 and 10,000 clients, it
publishes a burst of numbered messages and measures how fast every client
gets all of them: deliveries per second (one message to one client) and CPU
time per delivery, for the workers, nginx, redis-server and the client
processes (user + system, from /proc). Then, with 4 workers, it restarts one
worker and then all of them, and shows how many clients each worker holds.
Every run also checks that no message was lost or duplicated.

The results go to example/scaleout/results.md (included in
docs/deployment.rst), with the machine's core count and load.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from typing import Any, Dict, List

from cluster import (
    HERE,
    Cluster,
    cpu_snapshot,
    per_worker,
    publish,
    published,
    raise_nofile_limit,
    start_swarms,
    swarm_stats,
    wait_delivered,
)

RESULTS = HERE / "results.md"
TIMEOUT = 600
IDLE_TIME = 5
# Client processes: one per core, at least two.
SWARMS = max(2, os.cpu_count() or 2)


def run(workers: int, clients: int, messages: int) -> Dict[str, Any]:
    with Cluster(workers=workers, max_connections=2 * clients) as running:
        start = time.monotonic()
        swarms = start_swarms(running.uri, clients, SWARMS)
        try:
            connect_time = time.monotonic() - start
            # What the idle connections cost (keepalive pings, timers), as a
            # share of a core, over a few seconds without messages.
            before = cpu_snapshot(running, swarms)
            time.sleep(IDLE_TIME)
            idle = sum(cpu_snapshot(running, swarms).values()) - sum(before.values())
            before = cpu_snapshot(running, swarms)
            start = time.monotonic()
            publisher = publish(running.redis_url, "--count", str(messages))
            last_seq, _ = published(publisher)
            results = wait_delivered(swarms, last_seq, TIMEOUT)
            elapsed = time.monotonic() - start
            after = cpu_snapshot(running, swarms)
        finally:
            for swarm in swarms:
                swarm.stop()
    delivered = sum(result["received"] for result in results)
    lost = sum(result["lost"] for result in results)
    duplicates = sum(result["duplicates"] for result in results)
    assert delivered == clients * messages and lost == duplicates == 0, results
    cpu = {key: (after[key] - before[key]) / delivered * 1e6 for key in after}
    return {
        "workers": workers,
        "clients": clients,
        "messages": messages,
        "connect_time": connect_time,
        "idle": idle / IDLE_TIME,
        "elapsed": elapsed,
        "rate": delivered / elapsed,
        "cpu": cpu,
    }


def rebalancing(workers: int, clients: int) -> List[str]:
    """Clients per worker: at start, after one restart, after all."""
    lines = []
    with Cluster(workers=workers, max_connections=2 * clients) as running:
        swarms = start_swarms(running.uri, clients, SWARMS)
        try:
            lines.append(f"| at start | {settled(running, swarms, clients)} |")
            running.restart_worker(0)
            lines.append(
                f"| after restarting w1 | {settled(running, swarms, clients)} |"
            )
            for index in range(1, workers):
                running.restart_worker(index)
            lines.append(
                f"| after restarting w1 to w{workers} in turn "
                f"| {settled(running, swarms, clients)} |"
            )
        finally:
            for swarm in swarms:
                swarm.stop()
    return lines


def settled(running: Any, swarms: List[Any], clients: int) -> Dict[str, int]:
    """Wait until every client reconnected; return clients per worker."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        counts = per_worker(swarm_stats(swarms))
        if counts.get("None", 0) == 0 or time.monotonic() > deadline:
            names = [f"w{index + 1}" for index in range(running.n_workers)]
            return {name: counts.get(name, 0) for name in names}
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--quick", action="store_true", help="1k clients only")
    args = parser.parse_args()
    raise_nofile_limit(50_000)

    # About a million deliveries per run.
    sizes = [(1_000, 1_000)] if args.quick else [(1_000, 1_000), (10_000, 100)]
    rows = []
    for clients, messages in sizes:
        for workers in (1, 2, 4):
            result = run(workers, clients, messages)
            cpu = result["cpu"]
            row = (
                f"| {workers} | {clients:,} | {messages:,} "
                f"| {result['rate']:,.0f} "
                f"| {cpu['workers']:.2f} | {cpu['nginx']:.2f} "
                f"| {cpu['redis']:.2f} | {cpu['clients']:.2f} "
                f"| {sum(cpu.values()):.2f} | {result['idle']:.0%} "
                f"| {result['connect_time']:.1f} |"
            )
            print(row, flush=True)
            rows.append(row)
    balance = rebalancing(4, 1_000)
    for line in balance:
        print(line, flush=True)

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=HERE,
    ).stdout.strip()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    now = datetime.datetime.now(datetime.timezone.utc)
    text = "\n".join(
        [
            "# Scale-out benchmark (make bench-scaleout)",
            "",
            f"{now:%Y-%m-%d %H:%M} UTC, commit {commit}, "
            f"{os.cpu_count()} cores ({platform.machine()}), Python "
            f"{platform.python_version()}, load average after the run: {load}. "
            "Workers, nginx (one worker process per core), redis-server and "
            f"{SWARMS} client processes share the machine.",
            "",
            "A delivery is one message received by one client. CPU is user + "
            "system time per delivery, in microseconds, of all the workers, "
            "nginx, redis-server and the client processes, over the whole "
            "delivery; it includes what idle connections cost anyway "
            "(keepalive pings every 20 s each way, timers): 'idle CPU' is "
            "that cost, in cores, measured for "
            f"{IDLE_TIME} s before publishing. No message was lost or "
            "duplicated in any run.",
            "",
            "| workers | clients | messages | deliveries/s | workers µs "
            "| nginx µs | redis µs | clients µs | total µs | idle CPU "
            "| connect s |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            "Clients per worker (4 workers, 1,000 clients, nginx least_conn):",
            "",
            "| when | clients per worker |",
            "|---|---|",
            *balance,
            "",
        ]
    )
    RESULTS.write_text(text)
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    sys.exit(main())
