"""The scale-out example, for real: redis-server, nginx, workers, clients.

Everything runs in subprocesses on 127.0.0.1 ports chosen at run time
(example/scaleout/cluster.py). Clients are many connections in a couple of
processes (example/scaleout/swarm.py): each one checks that it receives the
numbered messages of the publisher exactly once and in order, across
reconnections. Figures are printed at the end of the run.
"""

from __future__ import annotations

import os
import time
from typing import Any, Dict, List

import pytest

from .conftest import cluster, report

pytestmark = [pytest.mark.scaleout, pytest.mark.usefixtures("require_servers")]

CLIENTS = 1000
SWARMS = 2  # client processes: the machine may have 2 cores only
MESSAGES = 10_000
WORKERS = 4
# Messages per second published during the rolling restart: 20,000
# deliveries per second, well below what 2 cores deliver (see the figures).
RESTART_RATE = 20
# Bound on waiting for a delivery, in seconds: only reached when something
# is broken (or the machine is extremely busy).
DELIVERY_TIMEOUT = 300


def total(results: List[Dict[str, Any]], key: str) -> Any:
    return sum(result[key] for result in results)


def check_exactly_once(results: List[Dict[str, Any]], last_seq: int) -> None:
    """Every client got messages 1 to ``last_seq``, once each, in order.

    Each client counts a message whose number is lower than the one it
    expects as a duplicate (that includes reordering) and the numbers it
    skipped as lost.
    """
    for result in results:
        assert result["failures"] == 0, result
        assert result["duplicates"] == 0, result
        assert result["lost"] == 0, result
        assert result["min_seq"] == result["max_seq"] == last_seq, result
        assert result["received"] == last_seq * result["clients"], result


def close_codes(results: List[Dict[str, Any]]) -> Dict[str, int]:
    codes: Dict[str, int] = {}
    for result in results:
        for code, count in result["closes"].items():
            codes[code] = codes.get(code, 0) + count
    return codes


def rolling_restart_while_publishing(
    running: Any, swarms: List[Any], start_seq: int
) -> Dict[str, Any]:
    """Restart every worker while publishing; check exactly-once delivery."""
    start = time.monotonic()
    publisher = cluster.publish(
        running.redis_url, "--start-seq", str(start_seq), "--rate", str(RESTART_RATE)
    )
    publisher.wait_for_line("PUBLISHING")
    durations = running.rolling_restart()
    # Let every client catch up with what was published meanwhile, then stop.
    now = max(result["max_seq"] for result in cluster.swarm_stats(swarms))
    cluster.wait_delivered(swarms, now, DELIVERY_TIMEOUT)
    publisher.stop()
    last_seq, _ = cluster.published(publisher)
    results = cluster.wait_delivered(swarms, last_seq, DELIVERY_TIMEOUT)
    check_exactly_once(results, last_seq)
    assert last_seq >= start_seq
    for process in running.workers + running.retired:
        assert "Traceback" not in process.output, process.output
        assert "skipped broadcast" not in process.output, process.output
    return {
        "results": results,
        "durations": durations,
        "elapsed": time.monotonic() - start,
        "messages": last_seq - start_seq + 1,
        "last_seq": last_seq,
    }


@pytest.mark.timeout(DELIVERY_TIMEOUT * 3)
def test_nginx_four_workers_thousand_clients_rolling_restart() -> None:
    with cluster.Cluster(workers=WORKERS, max_connections=2 * CLIENTS) as running:
        # Plain HTTP goes through nginx too: /healthz is answered by a worker.
        assert cluster.healthz(running.port) == 200
        start = time.monotonic()
        swarms = cluster.start_swarms(running.uri, CLIENTS, SWARMS)
        try:
            connected = time.monotonic() - start
            spread = cluster.per_worker(cluster.swarm_stats(swarms))
            assert sorted(spread) == [f"w{n + 1}" for n in range(WORKERS)]
            # least_conn spreads them evenly.
            assert min(spread.values()) >= CLIENTS // WORKERS // 2, spread

            # 10,000 messages, as fast as Redis takes them.
            before = cluster.cpu_snapshot(running, swarms)
            start = time.monotonic()
            publisher = cluster.publish(running.redis_url, "--count", str(MESSAGES))
            last_seq, _ = cluster.published(publisher)
            assert last_seq == MESSAGES
            results = cluster.wait_delivered(swarms, MESSAGES, DELIVERY_TIMEOUT)
            elapsed = time.monotonic() - start
            after = cluster.cpu_snapshot(running, swarms)
            check_exactly_once(results, MESSAGES)
            delivered = total(results, "received")
            assert delivered == CLIENTS * MESSAGES

            cpu = {key: after[key] - before[key] for key in after}
            report(
                f"nginx + {WORKERS} workers + redis-server, {CLIENTS} clients in "
                f"{SWARMS} processes, {os.cpu_count()} cores: connected in "
                f"{connected:.1f} s, clients per worker {spread}"
            )
            report(
                f"{MESSAGES} messages -> {delivered:,} deliveries in "
                f"{elapsed:.1f} s: {delivered / elapsed:,.0f} deliveries/s; CPU "
                "per delivery: "
                + ", ".join(
                    f"{key} {value / delivered * 1e6:.2f} us"
                    for key, value in cpu.items()
                )
                + f", total {sum(cpu.values()) / delivered * 1e6:.2f} us"
            )
            report("lost 0, duplicated 0, out of order 0")

            restart = rolling_restart_while_publishing(running, swarms, MESSAGES + 1)
            results = restart["results"]
            reconnects = total(results, "reconnects")
            closes = close_codes(results)
            # Every client was on a restarted worker at least once, and
            # every connection a worker closed was closed with 1012.
            assert reconnects >= CLIENTS
            assert set(closes) == {"1012"}, closes
            report(
                f"rolling restart of {WORKERS} workers while publishing "
                f"{RESTART_RATE} messages/s: {restart['messages']} messages in "
                f"{restart['elapsed']:.1f} s; each restart took "
                + ", ".join(f"{duration:.1f}" for duration in restart["durations"])
                + f" s; {reconnects} reconnections (close codes {closes}); "
                f"clients per worker after: {cluster.per_worker(results)}"
            )
            report(
                f"rolling restart: {total(results, 'received'):,} deliveries in "
                f"all, lost {total(results, 'lost')}, duplicated "
                f"{total(results, 'duplicates')}, out of order 0"
            )
        finally:
            for swarm in swarms:
                swarm.stop()


@pytest.mark.timeout(DELIVERY_TIMEOUT * 2)
def test_reuse_port_two_workers_rolling_restart() -> None:
    # The other topology: workers share a port, the kernel spreads
    # connections (SO_REUSEPORT), no load balancer.
    clients, messages = 200, 1000
    with cluster.Cluster(workers=2, reuse_port=True) as running:
        assert running.nginx is None
        swarms = cluster.start_swarms(running.uri, clients, 1)
        try:
            spread = cluster.per_worker(cluster.swarm_stats(swarms))
            assert sorted(spread) == ["w1", "w2"], spread
            publisher = cluster.publish(running.redis_url, "--count", str(messages))
            assert cluster.published(publisher)[0] == messages
            results = cluster.wait_delivered(swarms, messages, DELIVERY_TIMEOUT)
            check_exactly_once(results, messages)

            restart = rolling_restart_while_publishing(running, swarms, messages + 1)
            results = restart["results"]
            assert total(results, "reconnects") >= clients
            report(
                f"reuse_port, 2 workers, {clients} clients: {messages} messages, "
                f"then a rolling restart with {restart['messages']} more: lost "
                f"{total(results, 'lost')}, duplicated "
                f"{total(results, 'duplicates')}; clients per worker after: "
                f"{cluster.per_worker(results)}"
            )
        finally:
            for swarm in swarms:
                swarm.stop()
