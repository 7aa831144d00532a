"""Client for Autobahn|Testsuite's ``fuzzingserver`` mode.

Usage: ``python compliance/test_client.py [SERVER]`` where SERVER is the
base URI of ``wstest -m fuzzingserver`` (default: $SERVER or
ws://127.0.0.1:9001).

It asks the suite how many cases it serves, connects once per case and
echoes every message until the suite closes the connection, then asks the
suite to write its reports. It exits with status 1 if it could not talk to
the suite at all; how each case went is in the reports, not in the status.
"""

import asyncio
import os
import sys
import time

import websockets
from websockets.exceptions import ConnectionClosed

AGENT = "websockets"
DEFAULT_SERVER = "ws://127.0.0.1:9001"
# Autobahn sends messages up to 16 MiB (section 9); leave room.
MAX_SIZE = 2**25


async def get_case_count(server):
    async with websockets.connect(f"{server}/getCaseCount") as ws:
        return int(await ws.recv())


async def run_case(server, case):
    uri = f"{server}/runCase?case={case}&agent={AGENT}"
    try:
        async with websockets.connect(uri, max_size=MAX_SIZE) as ws:
            async for message in ws:
                await ws.send(message)
    except ConnectionClosed:
        # Many cases end with an abnormal closure: that is their point.
        pass
    except (OSError, websockets.InvalidHandshake) as exc:
        # The suite sometimes drops the TCP connection early on purpose too;
        # record it and go on with the next case.
        print(f"case {case}: {type(exc).__name__}: {exc}", flush=True)


async def update_reports(server):
    try:
        async with websockets.connect(f"{server}/updateReports?agent={AGENT}") as ws:
            # The suite closes the connection once the reports are written,
            # with a close frame that carries no status code (1005).
            async for _ in ws:
                pass
    except ConnectionClosed:
        pass


async def main(server):
    start = time.monotonic()
    count = await get_case_count(server)
    print(f"{count} cases", flush=True)
    for case in range(1, count + 1):
        await run_case(server, case)
        if case % 50 == 0 or case == count:
            elapsed = time.monotonic() - start
            print(f"{case}/{count} cases run in {elapsed:.1f}s", flush=True)
    await update_reports(server)
    print(f"reports updated, {time.monotonic() - start:.1f}s", flush=True)


if __name__ == "__main__":
    server = (
        sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SERVER", DEFAULT_SERVER)
    )
    asyncio.run(main(server.rstrip("/")))
