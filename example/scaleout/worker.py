#!/usr/bin/env python
"""A worker of the scale-out example: live notifications fanned out by Redis.

Run several of them behind a load balancer (see README.md)::

    python example/scaleout/worker.py --port 8001 --redis redis://127.0.0.1:6379
    python example/scaleout/worker.py --port 8002 --redis redis://127.0.0.1:6379

or on the same port, with the kernel spreading connections (``SO_REUSEPORT``)::

    python example/scaleout/worker.py --port 8000 --reuse-port &
    python example/scaleout/worker.py --port 8000 --reuse-port &

Each worker holds its own WebSocket connections. A single task reads the
Redis Stream (``XREAD``) and hands each entry to every live connection of
this worker with :func:`websockets.broadcast`. Every message carries its
stream ID; a client that reconnects says the last ID it saw and gets what it
missed from the stream (``XRANGE``) before going live. ``SIGTERM`` stops the
worker gracefully: it stops accepting connections, closes the open ones with
code 1012 (service restart) and exits once they're closed.

The protocol, client side:

* connect to ``ws://host:port/`` (any path);
* send one text message, ``{"last_id": "<stream ID>"}`` to resume after that
  ID, ``{"last_id": "0-0"}`` for everything the stream holds, or
  ``{"last_id": null}`` for new messages only; or put ``?last_id=<ID>`` in
  the URI and send nothing;
* receive text messages ``{"id": "<stream ID>", "seq": <n>, "data": ...}``
  in stream order, once each; if messages were trimmed from the capped
  stream before the client could get them, it first receives
  ``{"gap": "<ID>"}``: messages before that ID are gone; a client that asked
  for new messages only first receives ``{"last_id": "<ID>"}``, where they
  start.

``GET /healthz`` answers ``200 OK`` while the worker is serving. The
``X-Worker`` response header of the handshake names the worker.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import http
import json
import logging
import os
import re
import signal
import sys
import urllib.parse
from typing import Any, Dict, Optional, Tuple

import redis.asyncio as aioredis

import websockets

StreamID = Tuple[int, int]

STREAM_ID = re.compile(r"\A([0-9]{1,20})(?:-([0-9]{1,20}))?\Z")

# Entries read from Redis at a time, live and during a catch-up.
READ_COUNT = 500
# How long XREAD blocks when the stream has nothing new, in milliseconds:
# below the Redis client's socket timeout (5 s by default in redis-py).
READ_BLOCK = 1000


def parse_id(value: str) -> StreamID:
    """Parse a Redis stream ID, ``<ms>-<seq>`` or ``<ms>``."""
    match = STREAM_ID.match(value)
    if match is None:
        raise ValueError(f"invalid stream ID: {value!r}")
    return int(match.group(1)), int(match.group(2) or 0)


def format_id(stream_id: StreamID) -> str:
    return f"{stream_id[0]}-{stream_id[1]}"


def encode(entry_id: str, fields: Dict[str, str]) -> str:
    """The WebSocket message for a stream entry."""
    seq = fields.get("seq")
    return json.dumps(
        {
            "id": entry_id,
            "seq": int(seq) if seq is not None else None,
            "data": fields.get("data"),
        },
        separators=(",", ":"),
    )


class Worker:
    """Delivers the entries of a Redis Stream to this process's clients."""

    def __init__(
        self,
        name: str,
        redis_client: aioredis.Redis,
        stream: str,
        hello_timeout: float = 10,
    ) -> None:
        self.name = name
        # How long a client has to say where it resumes from, in seconds.
        self.hello_timeout = hello_timeout
        self.redis = redis_client
        self.stream = stream
        # Connections that receive entries as the reader gets them, with the
        # future that tells their handler when they fell behind.
        self.live: Dict[Any, asyncio.Future[StreamID]] = {}
        # The ID of the last entry handed to live connections.
        self.cursor: StreamID = (0, 0)
        self._advanced: asyncio.Future[None] = asyncio.Future()
        self.server: Optional[websockets.WebSocketServer] = None
        self.delivered = 0  # messages handed to live connections
        self.replayed = 0  # messages sent during catch-ups

    async def start(self) -> None:
        """Start reading the stream after its current last entry."""
        last = await self.redis.xrevrange(self.stream, count=1)
        if last:
            self.cursor = parse_id(last[0][0])

    # Live delivery.

    async def read_stream(self) -> None:
        """Read the stream forever and broadcast each entry."""
        while True:
            response = await self.redis.xread(
                {self.stream: format_id(self.cursor)},
                count=READ_COUNT,
                block=READ_BLOCK,
            )
            for _, entries in response:
                for entry_id, fields in entries:
                    self.deliver(parse_id(entry_id), encode(entry_id, fields))
            advanced, self._advanced = self._advanced, asyncio.Future()
            advanced.set_result(None)

    def deliver(self, entry_id: StreamID, message: str) -> None:
        # Nothing here awaits: the cursor moves with the broadcast, which is
        # what makes the hand-over from catch-up to live exact.
        #
        # broadcast() skips connections that are slow to read (their write
        # buffer went above the high-water mark and hasn't come back below
        # the low-water mark yet). Here, a connection whose buffer is above
        # the low-water mark falls back to catching up from the stream at
        # its own pace instead: a slow client never misses a message.
        lagging = [
            websocket
            for websocket in self.live
            if websocket.transport.get_write_buffer_size()
            > websocket.transport.get_write_buffer_limits()[0]
        ]
        for websocket in lagging:
            # It got everything up to the cursor; it resumes after that.
            self.live.pop(websocket).set_result(self.cursor)
        websockets.broadcast(self.live, message)
        self.delivered += len(self.live)
        self.cursor = entry_id

    # Catch-up.

    async def catch_up(self, websocket: Any, last_id: Optional[StreamID]) -> None:
        """Send what the client missed after ``last_id``, then make it live."""
        if last_id is None:
            # New messages only: tell the client where that starts, so
            # that it can resume from there if it reconnects before the
            # next message.
            last_id = self.cursor
            await websocket.send(json.dumps({"last_id": format_id(last_id)}))
        elif last_id < self.cursor:
            await self.check_gap(websocket, last_id)
        while True:
            # The client saw entries that this worker's reader hasn't read
            # yet (it was connected to a worker that was ahead): wait.
            while last_id > self.cursor:
                await asyncio.shield(self._advanced)
            if last_id == self.cursor:
                # No await between this check and joining the live set: the
                # next entry the reader gets goes to this client too.
                self.live[websocket] = asyncio.get_running_loop().create_future()
                return
            target = self.cursor
            entries = await self.redis.xrange(
                self.stream,
                min="(" + format_id(last_id),
                max=format_id(target),
                count=READ_COUNT,
            )
            if not entries:  # trimmed since check_gap
                last_id = target
                continue
            for entry_id, fields in entries:
                await websocket.send(encode(entry_id, fields))
                last_id = parse_id(entry_id)
            self.replayed += len(entries)

    async def check_gap(self, websocket: Any, last_id: StreamID) -> None:
        """Tell the client if messages it didn't get were trimmed.

        The stream is capped: the oldest entries go when new ones come. If
        entries were removed and the client's last ID is older than the
        oldest entry left, the client may have missed some. (If it saw the
        very last entry that was trimmed, it missed nothing: the notice is
        conservative.)
        """
        info = await self.redis.xinfo_stream(self.stream)
        first = info.get("first-entry")
        if (
            first is not None
            and info["entries-added"] > info["length"]
            and parse_id(first[0]) > last_id
        ):
            await websocket.send(json.dumps({"gap": first[0]}))

    # Connections.

    async def handler(self, websocket: Any, path: str) -> None:
        try:
            last_id = await self.hello(websocket, path)
        except ValueError as exc:
            await websocket.close(1008, str(exc)[:100])
            return
        except asyncio.TimeoutError:
            await websocket.close(1008, f"no hello within {self.hello_timeout} s")
            return
        except websockets.ConnectionClosed:
            return
        closed = asyncio.ensure_future(websocket.wait_closed())
        try:
            while True:
                await self.catch_up(websocket, last_id)
                fell_behind = self.live[websocket]
                await asyncio.wait(
                    [fell_behind, closed], return_when=asyncio.FIRST_COMPLETED
                )
                if closed.done():
                    return
                # The catch-up's first send() waits until the write buffer
                # drains below its low-water mark.
                last_id = fell_behind.result()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.live.pop(websocket, None)
            closed.cancel()

    async def hello(self, websocket: Any, path: str) -> Optional[StreamID]:
        """Read where the client resumes from: the query string or a message."""
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        if "last_id" in query:
            return parse_id(query["last_id"][0])
        message = await asyncio.wait_for(websocket.recv(), self.hello_timeout)
        try:
            last_id = json.loads(message)["last_id"]
        except (TypeError, ValueError, KeyError):
            raise ValueError('expected {"last_id": ...}') from None
        if last_id is None:
            return None
        if not isinstance(last_id, str):
            raise ValueError("last_id must be a string or null")
        return parse_id(last_id)

    async def process_request(self, path: str, request_headers: Any) -> Any:
        if path == "/healthz":
            if self.server is not None and not self.server.is_serving():
                return http.HTTPStatus.SERVICE_UNAVAILABLE, [], b"closing\n"
            return http.HTTPStatus.OK, [("Content-Type", "text/plain")], b"OK\n"
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        if "last_id" in query and not STREAM_ID.match(query["last_id"][0]):
            return http.HTTPStatus.BAD_REQUEST, [], b"invalid last_id\n"
        return None


async def run(args: argparse.Namespace) -> None:
    # A bounded pool: after a restart, hundreds of clients catch up at
    # once; they take turns for a Redis connection instead of opening
    # hundreds. One connection stays with the reader, blocked in XREAD.
    pool = aioredis.BlockingConnectionPool.from_url(
        args.redis,
        decode_responses=True,
        max_connections=args.redis_connections,
        timeout=None,
    )
    redis_client = aioredis.Redis(connection_pool=pool)
    worker = Worker(args.name, redis_client, args.stream, args.hello_timeout)
    await worker.start()
    reader = asyncio.ensure_future(worker.read_stream())

    async with websockets.serve(
        worker.handler,
        args.host,
        args.port,
        reuse_port=args.reuse_port,
        # After a restart, hundreds of clients reconnect at once: asyncio's
        # default of 100 would drop connection attempts (net.core.somaxconn
        # caps it).
        backlog=args.backlog,
        process_request=worker.process_request,
        # The name of the worker in the handshake response, for clients
        # that want to know where the load balancer sent them.
        extra_headers=[("X-Worker", args.name)],
        compression=None,
    ) as server:
        worker.server = server
        loop = asyncio.get_running_loop()
        # SIGTERM: stop accepting, close connections with 1012 (service
        # restart) so that clients reconnect elsewhere, exit when closed.
        restart = functools.partial(server.close, code=1012, reason="service restart")
        loop.add_signal_handler(signal.SIGTERM, restart)
        loop.add_signal_handler(signal.SIGINT, restart)
        # Without Redis, this worker can't deliver anything: clients are
        # better off on another worker.
        reader.add_done_callback(
            lambda task: (
                task.cancelled()
                or server.close(code=1011, reason="stream reader failed")
            )
        )
        port = server.sockets[0].getsockname()[1]
        print(f"READY {args.name} {port} {os.getpid()}", flush=True)
        await server.wait_closed()
    if reader.done() and not reader.cancelled():
        print(f"stream reader failed: {reader.exception()!r}", file=sys.stderr)
    reader.cancel()
    print(
        f"STOPPED {args.name} delivered={worker.delivered} replayed={worker.replayed}",
        flush=True,
    )
    await redis_client.aclose()


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--reuse-port", action="store_true")
    parser.add_argument("--backlog", type=int, default=1024)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--stream", default="notifications")
    parser.add_argument("--redis-connections", type=int, default=8)
    parser.add_argument("--hello-timeout", type=float, default=10)
    parser.add_argument("--name", default=f"worker-{os.getpid()}")
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        asyncio.run(run(args))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
