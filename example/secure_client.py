#!/usr/bin/env python
"""Hello client over TLS (wss://).

Start ``python example/secure_server.py`` first, then run::

    python example/secure_client.py

The client trusts the example's self-signed certificate,
``example/localhost.pem``, and nothing else. It connects to
wss://localhost:8765/; pass another URI on the command line or in WS_URI to
connect elsewhere.
"""

import asyncio
import os
import pathlib
import ssl
import sys

import websockets

URI = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("WS_URI")
URI = URI or "wss://localhost:8765/"

ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ssl_context.load_verify_locations(pathlib.Path(__file__).with_name("localhost.pem"))


async def hello():
    async with websockets.connect(URI, ssl=ssl_context) as websocket:
        name = input("What's your name? ")

        await websocket.send(name)
        print(f"> {name}")

        greeting = await websocket.recv()
        print(f"< {greeting}")


if __name__ == "__main__":
    asyncio.run(hello())
