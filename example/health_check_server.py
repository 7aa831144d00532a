#!/usr/bin/env python
"""Echo server that answers load balancer health checks over plain HTTP.

Run it with::

    python example/health_check_server.py

then check it with::

    curl -i http://localhost:8765/healthz

Requests for /healthz get a ``200 OK`` response without a WebSocket
handshake; every other path is a WebSocket echo endpoint. WS_HOST and WS_PORT
change the address.
"""

import asyncio
import http
import os

import websockets

HOST = os.environ.get("WS_HOST", "localhost")
PORT = int(os.environ.get("WS_PORT", "8765"))


async def health_check(path, request_headers):
    # Returning a (status, headers, body) tuple sends that HTTP response and
    # closes the connection; returning None goes on with the handshake.
    if path == "/healthz":
        return http.HTTPStatus.OK, [("Content-Type", "text/plain")], b"OK\n"
    return None


async def echo(websocket, path):
    async for message in websocket:
        await websocket.send(message)


async def main():
    async with websockets.serve(echo, HOST, PORT, process_request=health_check):
        print(f"listening on ws://{HOST}:{PORT}/", flush=True)
        await asyncio.Future()  # run forever


if __name__ == "__main__":
    asyncio.run(main())
