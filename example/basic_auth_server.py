#!/usr/bin/env python
"""Server protected by HTTP Basic Auth: greets authenticated users by name.

Run it with::

    python example/basic_auth_server.py

then run ``python example/basic_auth_client.py``. Connections without valid
credentials are rejected with ``401 Unauthorized`` before the WebSocket
handshake. WS_HOST and WS_PORT change the address.

Hard-coded credentials are fine for an example; a real server would check
them against a user database with the ``check_credentials`` argument.
"""

import asyncio
import os

import websockets

HOST = os.environ.get("WS_HOST", "localhost")
PORT = int(os.environ.get("WS_PORT", "8765"))


async def hello(websocket, path):
    # The protocol created by basic_auth_protocol_factory() records who
    # logged in.
    await websocket.send(f"Hello {websocket.username}!")


async def main():
    async with websockets.serve(
        hello,
        HOST,
        PORT,
        create_protocol=websockets.basic_auth_protocol_factory(
            realm="example server",
            credentials=("mary", "p4ssw0rd"),
        ),
    ):
        print(f"listening on ws://{HOST}:{PORT}/", flush=True)
        await asyncio.Future()  # run forever


if __name__ == "__main__":
    asyncio.run(main())
