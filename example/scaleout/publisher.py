#!/usr/bin/env python
"""Publish notifications to the Redis Stream that the workers read.

Run it with::

    python example/scaleout/publisher.py --redis redis://127.0.0.1:6379 --rate 2

Each message is an entry of the stream (``XADD``), with a sequence number and
a payload; the stream is capped (``MAXLEN ~``) so that it doesn't grow
forever: a client that stayed away longer than the cap covers gets told it
missed messages. Any process can publish this way: workers never send
messages to each other.

With ``--count N`` it stops after N messages, otherwise on ``SIGTERM`` or
Ctrl-C; either way, it prints ``PUBLISHED <last seq> <last stream ID>``.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
from typing import Optional

import redis.asyncio as aioredis


async def publish(args: argparse.Namespace) -> None:
    client = aioredis.Redis.from_url(args.redis, decode_responses=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)

    seq = args.start_seq - 1
    padding = " " * args.padding
    last_id: Optional[str] = None
    start = time.monotonic()
    sent = 0
    print("PUBLISHING", flush=True)
    while not stop.is_set() and (args.count == 0 or sent < args.count):
        # Without a rate, publish in pipelined batches, as fast as Redis
        # takes them; with a rate, one message at a time, on schedule.
        batch = args.batch if args.rate == 0 else 1
        if args.count:
            batch = min(batch, args.count - sent)
        async with client.pipeline(transaction=False) as pipe:
            for _ in range(batch):
                seq += 1
                pipe.xadd(
                    args.stream,
                    {"seq": seq, "data": f"{args.text} #{seq}{padding}"},
                    maxlen=args.maxlen,
                    approximate=True,
                )
            ids = await pipe.execute()
        last_id = ids[-1]
        sent += batch
        if args.verbose:
            print(f"> {seq} {last_id}", flush=True)
        if args.rate:
            delay = start + sent / args.rate - time.monotonic()
            if delay > 0:
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                except asyncio.TimeoutError:
                    pass
    print(f"PUBLISHED {seq} {last_id}", flush=True)
    await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--stream", default="notifications")
    parser.add_argument("--count", type=int, default=0, help="0: until stopped")
    parser.add_argument("--rate", type=float, default=0, help="per second; 0: max")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--start-seq", type=int, default=1)
    parser.add_argument("--maxlen", type=int, default=100_000)
    parser.add_argument("--text", default="notification")
    parser.add_argument("--padding", type=int, default=0, help="bytes added")
    parser.add_argument("--verbose", action="store_true")
    asyncio.run(publish(parser.parse_args()))


if __name__ == "__main__":
    main()
