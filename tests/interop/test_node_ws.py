"""Interop with the Node.js ``ws`` library, in both roles.

Each test runs once with ``ws`` as the server and our client
(``ws-server``), and once with our server and ``ws`` as the client
(``ws-client``). The ``ws`` peer is tests/interop/node/peer.js, driven through
JSON lines on its stdin and stdout (see the top of that file).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, Optional, Union

import pytest

import websockets

from .conftest import NodeFactory
from .utils import (
    LARGE_KINDS,
    TIMEOUT,
    MiB,
    NodePeer,
    PeerError,
    Ping,
    data_of,
    long_distance_repeats,
    mebibyte_message,
    message_of,
    payload,
    random_text,
    sha256,
)

pytestmark = [pytest.mark.interop, pytest.mark.timeout(60)]

ROLES = [
    pytest.param("server", id="ws-server"),
    pytest.param("client", id="ws-client"),
]

DeflateOption = Union[bool, dict[str, Any]]

DEFLATE_ON_OFF = [
    pytest.param(False, None, id="no-deflate"),
    pytest.param(True, "deflate", id="deflate"),
]


def extension_names(ws: Any) -> list[str]:
    return [extension.name for extension in ws.extensions]


def parse_params(header: Optional[str]) -> dict[str, Optional[str]]:
    """Parse a permessage-deflate header value into {param: value}."""
    assert header is not None
    name, *params = (part.strip() for part in header.split(";"))
    assert name == "permessage-deflate", header
    parsed: dict[str, Optional[str]] = {}
    for param in params:
        key, _, value = param.partition("=")
        parsed[key.strip()] = value.strip().strip('"') or None
    return parsed


@contextlib.asynccontextmanager
async def connection(
    node_peer: NodeFactory,
    role: str,
    *,
    ws_deflate: DeflateOption = False,
    compression: Optional[str] = None,
    **kwargs: Any,
) -> AsyncIterator[tuple[Any, NodePeer, dict[str, Any]]]:
    """Connect our side to a ``ws`` peer playing ``role``.

    Yield our connection, the peer, and the peer's "open" event.
    """
    if role == "server":
        peer = await node_peer("server", {"perMessageDeflate": ws_deflate})
        port = (await peer.expect("listening"))["port"]
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/node", compression=compression, **kwargs
        ) as ws:
            opened = await peer.expect("open")
            yield ws, peer, opened
    else:
        connections: asyncio.Queue[Any] = asyncio.Queue()

        async def handler(ws: Any, path: str) -> None:
            await connections.put((ws, path))
            await ws.wait_closed()

        async with websockets.serve(
            handler, "127.0.0.1", 0, compression=compression, **kwargs
        ) as server:
            port = server.sockets[0].getsockname()[1]
            peer = await node_peer(
                "client",
                {"url": f"ws://127.0.0.1:{port}/node", "perMessageDeflate": ws_deflate},
            )
            opened = await peer.expect("open")
            ws, path = await asyncio.wait_for(connections.get(), TIMEOUT)
            assert path == "/node"
            try:
                yield ws, peer, opened
            finally:
                await ws.close()


async def recv(ws: Any) -> Union[str, bytes]:
    message: Union[str, bytes] = await asyncio.wait_for(ws.recv(), TIMEOUT)
    return message


async def round_trip(ws: Any, peer: NodePeer, message: Union[str, bytes]) -> None:
    """Send ``message`` from our side to the peer, then back again."""
    await ws.send(message)
    event = await peer.expect_message()
    assert event["binary"] == isinstance(message, bytes)
    assert message_of(event) == message
    await peer.send(message)
    assert await recv(ws) == message


SMALL_MESSAGES: list[Union[str, bytes]] = [
    "",
    "hello",
    "héllo wörld ☃ 😀",
    b"",
    b"\x00\xff" * 64,
    bytes(range(256)),
    long_distance_repeats(),
    long_distance_repeats().hex(),
]


# (ws option, our compression, whether permessage-deflate is negotiated)
NEGOTIATIONS = [
    pytest.param(False, None, False, id="no-deflate"),
    pytest.param(False, "deflate", False, id="ws-without-deflate"),
    pytest.param(True, None, False, id="ours-without-deflate"),
    pytest.param(True, "deflate", True, id="deflate"),
    pytest.param(
        {"serverNoContextTakeover": True},
        "deflate",
        True,
        id="server_no_context_takeover",
    ),
    pytest.param(
        {"clientNoContextTakeover": True},
        "deflate",
        True,
        id="client_no_context_takeover",
    ),
    pytest.param(
        {"serverMaxWindowBits": 10}, "deflate", True, id="server_max_window_bits=10"
    ),
    pytest.param(
        {"clientMaxWindowBits": 10}, "deflate", True, id="client_max_window_bits=10"
    ),
    pytest.param(
        {
            "serverNoContextTakeover": True,
            "clientNoContextTakeover": True,
            "serverMaxWindowBits": 9,
            "clientMaxWindowBits": 9,
        },
        "deflate",
        True,
        id="all-parameters-9-bits",
    ),
]


@pytest.mark.parametrize("ws_deflate, compression, negotiated", NEGOTIATIONS)
@pytest.mark.parametrize("role", ROLES)
async def test_negotiation_and_messages(
    node_peer: NodeFactory,
    role: str,
    ws_deflate: DeflateOption,
    compression: Optional[str],
    negotiated: bool,
) -> None:
    async with connection(
        node_peer, role, ws_deflate=ws_deflate, compression=compression
    ) as (ws, peer, opened):
        # Both sides agree on the extension.
        assert extension_names(ws) == (["permessage-deflate"] if negotiated else [])
        assert opened["extensions"] == ("permessage-deflate" if negotiated else "")
        response = ws.response_headers.get("Sec-WebSocket-Extensions")
        assert response == opened["responseExtensions"]
        if role == "server":
            assert opened["path"] == "/node"
            offer = opened["requestExtensions"]
            assert (offer is not None and "permessage-deflate" in offer) == (
                compression is not None
            ), offer
        else:
            offer = ws.request_headers.get("Sec-WebSocket-Extensions")
            assert (offer is not None and "permessage-deflate" in offer) == bool(
                ws_deflate
            ), offer

        if negotiated:
            params = parse_params(response)
            options = ws_deflate if isinstance(ws_deflate, dict) else {}
            # RFC 7692 7.1.1.1 and 7.1.2.1: a server accepting an offer of
            # server_no_context_takeover or server_max_window_bits must say
            # so. When ws is the server, it states exactly its options.
            if options.get("serverNoContextTakeover"):
                assert "server_no_context_takeover" in params
            if "serverMaxWindowBits" in options:
                bits = params["server_max_window_bits"]
                assert bits is not None
                assert int(bits) <= options["serverMaxWindowBits"]
            if role == "server":
                if options.get("clientNoContextTakeover"):
                    assert "client_no_context_takeover" in params
                if "clientMaxWindowBits" in options:
                    bits = params["client_max_window_bits"]
                    assert bits == str(options["clientMaxWindowBits"])

        # Every message goes through twice, so that a side that takes over
        # the compression context when it agreed not to (or the reverse), or
        # that ignores a window size, breaks the second one.
        for message in SMALL_MESSAGES + SMALL_MESSAGES:
            await round_trip(ws, peer, message)

        # With permessage-deflate, ws may also send a message uncompressed.
        for message in ["not compressed", b"not compressed"]:
            await peer.send(message, compress=False)
            assert await recv(ws) == message


@pytest.mark.parametrize("kind", LARGE_KINDS)
@pytest.mark.parametrize("ws_deflate, compression", DEFLATE_ON_OFF)
@pytest.mark.parametrize("role", ROLES)
async def test_one_mebibyte_messages(
    node_peer: NodeFactory,
    role: str,
    ws_deflate: DeflateOption,
    compression: Optional[str],
    kind: str,
) -> None:
    # 1 MiB is the default max_size: the largest message accepted by default.
    message = mebibyte_message(kind)
    async with connection(
        node_peer, role, ws_deflate=ws_deflate, compression=compression
    ) as (ws, peer, _):
        await ws.send(message)
        event = await peer.expect_message()
        assert event["binary"] == isinstance(message, bytes)
        assert event["length"] == MiB
        assert event["sha256"] == sha256(message)

        await peer.send(message)
        received = await recv(ws)
        assert type(received) is type(message)
        assert received == message

        await round_trip(ws, peer, "after")


@pytest.mark.parametrize("ws_deflate, compression", DEFLATE_ON_OFF)
@pytest.mark.parametrize("role", ROLES)
async def test_fragmented_messages(
    node_peer: NodeFactory,
    role: str,
    ws_deflate: DeflateOption,
    compression: Optional[str],
) -> None:
    # Compressible but not trivially, so that each fragment holds data.
    big = random_text(MiB, seed=4).encode()
    quarters = [big[i : i + MiB // 4] for i in range(0, MiB, MiB // 4)]
    async with connection(
        node_peer, role, ws_deflate=ws_deflate, compression=compression
    ) as (ws, peer, _):
        # Our side fragments with send(iterable) and send(async iterable).
        await ws.send(["frag", "ment", "ed ☃"])
        assert message_of(await peer.expect_message()) == "fragmented ☃"

        await ws.send([b"\x00\x01", b"", b"\x02"])
        assert message_of(await peer.expect_message()) == b"\x00\x01\x02"

        await ws.send(iter(["😀"]))
        assert message_of(await peer.expect_message()) == "😀"

        async def fragments() -> AsyncIterator[bytes]:
            for quarter in quarters:
                yield quarter

        await ws.send(fragments())
        event = await peer.expect_message()
        assert event["binary"]
        assert event["sha256"] == sha256(big)

        # ws fragments with send(..., {fin: false}), sometimes with a ping
        # between two fragments.
        await peer.send_fragments(["frag", "ment", "ed ☃"])
        assert await recv(ws) == "fragmented ☃"

        await peer.send_fragments([b"\x00\x01", Ping(b"inside"), b"", b"\x02"])
        assert await recv(ws) == b"\x00\x01\x02"
        pong = await peer.expect("pong")
        assert data_of(pong) == b"inside"

        await peer.send_fragments(["😀", Ping(b""), "!"])
        assert await recv(ws) == "😀!"

        await peer.send_fragments(list(quarters))
        assert await recv(ws) == big

        # A message after the fragmented ones proves that the state is reset.
        await round_trip(ws, peer, "after")


@pytest.mark.parametrize("role", ROLES)
async def test_ping_pong(node_peer: NodeFactory, role: str) -> None:
    async with connection(node_peer, role) as (ws, peer, _):
        # Our ping, answered by ws's automatic pong.
        pong_waiter = await ws.ping(b"from ours")
        await asyncio.wait_for(pong_waiter, TIMEOUT)
        ping = await peer.expect("ping")
        assert data_of(ping) == b"from ours"

        pong_waiter = await ws.ping("text ☃")
        await asyncio.wait_for(pong_waiter, TIMEOUT)
        ping = await peer.expect("ping")
        assert data_of(ping) == "text ☃".encode()

        pong_waiter = await ws.ping()
        await asyncio.wait_for(pong_waiter, TIMEOUT)
        ping = await peer.expect("ping")
        assert len(data_of(ping)) == 4

        # ws's ping, answered by our automatic pong while nobody calls recv().
        for data in [b"from ws", b"", bytes(range(125))]:
            await peer.command("ping", **payload(data))
            pong = await peer.expect("pong")
            assert data_of(pong) == data

        await round_trip(ws, peer, "still open")


# (code, reason, exception raised by recv() on our side)
CLOSES = [
    pytest.param(1000, "", websockets.ConnectionClosedOK, id="1000"),
    pytest.param(1001, "going away ☃", websockets.ConnectionClosedOK, id="1001"),
    pytest.param(4000, "bye", websockets.ConnectionClosedError, id="4000-bye"),
]


@pytest.mark.parametrize("code, reason, exception", CLOSES)
@pytest.mark.parametrize("role", ROLES)
async def test_close_from_our_side(
    node_peer: NodeFactory,
    role: str,
    code: int,
    reason: str,
    exception: type[Exception],
) -> None:
    async with connection(node_peer, role) as (ws, peer, _):
        await asyncio.wait_for(ws.close(code, reason), TIMEOUT)
        close = await peer.expect("close")
        assert (close["code"], close["reason"]) == (code, reason)
        # ws echoes the code and reason of the close frame it received.
        assert (ws.close_code, ws.close_reason) == (code, reason)
        with pytest.raises(exception) as raised:
            await recv(ws)
        assert (raised.value.code, raised.value.reason) == (code, reason)  # type: ignore[attr-defined]


@pytest.mark.parametrize("code, reason, exception", CLOSES)
@pytest.mark.parametrize("role", ROLES)
async def test_close_from_ws(
    node_peer: NodeFactory,
    role: str,
    code: int,
    reason: str,
    exception: type[Exception],
) -> None:
    async with connection(node_peer, role) as (ws, peer, _):
        await peer.send("last words")
        await peer.command("close", code=code, reason=reason)
        # Messages sent before the close frame are still delivered.
        assert await recv(ws) == "last words"
        with pytest.raises(exception) as raised:
            await recv(ws)
        assert (raised.value.code, raised.value.reason) == (code, reason)  # type: ignore[attr-defined]
        assert (ws.close_code, ws.close_reason) == (code, reason)
        # Our side echoes the close frame: ws sees the same code and reason.
        close = await peer.expect("close")
        assert (close["code"], close["reason"]) == (code, reason)


@pytest.mark.parametrize("role", ROLES)
async def test_close_without_code_from_ws(node_peer: NodeFactory, role: str) -> None:
    async with connection(node_peer, role) as (ws, peer, _):
        await peer.command("close")
        with pytest.raises(websockets.ConnectionClosed) as raised:
            await recv(ws)
        # RFC 6455 7.1.5: no status code in the close frame reads as 1005.
        assert raised.value.code == 1005  # type: ignore[attr-defined]
        assert (ws.close_code, ws.close_reason) == (1005, "")
        close = await peer.expect("close")
        assert close["code"] in (1000, 1005)


@pytest.mark.parametrize("role", ROLES)
async def test_async_for_ends_on_normal_close(
    node_peer: NodeFactory, role: str
) -> None:
    async with connection(node_peer, role) as (ws, peer, _):
        for message in ["one", b"two", "three"]:
            await peer.send(message)
        await peer.command("close", code=1000, reason="done")

        async def collect() -> list[Union[str, bytes]]:
            return [message async for message in ws]

        assert await asyncio.wait_for(collect(), TIMEOUT) == ["one", b"two", "three"]
        assert (ws.close_code, ws.close_reason) == (1000, "done")


@pytest.mark.parametrize("ws_deflate, compression", DEFLATE_ON_OFF)
@pytest.mark.parametrize("role", ROLES)
async def test_message_too_big(
    node_peer: NodeFactory,
    role: str,
    ws_deflate: DeflateOption,
    compression: Optional[str],
) -> None:
    # Compressed, this message is a few kilobytes: max_size bounds the
    # decompressed size.
    async with connection(
        node_peer, role, ws_deflate=ws_deflate, compression=compression
    ) as (ws, peer, _):
        await peer.send(b"a" * (MiB + 1))
        # ws receives a close frame with code 1009. Unless the message is
        # compressed, ws may still be writing it when the frame's header
        # fails the connection, and the TCP connection closes at once
        # (websockets.closing.fail_connection: the stream can't be parsed):
        # then the system resets it, and ws reports the error of its write
        # instead; what ws saw depends on timing. (websockets 8.1 half-closed
        # and waited for the peer instead: a known difference.)
        try:
            close = await peer.expect("close")
        except PeerError as exc:
            assert compression is None, exc
            assert "EPIPE" in str(exc) or "ECONNRESET" in str(exc), exc
        else:
            assert close["code"] == 1009
        # On our side, failing the connection doesn't wait for ws's close
        # frame, so the code may read as 1006.
        with pytest.raises(websockets.ConnectionClosedError) as raised:
            await recv(ws)
        assert raised.value.code in (1006, 1009)  # type: ignore[attr-defined]


async def test_server_shutdown_sends_going_away(node_peer: NodeFactory) -> None:
    handlers_done = asyncio.Event()

    async def handler(ws: Any, path: str) -> None:
        try:
            await ws.recv()
        except websockets.ConnectionClosedOK:
            handlers_done.set()

    server = await websockets.serve(handler, "127.0.0.1", 0)
    try:
        port = server.sockets[0].getsockname()[1]
        peer = await node_peer("client", {"url": f"ws://127.0.0.1:{port}/"})
        await peer.expect("open")
    finally:
        server.close()
        await asyncio.wait_for(server.wait_closed(), TIMEOUT)
    close = await peer.expect("close")
    assert close["code"] == 1001
    assert handlers_done.is_set()
