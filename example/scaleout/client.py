#!/usr/bin/env python
"""A client of the scale-out example: prints notifications as they arrive.

Run it with::

    python example/scaleout/client.py ws://127.0.0.1:8080/

It connects through the load balancer with ``async for websocket in
connect(...)``, which reconnects when the connection drops, for instance
when its worker restarts (close code 1012). Each time, it first says the last
stream ID it saw, so the worker it lands on replays what it missed: it
prints every message once, in order, across reconnections.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Optional

import websockets


async def listen(uri: str, name: str, last_id: Optional[str]) -> None:
    async for websocket in websockets.connect(uri, compression=None):
        worker = websocket.response_headers.get("X-Worker", "?")
        print(f"{name}: connected to {worker}, resuming after {last_id}", flush=True)
        try:
            await websocket.send(json.dumps({"last_id": last_id}))
            async for message in websocket:
                event = json.loads(message)
                if "last_id" in event:  # where new messages start
                    last_id = event["last_id"]
                    continue
                if "gap" in event:  # the stream no longer holds what we missed
                    print(f"{name}: missed messages before {event['gap']}")
                    continue
                last_id = event["id"]
                print(f"{name}: {event['id']} #{event['seq']} {event['data']}")
        except websockets.ConnectionClosed as exc:
            print(f"{name}: disconnected ({exc.code} {exc.reason})", flush=True)
            continue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("uri", nargs="?", default="ws://127.0.0.1:8080/")
    parser.add_argument("--name", default="client")
    parser.add_argument(
        "--last-id", default=None, help="resume after this ID (default: new only)"
    )
    args = parser.parse_args()
    try:
        asyncio.run(listen(args.uri, args.name, args.last_id))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
