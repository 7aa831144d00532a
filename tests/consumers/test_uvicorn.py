"""uvicorn 0.13.4 serves an ASGI application with this library.

uvicorn's ``ws="websockets"`` implementation subclasses
WebSocketServerProtocol and drives it from the ASGI messages; it is run
unmodified, in its own venv (consumers/.venvs/uvicorn, CPython 3.9), with this
library installed from the tree in place of PyPI's websockets. The application
is tests/consumers/apps/uvicorn_app.py; the client is this library's, here.

Pinned dependencies (consumers/requirements/uvicorn.txt): click 7.1.2, because
uvicorn 0.13 requires click==7.* (click 8 breaks its CLI); h11 0.12.0, the
release of early 2021. Plain uvicorn, without httptools and uvloop: the
WebSocket path doesn't depend on them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import websockets

from .utils import ROOT, TIMEOUT, Consumer, run_consumer

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def uvicorn() -> AsyncIterator[tuple[Consumer, str]]:
    async with run_consumer("uvicorn", "uvicorn_app.py") as server:
        ready = await server.report()
        assert ready["event"] == "ready", ready
        assert ready["uvicorn"] == "0.13.4"
        assert ready["websockets"].startswith(str(ROOT / "src")), ready
        yield server, f"ws://127.0.0.1:{ready['port']}"


async def test_echo_with_subprotocol(uvicorn: tuple[Consumer, str]) -> None:
    server, url = uvicorn
    async with websockets.connect(
        f"{url}/echo", subprotocols=["chat.v1", "chat.v2"]
    ) as ws:
        assert ws.subprotocol == "chat.v2"
        for message in ["hello", "héllo ☃", "", b"\x00\xff" * 1000, b"", "x" * 100_000]:
            await ws.send(message)
            echo = await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert type(echo) is type(message)
            assert echo == message
    # The client closed with 1000: the application receives it.
    disconnect = await server.report()
    assert disconnect == {"event": "disconnect", "path": "/echo", "code": 1000}


async def test_echo_without_subprotocol(uvicorn: tuple[Consumer, str]) -> None:
    server, url = uvicorn
    async with websockets.connect(f"{url}/echo") as ws:
        assert ws.subprotocol is None
        await ws.send("ping")
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "ping"
        await ws.close(4001, "bye")
    assert ws.close_code == 4001
    disconnect = await server.report()
    assert disconnect == {"event": "disconnect", "path": "/echo", "code": 4001}


@pytest.mark.parametrize("code", [1001, 4000])
async def test_application_closes(uvicorn: tuple[Consumer, str], code: int) -> None:
    server, url = uvicorn
    async with websockets.connect(f"{url}/echo") as ws:
        await ws.send(f"close {code}")
        with pytest.raises(websockets.ConnectionClosed) as raised:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert raised.value.code == code
    expected = (
        websockets.ConnectionClosedOK
        if code == 1001
        else (websockets.ConnectionClosedError)
    )
    assert isinstance(raised.value, expected)
    assert ws.close_code == code
    assert (await server.report()) == {"event": "closed", "path": "/echo", "code": code}


async def test_reject_before_accept(uvicorn: tuple[Consumer, str]) -> None:
    _, url = uvicorn
    with pytest.raises(websockets.InvalidStatusCode) as raised:
        await asyncio.wait_for(websockets.connect(f"{url}/reject"), TIMEOUT)
    assert raised.value.status_code == 403


@pytest.mark.parametrize(
    "path", ["/crash", "/crash-after-send", "/crash-after-receive"]
)
async def test_crash_after_accept(uvicorn: tuple[Consumer, str], path: str) -> None:
    server, url = uvicorn
    async with websockets.connect(f"{url}{path}") as ws:
        # As on 8.1, connect() returns an open connection, even when the
        # server's closing follows its 101 response: checked below.
        opened = ws.open
        if path == "/crash-after-send":
            assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "crashing"
        elif path == "/crash-after-receive":
            await ws.send("crash now")
        # uvicorn closes the transport: an abnormal closure, never a clean one.
        with pytest.raises(websockets.ConnectionClosedError) as raised:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert raised.value.code == 1006, f"{raised.value!r}\n{server.output()}"
    assert ws.close_code == 1006
    assert opened
    # uvicorn logged the application's exception and goes on serving.
    assert "the application crashed after accepting" in await logged(server)
    async with websockets.connect(f"{url}/echo") as ws:
        await ws.send("still serving")
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "still serving"


async def logged(server: Consumer) -> str:
    """Wait until uvicorn's log of the exception is read; return the log."""
    for _ in range(int(TIMEOUT / 0.05)):
        if "RuntimeError" in server.output():
            break
        await asyncio.sleep(0.05)
    return server.output()
