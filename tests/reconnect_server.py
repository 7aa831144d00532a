"""A WebSocket echo server run as a separate process by test_reconnecting.py.

Usage: python reconnect_server.py PORT. It prints "ready" once listening.
On SIGTERM, it closes connections with code 1012 (service restart) and
exits; SIGKILL kills it without a closing handshake.
"""

from __future__ import annotations

import asyncio
import signal
import sys

import websockets


async def echo(websocket: websockets.WebSocketServerProtocol) -> None:
    async for message in websocket:
        await websocket.send(message)


async def main(port: int) -> None:
    async with websockets.serve(echo, "127.0.0.1", port) as server:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(
            signal.SIGTERM,
            lambda: server.close(code=1012, reason="service restart"),
        )
        print("ready", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
