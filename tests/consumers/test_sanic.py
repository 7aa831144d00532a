"""Sanic 20.12.7 serves websocket routes with this library.

Sanic builds WebSocketCommonProtocol(...) directly, then sets is_client, side
and subprotocol on the instance, calls connection_made() and
connection_open() itself and forwards the data it receives: its code is run
unmodified, in its own venv (consumers/.venvs/sanic, CPython 3.9: Sanic 20.12
needs httptools 0.1 and uvloop 0.15, which have no builds for newer Pythons),
with this library installed from the tree in place of PyPI's websockets.
The application is tests/consumers/apps/sanic_app.py; the clients are this
library's, here, and Sanic's own test client, in the Sanic process.

Pinned dependencies (consumers/requirements/sanic.txt), releases of early
2021: Sanic 20.12 requires multidict<6 and httpx==0.15.4 (its test client
uses httpx's API of then), httpx 0.15.4 needs httpcore 0.11, which needs
h11<0.10; httptools 0.1.1, uvloop 0.15.2, ujson 4.0.2, aiofiles 0.6.0.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import websockets

from .utils import ROOT, TIMEOUT, Consumer, run_consumer

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def sanic() -> AsyncIterator[tuple[Consumer, str]]:
    async with run_consumer("sanic", "sanic_app.py", ["serve"]) as server:
        ready = await server.report()
        assert ready["event"] == "ready", ready
        assert ready["sanic"] == "20.12.7"
        assert ready["websockets"].startswith(str(ROOT / "src")), ready
        yield server, f"ws://127.0.0.1:{ready['port']}"


async def test_echo_with_subprotocol(sanic: tuple[Consumer, str]) -> None:
    server, url = sanic
    async with websockets.connect(
        f"{url}/echo", subprotocols=["chat.v1", "chat.v2"]
    ) as ws:
        assert ws.open
        assert ws.subprotocol == "chat.v2"
        connected = await server.report()
        assert connected == {
            "event": "connected",
            "subprotocol": "chat.v2",
            "open": True,
            "side": "server",
            "is_client": False,
            "loop": "uvloop",
        }
        for message in ["hello", "héllo ☃", "", b"\x00\xff" * 1000, b"", "x" * 100_000]:
            await ws.send(message)
            echo = await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert type(echo) is type(message)
            assert echo == message
        # Sanic's protocol is a server: it doesn't mask, the client does.
        pong_waiter = await ws.ping(b"sanic")
        await asyncio.wait_for(pong_waiter, TIMEOUT)


async def test_close_code_reaches_the_handler(sanic: tuple[Consumer, str]) -> None:
    server, url = sanic
    async with websockets.connect(f"{url}/echo") as ws:
        assert ws.subprotocol is None
        await server.reports_until("connected")
        await ws.send("before closing")
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "before closing"
        await asyncio.wait_for(ws.close(4001, "bye from the client"), TIMEOUT)
    assert ws.close_code == 4001
    assert ws.close_reason == "bye from the client"
    closed = await server.report()
    # Sanic cancels the handler when the TCP connection is lost, which, as
    # on 8.1, happens before recv() raises ConnectionClosed: recv() raises
    # once the TCP connection is closed. The handler sees the close code and
    # reason on the connection. (Checked against Sanic 20.12.7 running the
    # genuine websockets 8.1: the same report.)
    assert closed == {
        "event": "handler-closed",
        "ending": "CancelledError",
        "code": 4001,
        "reason": "bye from the client",
    }


async def test_open_after_connect(sanic: tuple[Consumer, str]) -> None:
    _, url = sanic
    # The server sends a message and closes right behind its 101 response:
    # connect() still returns an open connection, as on 8.1.
    # (Not inside wait_for(): that runs connect() in a task of its own, and
    # the caller resumes a loop turn later, on 8.1 too.)
    ws = await websockets.connect(f"{url}/hello-and-close")
    opened = ws.open
    assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "hello"
    with pytest.raises(websockets.ConnectionClosedOK):
        await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert ws.close_code == 1000
    assert opened


async def test_server_closes_with_4000(sanic: tuple[Consumer, str]) -> None:
    _, url = sanic
    async with websockets.connect(f"{url}/close-4000") as ws:
        with pytest.raises(websockets.ConnectionClosedError) as raised:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert raised.value.code == 4000
    assert raised.value.reason == "bye from sanic"
    assert ws.close_code == 4000


async def test_sanic_test_client() -> None:
    # Sanic's own test client records `ws.open` right after connect().
    async with run_consumer("sanic", "sanic_app.py", ["selftest"]) as selftest:
        ready = await selftest.report()
        assert ready["websockets"].startswith(str(ROOT / "src")), ready
        reports = await selftest.reports_until("done")
        assert await selftest.wait() == 0, selftest.output()
    assert [r for r in reports if r["event"] == "test-client"] == [
        {"event": "test-client", "route": route, "opened": True}
        for route in ["/hello-and-close", "/close-4000", "/echo"]
    ], selftest.output()
