#!/usr/bin/env python
"""What ``make demo`` runs: a real echo exchange over loopback.

It starts an echo server on a free port of 127.0.0.1, connects a client,
exchanges a few messages (text, binary, fragmented, a ping), closes, stops
the server and prints everything that happened. Run it directly with::

    python example/demo.py
"""

import asyncio

import websockets


async def echo(websocket, path):
    async for message in websocket:
        await websocket.send(message)


async def main():
    async with websockets.serve(echo, "127.0.0.1", 0) as server:
        host, port = server.sockets[0].getsockname()[:2]
        uri = f"ws://{host}:{port}/demo"
        print(f"server: listening on {host}:{port}")

        async with websockets.connect(uri) as websocket:
            extensions = ", ".join(ext.name for ext in websocket.extensions)
            print(f"client: connected to {uri} (extensions: {extensions or 'none'})")

            for message in ["Hello, world!", b"\x00\x01\x02\x03", "é" * 10]:
                await websocket.send(message)
                print(f"client: > {message!r}")
                print(f"client: < {await websocket.recv()!r}")

            await websocket.send(["frag", "mented ", "message"])
            print("client: > ['frag', 'mented ', 'message'] (3 fragments)")
            print(f"client: < {await websocket.recv()!r}")

            payload = "x" * 1_000_000
            await websocket.send(payload)
            reply = await websocket.recv()
            print(f"client: 1 MB message echoed intact: {reply == payload}")

            pong_waiter = await websocket.ping(b"ping!")
            await pong_waiter
            print("client: ping answered by a pong")

        print(
            f"client: closed with code {websocket.close_code}"
            f" ({websocket.close_reason or 'no reason'})"
        )
    print("server: stopped")


if __name__ == "__main__":
    asyncio.run(main())
