#!/usr/bin/env python
"""Counter server: every client sees and changes one shared counter.

Run it with::

    python example/counter.py

then open ``example/counter.html`` in several browser tabs. Clicking + or -
in any tab updates the counter in all of them, and every tab shows how many
users are connected.

The server listens on localhost:8765 (WS_HOST and WS_PORT change that). If
you pick another port, open ``counter.html?port=<port>``.

Messages are JSON objects. The server sends ``{"type": "state", "value": n}``
and ``{"type": "users", "count": n}``; clients send ``{"action": "plus"}``
or ``{"action": "minus"}``.
"""

import asyncio
import json
import logging
import os

import websockets

HOST = os.environ.get("WS_HOST", "localhost")
PORT = int(os.environ.get("WS_PORT", "8765"))

logging.basicConfig()

STATE = {"value": 0}

USERS = set()


def state_event():
    return json.dumps({"type": "state", **STATE})


def users_event():
    return json.dumps({"type": "users", "count": len(USERS)})


async def send_quietly(websocket, message):
    # A client may disconnect while we're broadcasting; its own handler will
    # unregister it, so there's nothing to do here.
    try:
        await websocket.send(message)
    except websockets.ConnectionClosed:
        pass


async def broadcast(message):
    await asyncio.gather(*[send_quietly(user, message) for user in USERS])


async def counter(websocket, path):
    USERS.add(websocket)
    try:
        await broadcast(users_event())
        await websocket.send(state_event())
        async for message in websocket:
            data = json.loads(message)
            if data.get("action") == "minus":
                STATE["value"] -= 1
            elif data.get("action") == "plus":
                STATE["value"] += 1
            else:
                logging.error("unsupported event: %r", data)
                continue
            await broadcast(state_event())
    finally:
        USERS.remove(websocket)
        await broadcast(users_event())


async def main():
    async with websockets.serve(counter, HOST, PORT):
        print(f"listening on ws://{HOST}:{PORT}/", flush=True)
        await asyncio.Future()  # run forever


if __name__ == "__main__":
    asyncio.run(main())
