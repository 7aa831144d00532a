"""ConnectionClosed tells which close frames were received and sent:
unit tests of Close and ConnectionClosed, and loopback tests of what each
side of a real connection reports."""

from __future__ import annotations

import asyncio
from typing import Any, List, Optional, Tuple

import pytest

from websockets.client import connect
from websockets.close_frame import Close, explain_close_code
from websockets.exceptions import (
    CLOSE_CODES,
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
)
from websockets.framing import OP_CLOSE, serialize_close
from websockets.protocol import State, WebSocketCommonProtocol
from websockets.server import WebSocketServerProtocol

from .protocol_helpers import FakeTransport, close_frames, open_protocol, peer_frame
from .utils import TIMEOUT, port_of, raw_websocket, read_frame, serving, uri_of


async def within(aw: Any) -> Any:
    return await asyncio.wait_for(aw, TIMEOUT)


# Units


def test_close_str() -> None:
    assert str(Close(1000, "")) == "1000 (OK)"
    assert str(Close(1001, "bye")) == "1001 (going away) bye"
    assert str(Close(1005, "")) == "1005 (no status code [internal])"
    assert str(Close(3000, "")) == "3000 (registered)"
    assert str(Close(4000, "x")) == "4000 (private use) x"
    assert str(Close(2999, "")) == "2999 (unknown)"
    assert explain_close_code(1012) == "service restart" == CLOSE_CODES[1012]


def test_close_is_a_small_value() -> None:
    assert Close(1000, "") == Close(1000, "")
    with pytest.raises(AttributeError):
        Close(1000, "").code = 1001  # type: ignore[misc]


def test_8_1_constructor_keeps_its_meaning() -> None:
    exc = ConnectionClosed(1000, "")
    assert (exc.code, exc.reason) == (1000, "")
    assert str(exc) == "code = 1000 (OK), no reason"
    assert exc.rcvd == Close(1000, "")
    assert exc.sent is None
    assert exc.rcvd_then_sent is None
    lost = ConnectionClosedError(1006, "")
    assert lost.rcvd is None and lost.sent is None
    assert (
        str(lost) == "code = 1006 (connection closed abnormally [internal]), no reason"
    )


@pytest.mark.parametrize(
    "rcvd, sent, rcvd_then_sent, message",
    [
        (
            Close(1000, ""),
            Close(1000, ""),
            False,
            "sent 1000 (OK); then received 1000 (OK)",
        ),
        (
            Close(1001, ""),
            Close(1001, ""),
            True,
            "received 1001 (going away); then sent 1001 (going away)",
        ),
        (None, None, None, "no close frame received or sent"),
        (
            None,
            Close(1002, "bad"),
            None,
            "sent 1002 (protocol error) bad; no close frame received",
        ),
        (
            Close(1011, ""),
            None,
            None,
            "received 1011 (unexpected error); no close frame sent",
        ),
    ],
)
def test_words(rcvd: Any, sent: Any, rcvd_then_sent: Any, message: str) -> None:
    code = 1006 if rcvd is None else rcvd.code
    exc = ConnectionClosed(code, "", rcvd, sent, rcvd_then_sent)
    assert str(exc) == message
    assert (exc.rcvd, exc.sent, exc.rcvd_then_sent) == (rcvd, sent, rcvd_then_sent)


def test_keywords() -> None:
    exc = ConnectionClosedOK(1000, "", sent=Close(1000, ""))
    assert exc.rcvd is None
    assert str(exc) == "sent 1000 (OK); no close frame received"
    exc = ConnectionClosedOK(1000, "", rcvd=Close(1000, ""))
    assert exc.sent is None
    assert str(exc) == "received 1000 (OK); no close frame sent"


# Loopback


async def test_client_closes() -> None:
    server_exc: List[ConnectionClosed] = []

    async def handler(ws: WebSocketServerProtocol) -> None:
        try:
            await ws.recv()
        except ConnectionClosed as exc:
            server_exc.append(exc)

    async with serving(handler) as server:
        async with connect(uri_of(server)) as ws:
            pass
        with pytest.raises(ConnectionClosedOK) as exc_info:
            await ws.recv()
    client_exc = exc_info.value
    assert str(client_exc) == "sent 1000 (OK); then received 1000 (OK)"
    assert client_exc.rcvd_then_sent is False
    assert (client_exc.code, client_exc.reason) == (1000, "")
    (exc,) = server_exc
    assert str(exc) == "received 1000 (OK); then sent 1000 (OK)"
    assert exc.rcvd == exc.sent == Close(1000, "")
    assert exc.rcvd_then_sent is True


async def test_server_shuts_down() -> None:
    async with serving() as server, connect(uri_of(server)) as ws:
        server.close(code=1012, reason="restart")
        with pytest.raises(ConnectionClosedError) as exc_info:
            await within(ws.recv())
    assert str(exc_info.value) == (
        "received 1012 (service restart) restart; "
        "then sent 1012 (service restart) restart"
    )
    assert (exc_info.value.code, exc_info.value.reason) == (1012, "restart")


async def test_empty_close_frame() -> None:
    async with serving() as server:
        reader, writer = await raw_websocket(port_of(server))
        (ws,) = server.websockets
        # A masked close frame without payload.
        writer.write(b"\x88\x80\x00\x00\x00\x00")
        assert await read_frame(reader) == (0x8, b"")
        await within(ws.wait_closed())
        writer.close()
    exc = ws.connection_closed_exc()
    assert exc.code == 1005
    assert exc.rcvd == exc.sent == Close(1005, "")
    assert str(exc) == (
        "received 1005 (no status code [internal]); "
        "then sent 1005 (no status code [internal])"
    )


async def test_connection_lost() -> None:
    server_exc: List[ConnectionClosed] = []

    async def handler(ws: WebSocketServerProtocol) -> None:
        try:
            await ws.recv()
        except ConnectionClosed as exc:
            server_exc.append(exc)

    async with serving(handler) as server:
        ws = await connect(uri_of(server))
        (server_ws,) = server.websockets
        ws.transport.abort()
        await within(server_ws.wait_closed())
    (exc,) = server_exc
    assert isinstance(exc, ConnectionClosedError)
    assert str(exc) == "no close frame received or sent"
    assert exc.code == 1006


async def test_close_frame_not_answered() -> None:
    # The server sends a close frame; the raw client never answers.
    async with serving(close_timeout=0.2) as server:
        _reader, writer = await raw_websocket(port_of(server))
        (ws,) = server.websockets
        await within(ws.close(4000, "private"))
        writer.close()
    exc = ws.connection_closed_exc()
    assert str(exc) == "sent 4000 (private use) private; no close frame received"
    assert exc.code == 1006


class TestCloseDeadlineAfterEcho:
    """A server that echoes the peer's close frame closes the TCP connection;
    the close deadline bounds the wait for it, unless nothing can delay it."""

    @staticmethod
    async def echo(
        is_client: bool, secure: Optional[bool], buffered: int
    ) -> Tuple[WebSocketCommonProtocol, FakeTransport]:
        protocol, transport = open_protocol(is_client, secure=secure)
        transport.buffer_size = buffered
        protocol.data_received(
            peer_frame(protocol, OP_CLOSE, serialize_close(1000, "bye"))
        )
        assert close_frames(protocol, transport) == [(1000, "bye")]
        return protocol, transport

    async def test_plain_tcp_server_needs_no_timer(self) -> None:
        protocol, transport = await self.echo(False, secure=False, buffered=0)
        assert transport.close_called == 1
        assert protocol._close_timer is None
        await protocol.wait_closed()
        assert protocol.close_code == 1000

    async def test_timer_while_bytes_wait_to_be_written(self) -> None:
        protocol, _ = await self.echo(False, secure=False, buffered=10)
        assert protocol._close_timer is not None
        await protocol.wait_closed()
        assert protocol._close_timer is None

    @pytest.mark.parametrize("secure", [True, None])
    async def test_timer_with_tls_or_unknown(self, secure: Optional[bool]) -> None:
        # TLS sends close_notify; None: created by a framework, which didn't
        # say.
        protocol, _ = await self.echo(False, secure=secure, buffered=0)
        assert protocol._close_timer is not None
        await protocol.wait_closed()

    async def test_timer_on_the_client(self) -> None:
        # The client waits for the server to close the TCP connection.
        protocol, transport = await self.echo(True, secure=False, buffered=0)
        assert transport.close_called == 0
        assert protocol._close_timer is not None
        protocol.connection_lost(None)
        assert protocol._close_timer is None


async def test_recv_raises_right_after_the_close_frame() -> None:
    # The server closes the TCP connection before waking up recv(): it raises
    # on the next loop turn, with the final close code, without waiting for
    # connection_lost() in another turn.
    protocol, _ = open_protocol(secure=False)
    recv = asyncio.ensure_future(protocol.recv())
    await asyncio.sleep(0)
    protocol.data_received(peer_frame(protocol, OP_CLOSE, serialize_close(1000, "")))
    await asyncio.sleep(0)
    assert recv.done()
    assert isinstance(recv.exception(), ConnectionClosedOK)
    assert protocol.state is State.CLOSED
