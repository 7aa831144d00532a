"""Interactive WebSocket client: ``python -m websockets <uri>``.

Incoming messages are printed as they arrive, prefixed with ``<``. Each line
typed (or piped) on standard input is sent as a text message and echoed with
a ``>`` prefix. The connection is closed at the end of the input (Ctrl-D) or
on Ctrl-C; the close code and reason are printed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
from typing import List, Optional, TextIO

from .client import WebSocketClientProtocol, connect
from .exceptions import ConnectionClosed, InvalidURI
from .typing import Data
from .uri import parse_uri

__all__ = ["main"]


def format_message(message: Data) -> str:
    """Format an incoming message for display."""
    if isinstance(message, str):
        return f"< {message}"
    return f"< (binary) {message.hex()}"


def read_lines(
    loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Optional[str]], stdin: TextIO
) -> None:
    """Read lines in a thread; ``None`` marks the end of the input."""
    try:
        for line in stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\r\n"))
        loop.call_soon_threadsafe(queue.put_nowait, None)
    except RuntimeError:
        # The event loop is closed: the client is exiting.
        pass


async def print_incoming(websocket: WebSocketClientProtocol, out: TextIO) -> None:
    """Print incoming messages until the connection is closed."""
    try:
        while True:
            message = await websocket.recv()
            print(format_message(message), file=out, flush=True)
    except ConnectionClosed:
        pass


async def send_outgoing(
    websocket: WebSocketClientProtocol, queue: asyncio.Queue[Optional[str]], out: TextIO
) -> None:
    """Send lines from the input until its end, then close the connection."""
    try:
        while True:
            line = await queue.get()
            if line is None:
                break
            await websocket.send(line)
            print(f"> {line}", file=out, flush=True)
    except ConnectionClosed:
        return
    await websocket.close()


async def run_client(uri: str, stdin: TextIO, out: TextIO, err: TextIO) -> int:
    """Connect to ``uri`` and relay messages; return the exit status."""
    try:
        websocket = await connect(uri)
    except Exception as exc:
        print(f"Failed to connect to {uri}: {exc}.", file=err, flush=True)
        return 1
    print(f"Connected to {uri}.", file=out, flush=True)

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Optional[str]] = asyncio.Queue()
    # A daemon thread: a blocking read of stdin mustn't keep the process alive.
    threading.Thread(target=read_lines, args=(loop, queue, stdin), daemon=True).start()

    incoming = asyncio.ensure_future(print_incoming(websocket, out))
    outgoing = asyncio.ensure_future(send_outgoing(websocket, queue, out))
    try:
        await asyncio.wait([incoming, outgoing], return_when=asyncio.FIRST_COMPLETED)
        # Either the input ended (then outgoing closed the connection and
        # incoming drains the last messages) or the connection was closed.
        await incoming
    finally:
        outgoing.cancel()
        await websocket.close()
    assert websocket.close_code is not None
    reason = websocket.close_reason or "no reason"
    print(
        f"Connection closed: code = {websocket.close_code}, reason = {reason}.",
        file=out,
        flush=True,
    )
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of ``python -m websockets``."""
    parser = argparse.ArgumentParser(
        prog="python -m websockets",
        description="Interactive WebSocket client.",
        epilog="Type messages to send them; Ctrl-D or Ctrl-C exits.",
    )
    parser.add_argument("uri", metavar="<uri>", help="ws:// or wss:// URI")
    args = parser.parse_args(argv)
    try:
        parse_uri(args.uri)
    except InvalidURI as exc:
        print(f"Invalid URI: {exc}.", file=sys.stderr)
        return 2
    try:
        return asyncio.run(run_client(args.uri, sys.stdin, sys.stdout, sys.stderr))
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
