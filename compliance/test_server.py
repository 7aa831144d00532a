"""Echo server for Autobahn|Testsuite's ``fuzzingclient`` mode.

Usage: ``python compliance/test_server.py [PORT]`` (default: $PORT or 8642).

It listens on 127.0.0.1 only, echoes every message it receives, prints one
``READY ws://127.0.0.1:PORT`` line once it accepts connections, and shuts
down cleanly on SIGTERM or SIGINT.
"""

import asyncio
import logging
import os
import signal
import sys

import websockets

HOST = "127.0.0.1"
DEFAULT_PORT = 8642


async def echo(ws, path):
    async for message in ws:
        await ws.send(message)


async def main(port):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def on_signal():
        if not stop.done():
            stop.set_result(None)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
    async with websockets.serve(
        echo,
        HOST,
        port,
        # Autobahn sends messages up to 16 MiB (section 9); leave room.
        max_size=2**25,
        # Read at most one message ahead of the handler.
        max_queue=1,
        # compression="deflate" is the default: sections 12 and 13 need it.
    ):
        print(f"READY ws://{HOST}:{port}", flush=True)
        await stop
    print("stopped", flush=True)


if __name__ == "__main__":
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        level=os.environ.get("WEBSOCKETS_LOG_LEVEL", "WARNING"),
    )
    port = (
        int(sys.argv[1])
        if len(sys.argv) > 1
        else int(os.environ.get("PORT", DEFAULT_PORT))
    )
    asyncio.run(main(port))
