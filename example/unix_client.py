#!/usr/bin/env python
"""Hello client connecting to a Unix socket.

Start ``python example/unix_server.py [PATH]`` first, then run::

    python example/unix_client.py [PATH]

The socket is PATH, else $WS_UNIX_SOCKET, else ``websockets-example.sock``
in the temporary directory, like the server.
"""

import asyncio
import os
import sys
import tempfile

import websockets

DEFAULT_PATH = os.path.join(tempfile.gettempdir(), "websockets-example.sock")
PATH = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("WS_UNIX_SOCKET")
PATH = PATH or DEFAULT_PATH


async def hello():
    # The URI doesn't select the destination; it sets the Host header and
    # the request path.
    async with websockets.unix_connect(PATH, "ws://localhost/") as websocket:
        name = input("What's your name? ")

        await websocket.send(name)
        print(f"> {name}")

        greeting = await websocket.recv()
        print(f"< {greeting}")


if __name__ == "__main__":
    asyncio.run(hello())
