"""Interop with aiohttp's WebSocket client and server.

Each test runs with the aiohttp client against our server
(``aiohttp-client``) and with our client against the aiohttp server
(``aiohttp-server``). Both peers live in the test's event loop, so the tests
drive both sides in straight-line code.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, Optional, Union

import aiohttp
import pytest
from aiohttp import WSMsgType, web

import websockets

from .utils import (
    LARGE_KINDS,
    TIMEOUT,
    MiB,
    long_distance_repeats,
    mebibyte_message,
    random_text,
)

pytestmark = [pytest.mark.interop, pytest.mark.timeout(60)]

ROLES = [
    pytest.param("client", id="aiohttp-client"),
    pytest.param("server", id="aiohttp-server"),
]

# aiohttp's WebSocketResponse/ClientWebSocketResponse.
Theirs = Any


@contextlib.asynccontextmanager
async def connection(
    role: str,
    *,
    their_compress: int = 0,
    compression: Optional[str] = None,
    autoping: bool = True,
) -> AsyncIterator[tuple[Any, Theirs]]:
    """Connect our side to aiohttp playing ``role``; yield (ours, theirs).

    ``their_compress`` is aiohttp's ``compress``: 0 for no compression, else
    the window bits (15 for the default offer).
    """
    if role == "client":
        connections: asyncio.Queue[Any] = asyncio.Queue()

        async def handler(ws: Any, path: str) -> None:
            await connections.put(ws)
            await ws.wait_closed()

        async with websockets.serve(
            handler, "127.0.0.1", 0, compression=compression
        ) as server:
            port = server.sockets[0].getsockname()[1]
            session = aiohttp.ClientSession()
            async with (
                session,
                session.ws_connect(
                    f"ws://127.0.0.1:{port}/aiohttp",
                    compress=their_compress,
                    autoping=autoping,
                    max_msg_size=4 * MiB,
                ) as theirs,
            ):
                ours = await asyncio.wait_for(connections.get(), TIMEOUT)
                try:
                    yield ours, theirs
                finally:
                    await finish(ours, theirs)
    else:
        accepted: asyncio.Queue[Any] = asyncio.Queue()
        done = asyncio.Event()

        async def aiohttp_handler(request: web.Request) -> web.WebSocketResponse:
            theirs = web.WebSocketResponse(
                compress=bool(their_compress),
                autoping=autoping,
                max_msg_size=4 * MiB,
            )
            await theirs.prepare(request)
            await accepted.put(theirs)
            await done.wait()
            return theirs

        app = web.Application()
        app.router.add_get("/aiohttp", aiohttp_handler)
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            async with websockets.connect(
                f"ws://127.0.0.1:{port}/aiohttp", compression=compression
            ) as ours:
                theirs = await asyncio.wait_for(accepted.get(), TIMEOUT)
                try:
                    yield ours, theirs
                finally:
                    await finish(ours, theirs)
                    done.set()
        finally:
            done.set()
            await runner.cleanup()


async def finish(ours: Any, theirs: Theirs) -> None:
    """Close both sides: our close() needs aiohttp to read the close frame."""

    async def drain() -> None:
        while not theirs.closed:
            message = await theirs.receive()
            if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR):
                break

    await asyncio.wait_for(asyncio.gather(ours.close(), drain()), TIMEOUT)


async def recv(ws: Any) -> Union[str, bytes]:
    message: Union[str, bytes] = await asyncio.wait_for(ws.recv(), TIMEOUT)
    return message


async def their_send(theirs: Theirs, message: Union[str, bytes]) -> None:
    if isinstance(message, str):
        await theirs.send_str(message)
    else:
        await theirs.send_bytes(message)


async def their_receive(theirs: Theirs) -> Union[str, bytes]:
    message = await theirs.receive(timeout=TIMEOUT)
    assert message.type in (WSMsgType.TEXT, WSMsgType.BINARY), message
    data: Union[str, bytes] = message.data
    return data


MESSAGES: list[Union[str, bytes]] = [
    "hello",
    "héllo wörld ☃ 😀",
    "",
    b"",
    bytes(range(256)),
    long_distance_repeats(),
    random_text(100_000, seed=7),
]

# (aiohttp's compress, our compression, whether permessage-deflate is used)
COMPRESSIONS = [
    pytest.param(0, None, False, id="no-deflate"),
    pytest.param(0, "deflate", False, id="aiohttp-without-deflate"),
    pytest.param(15, None, False, id="ours-without-deflate"),
    pytest.param(15, "deflate", True, id="deflate"),
]

# aiohttp's client can ask for a smaller server window.
CLIENT_ONLY_COMPRESSIONS = [
    pytest.param(10, "deflate", True, id="server_max_window_bits=10"),
]


async def check_messages(ours: Any, theirs: Theirs, negotiated: bool) -> None:
    assert [e.name for e in ours.extensions] == (
        ["permessage-deflate"] if negotiated else []
    )
    # aiohttp's compress is the window size it compresses with (for the
    # client: client_max_window_bits from our response).
    if negotiated:
        assert 9 <= theirs.compress <= 15
    else:
        assert theirs.compress == 0

    # Twice, to exercise the compression contexts across messages.
    for message in MESSAGES + MESSAGES:
        await ours.send(message)
        assert await their_receive(theirs) == message
        await their_send(theirs, message)
        received = await recv(ours)
        assert type(received) is type(message)
        assert received == message

    # aiohttp reassembles our fragmented messages.
    await ours.send(["frag", "ment", "ed ☃"])
    assert await their_receive(theirs) == "fragmented ☃"
    await ours.send([b"\x00", b"", b"\x01" * 70000])
    assert await their_receive(theirs) == b"\x00" + b"\x01" * 70000


@pytest.mark.parametrize("their_compress, compression, negotiated", COMPRESSIONS)
@pytest.mark.parametrize("role", ROLES)
async def test_messages(
    role: str, their_compress: int, compression: Optional[str], negotiated: bool
) -> None:
    async with connection(
        role, their_compress=their_compress, compression=compression
    ) as (ours, theirs):
        await check_messages(ours, theirs, negotiated)


@pytest.mark.parametrize(
    "their_compress, compression, negotiated", CLIENT_ONLY_COMPRESSIONS
)
async def test_messages_small_server_window(
    their_compress: int, compression: Optional[str], negotiated: bool
) -> None:
    async with connection(
        "client", their_compress=their_compress, compression=compression
    ) as (ours, theirs):
        response = ours.response_headers["Sec-WebSocket-Extensions"]
        assert f"server_max_window_bits={their_compress}" in response
        await check_messages(ours, theirs, negotiated)


@pytest.mark.parametrize("kind", LARGE_KINDS)
@pytest.mark.parametrize(
    "their_compress, compression",
    [pytest.param(0, None, id="no-deflate"), pytest.param(15, "deflate", id="deflate")],
)
@pytest.mark.parametrize("role", ROLES)
async def test_one_mebibyte_messages(
    role: str, their_compress: int, compression: Optional[str], kind: str
) -> None:
    # 1 MiB is the default max_size: the largest message accepted by default.
    message = mebibyte_message(kind)
    async with connection(
        role, their_compress=their_compress, compression=compression
    ) as (ours, theirs):
        await ours.send(message)
        assert await their_receive(theirs) == message
        await their_send(theirs, message)
        received = await recv(ours)
        assert type(received) is type(message)
        assert received == message


@pytest.mark.parametrize("role", ROLES)
async def test_ping_answered_automatically(role: str) -> None:
    async with connection(role) as (ours, theirs):
        # aiohttp answers pings while it waits in receive().
        receiving = asyncio.ensure_future(their_receive(theirs))
        pong_waiter = await ours.ping(b"from ours")
        await asyncio.wait_for(pong_waiter, TIMEOUT)
        pong_waiter = await ours.ping()
        await asyncio.wait_for(pong_waiter, TIMEOUT)
        await ours.send("done")
        assert await receiving == "done"


@pytest.mark.parametrize("role", ROLES)
async def test_ping_pong_frames(role: str) -> None:
    async with connection(role, autoping=False) as (ours, theirs):
        # aiohttp sees our ping and answers it by hand.
        pong_waiter = await ours.ping(b"from ours")
        ping = await theirs.receive(timeout=TIMEOUT)
        assert (ping.type, ping.data) == (WSMsgType.PING, b"from ours")
        await theirs.pong(ping.data)
        await asyncio.wait_for(pong_waiter, TIMEOUT)

        # Our side answers aiohttp's ping on its own.
        await theirs.ping(b"from aiohttp")
        pong = await theirs.receive(timeout=TIMEOUT)
        assert (pong.type, pong.data) == (WSMsgType.PONG, b"from aiohttp")

        await ours.send("still open")
        assert await their_receive(theirs) == "still open"


CLOSES = [
    pytest.param(1000, "", websockets.ConnectionClosedOK, id="1000"),
    pytest.param(4000, "bye ☃", websockets.ConnectionClosedError, id="4000-bye"),
]


@pytest.mark.parametrize("code, reason, exception", CLOSES)
@pytest.mark.parametrize("role", ROLES)
async def test_close_from_aiohttp(
    role: str, code: int, reason: str, exception: type[Exception]
) -> None:
    async with connection(role) as (ours, theirs):
        await theirs.send_str("last words")
        closing = asyncio.ensure_future(
            theirs.close(code=code, message=reason.encode())
        )
        assert await recv(ours) == "last words"
        with pytest.raises(exception) as raised:
            await recv(ours)
        assert (raised.value.code, raised.value.reason) == (code, reason)  # type: ignore[attr-defined]
        assert (ours.close_code, ours.close_reason) == (code, reason)
        assert await asyncio.wait_for(closing, TIMEOUT)
        assert theirs.closed


@pytest.mark.parametrize("code, reason", [(1000, ""), (4001, "bye ☃")])
@pytest.mark.parametrize("role", ROLES)
async def test_close_from_ours(role: str, code: int, reason: str) -> None:
    async with connection(role) as (ours, theirs):
        closing = asyncio.ensure_future(ours.close(code, reason))
        message = await theirs.receive(timeout=TIMEOUT)
        assert (message.type, message.data, message.extra) == (
            WSMsgType.CLOSE,
            code,
            reason,
        )
        await asyncio.wait_for(closing, TIMEOUT)
        # aiohttp answers any close frame with code 1000 and no reason.
        assert (ours.close_code, ours.close_reason) in [(code, reason), (1000, "")]
        with pytest.raises(websockets.ConnectionClosed):
            await recv(ours)
