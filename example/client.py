#!/usr/bin/env python
"""Hello client: sends your name to the hello server and prints its greeting.

Start ``python example/server.py`` first, then run::

    python example/client.py

It connects to ws://localhost:8765/; set the WS_URI environment variable or
pass a URI on the command line to connect elsewhere.
"""

import asyncio
import os
import sys

import websockets

URI = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("WS_URI")
URI = URI or "ws://localhost:8765/"


async def hello():
    async with websockets.connect(URI) as websocket:
        name = input("What's your name? ")

        await websocket.send(name)
        print(f"> {name}")

        greeting = await websocket.recv()
        print(f"< {greeting}")


if __name__ == "__main__":
    asyncio.run(hello())
