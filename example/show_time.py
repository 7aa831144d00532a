#!/usr/bin/env python
"""Show time server: pushes the current time to the browser every second.

Run it with::

    python example/show_time.py

then open ``example/show_time.html`` in a browser. The server listens on
localhost:8765 (WS_HOST and WS_PORT change that). If you pick another port,
open ``show_time.html?port=<port>``.
"""

import asyncio
import datetime
import os

import websockets

HOST = os.environ.get("WS_HOST", "localhost")
PORT = int(os.environ.get("WS_PORT", "8765"))


async def show_time(websocket, path):
    try:
        while True:
            now = datetime.datetime.now(datetime.timezone.utc)
            await websocket.send(now.isoformat(timespec="seconds"))
            await asyncio.sleep(1)
    except websockets.ConnectionClosed:
        # The page went away. Catching the exception ends the handler
        # quietly; otherwise the server would log it as an error.
        pass


async def main():
    async with websockets.serve(show_time, HOST, PORT):
        print(f"listening on ws://{HOST}:{PORT}/", flush=True)
        await asyncio.Future()  # run forever


if __name__ == "__main__":
    asyncio.run(main())
