#!/usr/bin/env python
"""Hello server listening on a Unix socket.

Run it with::

    python example/unix_server.py [PATH]

then run ``python example/unix_client.py [PATH]``. The socket is PATH, else
$WS_UNIX_SOCKET, else ``websockets-example.sock`` in the temporary
directory. Unix sockets are handy behind a reverse proxy on the same machine.
"""

import asyncio
import os
import sys
import tempfile

import websockets

DEFAULT_PATH = os.path.join(tempfile.gettempdir(), "websockets-example.sock")
PATH = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("WS_UNIX_SOCKET")
PATH = PATH or DEFAULT_PATH


async def hello(websocket, path):
    name = await websocket.recv()
    print(f"< {name}")

    greeting = f"Hello {name}!"
    await websocket.send(greeting)
    print(f"> {greeting}")


async def main():
    # Remove a socket file left by a previous run that didn't clean up.
    if os.path.exists(PATH):
        os.unlink(PATH)
    try:
        async with websockets.unix_serve(hello, PATH):
            print(f"listening on {PATH}", flush=True)
            await asyncio.Future()  # run forever
    finally:
        if os.path.exists(PATH):
            os.unlink(PATH)


if __name__ == "__main__":
    asyncio.run(main())
