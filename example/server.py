#!/usr/bin/env python
"""Hello server: receives a name and replies with a greeting.

Run it with::

    python example/server.py

then run ``python example/client.py`` in another terminal. The server listens
on localhost:8765; set the WS_HOST and WS_PORT environment variables to
change that.
"""

import asyncio
import os

import websockets

HOST = os.environ.get("WS_HOST", "localhost")
PORT = int(os.environ.get("WS_PORT", "8765"))


async def hello(websocket, path):
    name = await websocket.recv()
    print(f"< {name}")

    greeting = f"Hello {name}!"
    await websocket.send(greeting)
    print(f"> {greeting}")


async def main():
    async with websockets.serve(hello, HOST, PORT):
        print(f"listening on ws://{HOST}:{PORT}/", flush=True)
        await asyncio.Future()  # run forever


if __name__ == "__main__":
    asyncio.run(main())
