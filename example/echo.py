#!/usr/bin/env python
"""Echo server: sends every message back to the client that sent it.

Run it with::

    python example/echo.py

It listens on localhost:8765 (WS_HOST and WS_PORT change that). Try it with
the interactive client that ships with the library::

    python -m websockets ws://localhost:8765/
"""

import asyncio
import os

import websockets

HOST = os.environ.get("WS_HOST", "localhost")
PORT = int(os.environ.get("WS_PORT", "8765"))


async def echo(websocket, path):
    # The loop ends when the client closes the connection normally.
    async for message in websocket:
        await websocket.send(message)


async def main():
    async with websockets.serve(echo, HOST, PORT):
        print(f"listening on ws://{HOST}:{PORT}/", flush=True)
        await asyncio.Future()  # run forever


if __name__ == "__main__":
    asyncio.run(main())
