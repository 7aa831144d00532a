#!/usr/bin/env python
"""Echo server that shuts down gracefully on SIGTERM.

Run it with::

    python example/shutdown.py

connect a client, for example ``python -m websockets ws://localhost:8765/``,
then stop the server with ``kill -TERM <pid>`` (or Ctrl-C). Open
connections are closed with code 1001 (going away) and the process exits
once every connection handler has returned. WS_HOST and WS_PORT change the
address. Unix only: it relies on loop.add_signal_handler().
"""

import asyncio
import os
import signal

import websockets

HOST = os.environ.get("WS_HOST", "localhost")
PORT = int(os.environ.get("WS_PORT", "8765"))


async def echo(websocket, path):
    async for message in websocket:
        await websocket.send(message)


async def main():
    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def on_signal(signum):
        if not stop.done():
            stop.set_result(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)

    async with websockets.serve(echo, HOST, PORT):
        print(f"listening on ws://{HOST}:{PORT}/", flush=True)
        signum = await stop
        print(f"received {signal.Signals(signum).name}, shutting down", flush=True)
        # Leaving the context closes the server: it stops accepting
        # connections, closes open ones with 1001 and waits for handlers.
    print("server stopped", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
