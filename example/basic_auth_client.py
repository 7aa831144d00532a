#!/usr/bin/env python
"""Client for the Basic Auth server: logs in and prints the greeting.

Start ``python example/basic_auth_server.py`` first, then run::

    python example/basic_auth_client.py

Credentials go in the user information part of the URI; the client sends
them in an ``Authorization`` header. Pass another URI on the command line
or in WS_URI to try other credentials or another address.
"""

import asyncio
import os
import sys

import websockets

URI = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("WS_URI")
URI = URI or "ws://mary:p4ssw0rd@localhost:8765/"


async def hello():
    try:
        async with websockets.connect(URI) as websocket:
            greeting = await websocket.recv()
            print(f"< {greeting}")
    except websockets.InvalidStatusCode as exc:
        # 401 Unauthorized when the credentials are missing or wrong.
        sys.exit(f"connection rejected with HTTP {exc.status_code}")


if __name__ == "__main__":
    asyncio.run(hello())
