"""The scale-out example, for real: redis-server, nginx, workers, clients.

Everything runs in subprocesses on 127.0.0.1 ports chosen at run time
(example/scaleout/cluster.py). Clients are many connections in a couple of
processes (example/scaleout/swarm.py): each one checks that it receives the
numbered messages of the publisher exactly once and in order, across
reconnections. Figures are printed at the end of the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any, Dict, List, Tuple

import pytest

from .conftest import EXAMPLE, cluster, report

pytestmark = [pytest.mark.scaleout, pytest.mark.usefixtures("require_servers")]

CLIENTS = 1000
SWARMS = 2  # client processes: the machine may have 2 cores only
MESSAGES = 10_000
WORKERS = 4
# Messages per second published during the rolling restart: 20,000
# deliveries per second, well below what 2 cores deliver (see the figures).
RESTART_RATE = 20
# Bounds, in seconds: only reached when something is broken (or the machine
# is extremely busy).
DELIVERY_TIMEOUT = 300


def start_swarms(
    uri: str, clients: int, swarms: int, *args: str
) -> List[Any]:
    processes = [
        cluster.Process(
            f"swarm{index}",
            [
                sys.executable,
                str(EXAMPLE / "swarm.py"),
                uri,
                "--clients",
                str(clients // swarms),
                *args,
            ],
            stdin=subprocess.PIPE,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        for index in range(swarms)
    ]
    for process in processes:
        process.wait_for_line("CONNECTED", timeout=60)
    return processes


def swarm_command(swarms: List[Any], command: str, answer: str) -> List[Dict[str, Any]]:
    for swarm in swarms:
        swarm.send(command)
    results = []
    for swarm in swarms:
        line = swarm.wait_for_line(answer, timeout=DELIVERY_TIMEOUT + 30)
        results.append(json.loads(line.split(" ", 1)[1]))
    return results


def wait_delivered(swarms: List[Any], seq: int) -> List[Dict[str, Any]]:
    """Wait until every client got message ``seq``; return the stats."""
    for swarm in swarms:
        swarm.send(f"wait {seq} {DELIVERY_TIMEOUT}")
    results = []
    for swarm in swarms:
        line = swarm.wait_for_line("", timeout=DELIVERY_TIMEOUT + 30)
        while not line.startswith(("DONE", "TIMEOUT")):
            line = swarm.wait_for_line("", timeout=DELIVERY_TIMEOUT + 30)
        assert line.startswith("DONE"), f"{swarm.name}: {line}"
        results.append(json.loads(line.split(" ", 1)[1]))
    return results


def total(results: List[Dict[str, Any]], key: str) -> Any:
    return sum(result[key] for result in results)


def per_worker(results: List[Dict[str, Any]]) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for result in results:
        for worker, count in result["per_worker"].items():
            counts[worker] = counts.get(worker, 0) + count
    return dict(sorted(counts.items()))


def publish(running: Any, *args: str) -> Any:
    return cluster.Process(
        "publisher",
        [
            sys.executable,
            str(EXAMPLE / "publisher.py"),
            "--redis",
            running.redis_url,
            *args,
        ],
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )


def published(publisher: Any, timeout: float = 60) -> Tuple[int, str]:
    line = publisher.wait_for_line("PUBLISHED", timeout=timeout)
    _, seq, last_id = line.split()
    return int(seq), last_id


def cpu_snapshot(running: Any, swarms: List[Any]) -> Dict[str, float]:
    return {
        "workers": sum(cluster.tree_cpu_seconds(pid) for pid in running.worker_pids()),
        "nginx": cluster.tree_cpu_seconds(running.nginx.pid)
        if running.nginx is not None
        else 0.0,
        "redis": cluster.tree_cpu_seconds(running.redis.pid),
        "clients": sum(cluster.tree_cpu_seconds(swarm.pid) for swarm in swarms),
    }


def check_exactly_once(results: List[Dict[str, Any]], last_seq: int) -> None:
    for result in results:
        assert result["failures"] == 0, result
        assert result["duplicates"] == 0, result
        assert result["lost"] == 0, result
        assert result["min_seq"] == result["max_seq"] == last_seq, result
        # Every message once: as many as the publisher numbered.
        assert result["received"] == last_seq * result["clients"], result


@pytest.mark.timeout(DELIVERY_TIMEOUT * 2)
def test_nginx_four_workers_thousand_clients_rolling_restart() -> None:
    with cluster.Cluster(workers=WORKERS, max_connections=2 * CLIENTS) as running:
        start = time.monotonic()
        swarms = start_swarms(running.uri, CLIENTS, SWARMS)
        try:
            connected = time.monotonic() - start
            stats = swarm_command(swarms, "stats", "STATS")
            spread = per_worker(stats)
            assert sorted(spread) == [f"w{n + 1}" for n in range(WORKERS)]
            # least_conn spreads them evenly.
            assert min(spread.values()) >= CLIENTS // WORKERS // 2, spread

            # 10,000 messages, as fast as Redis takes them.
            before = cpu_snapshot(running, swarms)
            start = time.monotonic()
            publisher = publish(running, "--count", str(MESSAGES))
            last_seq, _ = published(publisher)
            results = wait_delivered(swarms, last_seq)
            elapsed = time.monotonic() - start
            after = cpu_snapshot(running, swarms)
            assert last_seq == MESSAGES
            check_exactly_once(results, MESSAGES)
            delivered = total(results, "received")
            assert delivered == CLIENTS * MESSAGES

            cpu = {key: after[key] - before[key] for key in after}
            report(
                f"nginx + {WORKERS} workers + redis, {CLIENTS} clients in "
                f"{SWARMS} processes, {os.cpu_count()} cores: connected in "
                f"{connected:.1f} s, spread {spread}"
            )
            report(
                f"{MESSAGES} messages -> {delivered} deliveries in "
                f"{elapsed:.1f} s: {delivered / elapsed:,.0f} deliveries/s; CPU "
                "per delivery: "
                + ", ".join(
                    f"{key} {value / delivered * 1e6:.2f} us"
                    for key, value in cpu.items()
                )
            )
            report("lost 0, duplicated 0, out of order 0")

            # Rolling restart while publishing goes on.
            start = time.monotonic()
            publisher = publish(
                running,
                "--start-seq",
                str(MESSAGES + 1),
                "--rate",
                str(RESTART_RATE),
            )
            publisher.wait_for_line("PUBLISHING")
            durations = running.rolling_restart()
            # Some more messages after the last restart, then stop.
            mid = swarm_command(swarms, "stats", "STATS")
            seq_after_restart = max(result["max_seq"] for result in mid)
            wait_delivered(swarms, seq_after_restart)
            publisher.stop()
            last_seq, _ = published(publisher)
            results = wait_delivered(swarms, last_seq)
            elapsed = time.monotonic() - start
            check_exactly_once(results, last_seq)
            reconnects = total(results, "reconnects")
            closes: Dict[str, int] = {}
            for result in results:
                for code, count in result["closes"].items():
                    closes[code] = closes.get(code, 0) + count
            # Every client was on a restarted worker at least once, and
            # every connection a worker closed was closed with 1012.
            assert reconnects >= CLIENTS
            assert set(closes) == {"1012"}, closes
            report(
                f"rolling restart of {WORKERS} workers while publishing "
                f"{RESTART_RATE} messages/s: {last_seq - MESSAGES} messages in "
                f"{elapsed:.1f} s; restarts took "
                + ", ".join(f"{duration:.1f}" for duration in durations)
                + f" s; {reconnects} reconnections (closes {closes}); "
                f"clients per worker after: {per_worker(results)}"
            )
            report(
                f"rolling restart: {total(results, 'received')} deliveries, "
                f"lost {total(results, 'lost')}, duplicated "
                f"{total(results, 'duplicates')}, out of order 0"
            )
        finally:
            for swarm in swarms:
                swarm.stop()
