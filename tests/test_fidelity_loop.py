"""Event-loop styles of the websockets 8.1 era.

Before :func:`asyncio.run`, programs drove the event loop from synchronous
code, as 8.1's documentation showed::

    loop = asyncio.get_event_loop()
    server = loop.run_until_complete(websockets.serve(handler, host, port))
    loop.run_forever()
    ...
    server.close()                                  # no loop is running here
    loop.run_until_complete(server.wait_closed())

Objects remember the loop they belong to and use it outside of any running
loop. ``loop=`` is accepted without a warning, like 8.1 (pyppeteer and
web3.py pass it), and an explicit loop is the one used.

The tests are synchronous: each creates its own event loop, like such
programs do, and runs it with ``run_until_complete()`` and
``run_forever()``. The scripts at the end run in a subprocess with
``-W error``, so that any warning (e.g. :func:`asyncio.get_event_loop`'s
deprecation on Python 3.12+) fails them.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import textwrap
import warnings
from typing import Any, Iterator, List

import pytest

import websockets
from websockets.exceptions import ConnectionClosedOK
from websockets.protocol import WebSocketCommonProtocol
from websockets.server import WebSocketServer, WebSocketServerProtocol

TIMEOUT = 5.0


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A loop set as the current event loop, as 8.1-era programs did."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def run(loop: asyncio.AbstractEventLoop, aw: Any) -> Any:
    return loop.run_until_complete(asyncio.wait_for(aw, TIMEOUT))


def test_pre_asyncio_run_lifecycle(loop: asyncio.AbstractEventLoop) -> None:
    events: List[Any] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        events.append(("handler", ws.loop is loop))
        try:
            async for message in ws:
                if message == "stop":
                    # Stop run_forever(): the rest happens in sync code.
                    loop.stop()
                else:
                    await ws.send(message)
        finally:
            events.append(("handler exits", ws.close_code))

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Created outside of any running loop, awaited by run_until_complete.
        start_server = websockets.serve(handler, "127.0.0.1", 0)
        server = loop.run_until_complete(start_server)
        port = server.sockets[0].getsockname()[1]

        ws = run(loop, websockets.connect(f"ws://127.0.0.1:{port}/"))
        assert ws.loop is loop
        run(loop, ws.send("hello"))
        assert run(loop, ws.recv()) == "hello"
        # ping() from synchronous code: the waiter belongs to the loop.
        pong_waiter = run(loop, ws.ping())
        run(loop, pong_waiter)

        loop.call_soon(lambda: asyncio.ensure_future(ws.send("stop")))
        loop.run_forever()

        # No loop is running here: that's what 8.1 programs did.
        with pytest.raises(RuntimeError):
            asyncio.get_running_loop()
        server.close()
        run(loop, server.wait_closed())

        # The server closed the connection with 1001 (going away).
        with pytest.raises(ConnectionClosedOK) as raised:
            run(loop, ws.recv())
        assert raised.value.code == 1001
        assert ws.closed
    assert events == [("handler", True), ("handler exits", 1001)]


def test_server_close_before_run_forever(loop: asyncio.AbstractEventLoop) -> None:
    # close() from sync code, then wait_closed(), without any connection.
    server = loop.run_until_complete(websockets.serve(lambda ws, path: None, "", 0))
    server.close()
    server.close()  # idempotent
    run(loop, server.wait_closed())
    assert server.sockets is None


def test_explicit_loop_without_set_event_loop() -> None:
    # pyppeteer's style: a new loop, never set as the current one, passed
    # explicitly everywhere.
    loop = asyncio.new_event_loop()
    try:
        protocols: List[WebSocketServerProtocol] = []

        async def handler(ws: WebSocketServerProtocol, path: str) -> None:
            protocols.append(ws)
            await ws.send(await ws.recv())

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            server = run(loop, websockets.serve(handler, "127.0.0.1", 0, loop=loop))
            port = server.sockets[0].getsockname()[1]
            ws = run(loop, websockets.connect(f"ws://127.0.0.1:{port}/", loop=loop))
            assert ws.loop is loop
            run(loop, ws.send("hi"))
            assert run(loop, ws.recv()) == "hi"
            run(loop, ws.close())
            server.close()
            run(loop, server.wait_closed())
        assert [p.loop for p in protocols] == [loop]
    finally:
        loop.close()


def test_protocol_constructed_from_sync_code(loop: asyncio.AbstractEventLoop) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        protocol = WebSocketCommonProtocol()
        assert protocol.loop is loop
        other = asyncio.new_event_loop()
        try:
            assert WebSocketCommonProtocol(loop=other).loop is other
        finally:
            other.close()


def test_web_socket_server_with_explicit_loop(
    loop: asyncio.AbstractEventLoop,
) -> None:
    # A server that was never started can be closed from sync code.
    other = asyncio.new_event_loop()
    try:
        server = WebSocketServer(loop=other)
        server.close()
        other.run_until_complete(asyncio.wait_for(server.wait_closed(), TIMEOUT))
    finally:
        other.close()
    # Without a loop, the current event loop.
    server = WebSocketServer()
    server.close()
    run(loop, server.wait_closed())


@pytest.mark.skipif(not hasattr(asyncio, "unix_events"), reason="Unix only")
def test_unix_serve_and_connect(loop: asyncio.AbstractEventLoop) -> None:
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        await ws.send(await ws.recv())

    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "socket")
        server = loop.run_until_complete(websockets.unix_serve(handler, path))
        ws = run(loop, websockets.unix_connect(path))
        assert ws.loop is loop
        run(loop, ws.send("unix"))
        assert run(loop, ws.recv()) == "unix"
        server.close()
        run(loop, server.wait_closed())
        # The handler returned: 1000.
        assert ws.close_code == 1000


# The same programs, written as scripts, run in a fresh interpreter with
# every warning turned into an error.

SCRIPT_8_1_DOCS = """
import asyncio, websockets

async def echo(websocket, path):
    async for message in websocket:
        if message == "stop":
            asyncio.get_event_loop().stop()
        else:
            await websocket.send(message)

async def client(uri):
    async with websockets.connect(uri) as websocket:
        await websocket.send("Hello world!")
        print(await websocket.recv())
        await websocket.send("stop")

loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
start_server = websockets.serve(echo, "127.0.0.1", 0)
server = asyncio.get_event_loop().run_until_complete(start_server)
port = server.sockets[0].getsockname()[1]
asyncio.ensure_future(client("ws://127.0.0.1:%d/" % port))
asyncio.get_event_loop().run_forever()
server.close()
asyncio.get_event_loop().run_until_complete(server.wait_closed())
loop.close()
print("closed")
"""

SCRIPT_EXPLICIT_LOOP = """
import asyncio, websockets

async def echo(websocket, path):
    await websocket.send(await websocket.recv())

loop = asyncio.new_event_loop()
server = loop.run_until_complete(
    websockets.serve(echo, "127.0.0.1", 0, loop=loop))
port = server.sockets[0].getsockname()[1]
ws = loop.run_until_complete(
    websockets.connect("ws://127.0.0.1:%d/" % port, loop=loop))
loop.run_until_complete(ws.send("explicit"))
print(loop.run_until_complete(ws.recv()))
loop.run_until_complete(ws.close())
server.close()
loop.run_until_complete(server.wait_closed())
loop.close()
print("closed")
"""


@pytest.mark.parametrize(
    ("script", "output"),
    [
        (SCRIPT_8_1_DOCS, "Hello world!\nclosed\n"),
        (SCRIPT_EXPLICIT_LOOP, "explicit\nclosed\n"),
    ],
)
def test_scripts_with_warnings_as_errors(script: str, output: str) -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stderr == ""
    assert result.stdout == output
    assert result.returncode == 0
