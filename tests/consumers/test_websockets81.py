"""This library and a genuine websockets 8.1 peer, both directions.

The peer is tests/consumers/apps/ws81_peer.py, written with websockets 8.1's
public API and run in its own venv (consumers/.venvs/websockets81: PyPI's
websockets==8.1, nothing else, on CPython 3.9, the newest Python 8.1 runs
on), as a black box on the other end of a loopback socket. It compresses
with permessage-deflate, 8.1's default; this library's side runs with and
without compression. What goes through: text and binary messages, large
ones, fragmented ones in both directions (8.1 sets RSV1 on every frame of a
compressed fragmented message, RFC 7692 wants it on the first only: every
8.1-era peer does it, and it must be accepted), pings, and close codes and
reasons both ways.
"""

from __future__ import annotations

import asyncio
import json
import random
import traceback
from collections.abc import AsyncIterator
from typing import Any, Optional, Union

import pytest

import websockets
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

from .utils import TIMEOUT, Consumer, run_consumer

pytestmark = pytest.mark.timeout(120)

Message = Union[str, bytes]

rng = random.Random(81)

# Messages that go through whole, each in one frame.
MESSAGES: list[Message] = [
    "hello",
    "héllo wörld ☃ 😀",
    "",
    bytes(range(256)),
    b"",
    "websocket " * 50_000,
    rng.randbytes(300_000),
]

# Messages that go through fragmented, as their chunks.
FRAGMENTED: list[list[Message]] = [
    ["frag", "ment", "ed ☃"],
    ["", "first chunk empty", ""],
    ["compressible " * 20_000, "x" * 70_000, "é" * 30_000],
    [b"\x01", b"\x02" * 70_000, b"\x03"],
    [rng.randbytes(100_000), rng.randbytes(5), rng.randbytes(100_000)],
    [b"", b"\x00" * 10, b""],
]

COMPRESSION = [
    pytest.param("deflate", id="compression"),
    pytest.param(None, id="no-compression"),
]


def join(chunks: list[Message]) -> Message:
    if isinstance(chunks[0], str):
        return "".join(chunks)  # type: ignore[arg-type]
    return b"".join(chunks)  # type: ignore[arg-type]


def command(**kwargs: Any) -> str:
    """A command for the 8.1 peer."""
    return "!" + json.dumps(kwargs)


def send_command(chunks: list[Message]) -> str:
    """Ask the 8.1 peer to send ``chunks`` as one fragmented message."""
    binary = isinstance(chunks[0], bytes)
    return command(
        send=[chunk.hex() if binary else chunk for chunk in chunks],  # type: ignore[union-attr]
        binary=binary,
    )


async def recv(ws: Any) -> Message:
    message: Message = await asyncio.wait_for(ws.recv(), TIMEOUT)
    return message


async def exchange(ws: Any, compression: Optional[str]) -> None:
    """Our side of the conversation with the 8.1 peer, up to closing."""
    expected = ["permessage-deflate"] if compression else []
    assert [extension.name for extension in ws.extensions] == expected

    # Whole messages, echoed.
    for message in MESSAGES:
        await ws.send(message)
        echo = await recv(ws)
        assert type(echo) is type(message)
        assert echo == message, f"echo of a {len(message)}-long message differs"

    # Fragmented messages from this library: 8.1 assembles them.
    for chunks in FRAGMENTED:
        await ws.send(chunks)
        assert await recv(ws) == join(chunks)

    async def fragments() -> AsyncIterator[Message]:
        for chunk in FRAGMENTED[2]:
            await asyncio.sleep(0)
            yield chunk

    await ws.send(fragments())
    assert await recv(ws) == join(FRAGMENTED[2])

    # Fragmented messages from 8.1: RSV1 on each frame when compressed.
    for chunks in FRAGMENTED:
        await ws.send(send_command(chunks))
        message = await recv(ws)
        assert type(message) is type(chunks[0])
        assert message == join(chunks), "a fragmented message from 8.1 differs"

    # Pings both ways.
    pong_waiter = await ws.ping(b"from this library")
    await asyncio.wait_for(pong_waiter, TIMEOUT)
    await ws.send(command(ping="from 8.1"))
    assert await recv(ws) == "pong received"


@pytest.fixture
async def server81() -> AsyncIterator[tuple[Consumer, str]]:
    async with run_consumer("websockets81", "ws81_peer.py", ["server"]) as server:
        ready = await server.report()
        assert ready["event"] == "ready", ready
        assert ready["version"] == "8.1"
        assert "/consumers/.venvs/websockets81/" in ready["websockets"], ready
        yield server, f"ws://127.0.0.1:{ready['port']}"


@pytest.mark.parametrize("compression", COMPRESSION)
async def test_client_to_81_server_client_closes(
    server81: tuple[Consumer, str], compression: Optional[str]
) -> None:
    server, url = server81
    async with websockets.connect(f"{url}/path", compression=compression) as ws:
        connected = await server.report()
        assert connected["path"] == "/path"
        assert connected["extensions"] == [e.name for e in ws.extensions]
        await exchange(ws, compression)
        await asyncio.wait_for(ws.close(4001, "bye from this library"), TIMEOUT)
    assert ws.close_code == 4001
    assert ws.close_reason == "bye from this library"
    assert await server.report() == {
        "event": "closed",
        "code": 4001,
        "reason": "bye from this library",
    }


@pytest.mark.parametrize("compression", COMPRESSION)
async def test_client_to_81_server_server_closes(
    server81: tuple[Consumer, str], compression: Optional[str]
) -> None:
    server, url = server81
    async with websockets.connect(url, compression=compression) as ws:
        await exchange(ws, compression)
        await ws.send(command(close=4000, reason="bye from 8.1"))
        with pytest.raises(websockets.ConnectionClosedError) as raised:
            await recv(ws)
    assert (raised.value.code, raised.value.reason) == (4000, "bye from 8.1")
    assert (ws.close_code, ws.close_reason) == (4000, "bye from 8.1")
    reports = await server.reports_until("closed")
    assert reports[-1] == {"event": "closed", "code": 4000, "reason": "bye from 8.1"}


async def test_client_to_81_server_normal_closure(
    server81: tuple[Consumer, str],
) -> None:
    server, url = server81
    async with websockets.connect(url) as ws:
        await ws.send("hello")
        assert await recv(ws) == "hello"
    assert ws.close_code == 1000
    reports = await server.reports_until("closed")
    assert reports[-1] == {"event": "closed", "code": 1000, "reason": ""}


@pytest.mark.parametrize("compression", COMPRESSION)
@pytest.mark.parametrize("who_closes", ["server", "client"])
async def test_81_client_to_server(compression: Optional[str], who_closes: str) -> None:
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    seen: dict[str, Any] = {}

    async def handler(ws: Any, path: str) -> None:
        try:
            seen["path"] = path
            await exchange(ws, compression)
            if who_closes == "server":
                await asyncio.wait_for(ws.close(4001, "bye from this library"), TIMEOUT)
            else:
                await ws.send(command(close=4000, reason="bye from 8.1"))
                with pytest.raises(websockets.ConnectionClosedError) as raised:
                    await recv(ws)
                seen["exception"] = (raised.value.code, raised.value.reason)
            seen["close"] = (ws.close_code, ws.close_reason)
        except BaseException as exc:
            done.set_exception(exc)
            raise
        else:
            done.set_result(None)

    async with websockets.serve(
        handler, "127.0.0.1", 0, compression=compression
    ) as server:
        port = server.sockets[0].getsockname()[1]
        url = f"ws://127.0.0.1:{port}/from-81"
        async with run_consumer(
            "websockets81", "ws81_peer.py", ["client", url]
        ) as peer:
            connected = await peer.report()
            assert connected["event"] == "connected", connected
            assert connected["version"] == "8.1"
            try:
                await asyncio.wait_for(asyncio.shield(done), TIMEOUT * 3)
            except asyncio.TimeoutError:
                raise AssertionError(
                    f"the handler didn't finish\n{peer.output()}"
                ) from None
            closed = await peer.report()
            assert await peer.report() == {"event": "done"}
            assert await peer.wait() == 0, peer.output()

    assert seen["path"] == "/from-81"
    assert connected["extensions"] == (["permessage-deflate"] if compression else [])
    if who_closes == "server":
        expected = (4001, "bye from this library")
    else:
        expected = (4000, "bye from 8.1")
        assert seen["exception"] == expected
    assert seen["close"] == expected
    assert closed == {"event": "closed", "code": expected[0], "reason": expected[1]}


@pytest.mark.parametrize("offer", ["default", "no-client-max-window-bits"])
async def test_81_client_negotiation(offer: str) -> None:
    # A server configured with client_max_window_bits accepts 8.1's default
    # offer, which includes client_max_window_bits, and declines an offer
    # without it (RFC 7692 7.1.2.2: it can't answer with it), as 8.1 did.
    seen: dict[str, Any] = {}

    async def handler(ws: Any, path: str) -> None:
        seen["offer"] = ws.request_headers.get("Sec-WebSocket-Extensions")
        seen["response"] = ws.response_headers.get("Sec-WebSocket-Extensions")
        seen["extensions"] = [extension.name for extension in ws.extensions]
        try:
            for message in MESSAGES:
                await ws.send(message)
                assert await recv(ws) == message
            await ws.send(send_command(FRAGMENTED[2]))
            assert await recv(ws) == join(FRAGMENTED[2])
            await asyncio.wait_for(ws.close(), TIMEOUT)
        except BaseException:
            seen["error"] = traceback.format_exc()
            raise
        seen["done"] = True

    factory = ServerPerMessageDeflateFactory(client_max_window_bits=10)
    async with websockets.serve(
        handler, "127.0.0.1", 0, extensions=[factory]
    ) as server:
        port = server.sockets[0].getsockname()[1]
        url = f"ws://127.0.0.1:{port}/"
        args = ["client", url, offer]
        async with run_consumer("websockets81", "ws81_peer.py", args) as peer:
            connected = await peer.report()
            closed = await peer.report()
            assert await peer.report() == {"event": "done"}
            assert await peer.wait() == 0, peer.output()

    assert seen.get("done"), f"{seen}\n{peer.output()}"
    assert closed == {"event": "closed", "code": 1000, "reason": ""}
    assert "permessage-deflate" in seen["offer"]
    if offer == "default":
        assert "client_max_window_bits" in seen["offer"]
        assert seen["extensions"] == ["permessage-deflate"]
        assert connected["extensions"] == ["permessage-deflate"]
        assert "client_max_window_bits=10" in seen["response"]
    else:
        assert "client_max_window_bits" not in seen["offer"]
        assert seen["extensions"] == []
        assert connected["extensions"] == []
        assert seen["response"] is None
