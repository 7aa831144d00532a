#!/usr/bin/env python
"""The whole scale-out example on one machine: ``make scaleout-demo``.

Run it with::

    python example/scaleout/demo.py

It starts redis-server, nginx and 4 workers on free 127.0.0.1 ports, a
publisher that sends two notifications per second, and 3 clients that print
what they receive. Every 10 seconds, it restarts one worker gracefully (as a
deployment would): the clients of that worker are disconnected with code
1012, reconnect through nginx to another worker and resume where they left
off, without missing or repeating a message. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import itertools
import signal
import sys
import threading
import time
from typing import List

from cluster import HERE, Cluster, Process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--rate", type=float, default=2)
    parser.add_argument("--restart-every", type=float, default=10)
    parser.add_argument(
        "--duration", type=float, default=0, help="stop after this many seconds"
    )
    args = parser.parse_args()

    stop = threading.Event()
    # Ctrl-C reaches this process only: the others run in sessions of their
    # own and are stopped in order, workers first.
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    with Cluster(workers=args.workers, echo=sys.stdout) as running:
        print(
            f"redis-server on {running.redis_url}, nginx on {running.uri}, "
            f"workers on ports {running.worker_ports}",
            flush=True,
        )
        print("Ctrl-C to stop", flush=True)
        clients: List[Process] = [
            Process(
                f"client{index + 1}",
                [
                    sys.executable,
                    str(HERE / "client.py"),
                    running.uri,
                    "--name",
                    f"client{index + 1}",
                ],
                echo=sys.stdout,
            )
            for index in range(args.clients)
        ]
        publisher = Process(
            "publisher",
            [
                sys.executable,
                str(HERE / "publisher.py"),
                "--redis",
                running.redis_url,
                "--rate",
                str(args.rate),
            ],
            echo=sys.stdout,
        )
        try:
            deadline = time.monotonic() + args.duration if args.duration else None
            for index in itertools.cycle(range(args.workers)):
                timeout = args.restart_every
                if deadline is not None:
                    timeout = min(timeout, deadline - time.monotonic())
                if stop.wait(max(timeout, 0)):
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    break
                print(f"--- restarting w{index + 1} (SIGTERM)", flush=True)
                took = running.restart_worker(index)
                print(f"--- w{index + 1} is back after {took:.1f} s", flush=True)
        finally:
            print("--- stopping", flush=True)
            publisher.stop(signal.SIGTERM)
            for client in clients:
                client.stop(signal.SIGINT)
    print("--- stopped", flush=True)


if __name__ == "__main__":
    main()
