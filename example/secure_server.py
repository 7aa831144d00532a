#!/usr/bin/env python
"""Hello server over TLS (wss://).

Run it with::

    python example/secure_server.py

then run ``python example/secure_client.py``. The server listens on
localhost:8765 (WS_HOST and WS_PORT change that).

It uses the self-signed certificate in ``example/localhost.pem``, which holds
the private key and the certificate, valid for ``localhost`` and
``127.0.0.1``. Never use it for anything but this example: its private key is
public. See example/README.md for the command that generated it.
"""

import asyncio
import os
import pathlib
import ssl

import websockets

HOST = os.environ.get("WS_HOST", "localhost")
PORT = int(os.environ.get("WS_PORT", "8765"))

ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ssl_context.load_cert_chain(pathlib.Path(__file__).with_name("localhost.pem"))


async def hello(websocket, path):
    name = await websocket.recv()
    print(f"< {name}")

    greeting = f"Hello {name}!"
    await websocket.send(greeting)
    print(f"> {greeting}")


async def main():
    async with websockets.serve(hello, HOST, PORT, ssl=ssl_context):
        print(f"listening on wss://{HOST}:{PORT}/", flush=True)
        await asyncio.Future()  # run forever


if __name__ == "__main__":
    asyncio.run(main())
