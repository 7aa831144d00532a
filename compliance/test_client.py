"""Client for Autobahn|Testsuite's ``fuzzingserver`` mode.

Usage: ``python compliance/test_client.py [SERVER]`` where SERVER is the
base URI of ``wstest -m fuzzingserver`` (default: $SERVER or
ws://127.0.0.1:9001).

It asks the suite how many cases it serves, connects once per case and
echoes every message until the suite closes the connection, then asks the
suite to write its reports. It exits with status 1 if it could not talk to
the suite at all, or if a case raised anything but ConnectionClosed or did not
end in time; otherwise how each case went is in the reports.
"""

import asyncio
import os
import sys
import time
import traceback

import websockets
from websockets.exceptions import ConnectionClosed

AGENT = "websockets"
DEFAULT_SERVER = "ws://127.0.0.1:9001"
# Autobahn sends messages up to 16 MiB (section 9); leave room.
MAX_SIZE = 2**25
# Bound on one case, in seconds (the slowest cases of section 9 take ~30s).
CASE_TIMEOUT = float(os.environ.get("CASE_TIMEOUT", 300))


async def get_case_count(server):
    async with websockets.connect(f"{server}/getCaseCount") as ws:
        return int(await ws.recv())


async def echo(uri):
    async with websockets.connect(uri, max_size=MAX_SIZE) as ws:
        async for message in ws:
            await ws.send(message)


async def run_case(server, case):
    """Run one case; return False if it went wrong on our side."""
    uri = f"{server}/runCase?case={case}&agent={AGENT}"
    try:
        await asyncio.wait_for(echo(uri), CASE_TIMEOUT)
    except ConnectionClosed:
        # Many cases end with an abnormal closure: that is their point.
        return True
    except asyncio.TimeoutError:
        # The suite ends every case by itself well before this; a case
        # still open now is stuck. Leave it to the report and go on.
        print(f"case {case}: still open after {CASE_TIMEOUT}s", flush=True)
        return False
    except Exception:
        # Not what the suite is testing: a bug on our side. Go on with the
        # next case, so that the report is complete, but exit with status 1.
        print(f"case {case}: unexpected exception", flush=True)
        traceback.print_exc(file=sys.stdout)
        return False
    return True


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
    problems = []
    for case in range(1, count + 1):
        if not await run_case(server, case):
            problems.append(case)
        if case % 50 == 0 or case == count:
            elapsed = time.monotonic() - start
            print(f"{case}/{count} cases run in {elapsed:.1f}s", flush=True)
    await update_reports(server)
    print(f"reports updated, {time.monotonic() - start:.1f}s", flush=True)
    if problems:
        print(f"problems in cases number {problems}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    server = (
        sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SERVER", DEFAULT_SERVER)
    )
    sys.exit(asyncio.run(main(server.rstrip("/"))))
