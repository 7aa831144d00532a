"""When :meth:`recv` and :meth:`ensure_open` raise after a close frame.

Like websockets 8.1, they raise :exc:`~websockets.exceptions.ConnectionClosed`
once the closing handshake is complete and the TCP connection is closed, so
that the exception carries the final close code and the transport is gone
(GraphQL-over-WebSocket clients such as gql rely on this order). The wait is
bounded by ``close_timeout``: one deadline, started when the closing
handshake starts, not 8.1's 4-5 times ``close_timeout``.

Raw peers on loopback sockets control when the TCP connection closes.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, List

import pytest

from websockets.client import connect
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK
from websockets.framing import OP_CLOSE, serialize_close, serialize_frame
from websockets.protocol import State, WebSocketCommonProtocol
from websockets.server import WebSocketServerProtocol

from .utils import TIMEOUT, parse_request, port_of, raw_websocket, response_101, serving


class CloseThenLinger:
    """A raw server that sends a close frame, reads the client's, and keeps
    the TCP connection open until :attr:`release` is set (or forever)."""

    def __init__(self, code: int = 1000, reason: str = "bye") -> None:
        self.code = code
        self.reason = reason
        self.release = asyncio.Event()
        self.got_close = asyncio.Event()
        self.writers: List[asyncio.StreamWriter] = []

    async def handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.writers.append(writer)
        data = await reader.readuntil(b"\r\n\r\n")
        _, headers = parse_request(data[:-4])
        writer.write(response_101(headers))
        await reader.read(0)
        self.send_close = lambda: writer.write(
            serialize_frame(
                0x80 | OP_CLOSE, serialize_close(self.code, self.reason), False
            )
        )
        try:
            # The client's close frame, masked: 2 + 4 + 2 + len(reason).
            await reader.readexactly(8 + len(self.reason))
            self.got_close.set()
            await self.release.wait()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return f"ws://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/"

    async def __aexit__(self, *exc_info: Any) -> None:
        self.release.set()
        self.server.close()
        await self.server.wait_closed()


async def wait_until(predicate: Callable[[], bool]) -> None:
    for _ in range(500):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")  # pragma: no cover


Operation = Callable[[WebSocketCommonProtocol], Awaitable[Any]]
OPERATIONS: List[Operation] = [
    lambda ws: ws.recv(),
    lambda ws: ws.ensure_open(),
    lambda ws: ws.send("late"),
    lambda ws: ws.ping(),
]


@pytest.mark.parametrize(
    "operation", OPERATIONS, ids=["recv", "ensure_open", "send", "ping"]
)
async def test_client_raises_once_tcp_is_closed(operation: Operation) -> None:
    peer = CloseThenLinger()
    async with peer as uri:
        ws = await connect(uri, compression=None, close_timeout=TIMEOUT)
        # recv() waits for a message when the close frame arrives.
        waiting = asyncio.ensure_future(ws.recv())
        await wait_until(lambda: hasattr(peer, "send_close"))
        peer.send_close()
        # The client answered the close frame; the TCP connection is open.
        await asyncio.wait_for(peer.got_close.wait(), TIMEOUT)
        assert ws.state is State.CLOSING
        assert ws.close_code == 1000
        pending = asyncio.ensure_future(operation(ws))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        assert not pending.done()
        # The server closes the TCP connection: now it raises, with the
        # final state.
        peer.release.set()
        for task in (waiting, pending):
            with pytest.raises(ConnectionClosedOK) as raised:
                await asyncio.wait_for(task, TIMEOUT)
            assert (raised.value.code, raised.value.reason) == (1000, "bye")
        assert ws.state is State.CLOSED
        assert ws.transport.is_closing()


async def test_client_raises_at_close_deadline_if_tcp_stays_open() -> None:
    peer = CloseThenLinger(code=4000, reason="gone")
    async with peer as uri:
        ws = await connect(uri, compression=None, close_timeout=0.5)
        loop = asyncio.get_running_loop()
        await wait_until(lambda: hasattr(peer, "send_close"))
        peer.send_close()
        start = loop.time()
        with pytest.raises(ConnectionClosedError) as raised:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        elapsed = loop.time() - start
        # One close deadline, not several: aborted after close_timeout.
        assert 0.3 < elapsed < 2.0
        assert raised.value.code == 4000
        assert ws.state is State.CLOSED
        # Once closed, it raises right away.
        with pytest.raises(ConnectionClosedError):
            await ws.ensure_open()


async def test_server_recv_raises_once_tcp_is_closed() -> None:
    # The server closes the TCP connection as soon as it echoed the close
    # frame: the handler's recv() raises with the connection closed.
    results: List[Any] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        try:
            await ws.recv()
        except ConnectionClosedOK as exc:
            results.append((exc.code, ws.state, ws.transport.is_closing()))

    async with serving(handler, compression=None) as server:
        reader, writer = await raw_websocket(port_of(server))
        mask = b"\x00\x00\x00\x00"
        writer.write(bytes([0x88, 0x82]) + mask + serialize_close(1001, ""))
        assert await asyncio.wait_for(reader.read(), TIMEOUT) == serialize_frame(
            0x88, serialize_close(1001, ""), False
        )
        writer.close()
        await wait_until(lambda: bool(results))
    assert results == [(1001, State.CLOSED, True)]


async def test_legacy_recv_returns_none_at_close_frame() -> None:
    # legacy_recv (deprecated) keeps returning None at the end of the stream.
    peer = CloseThenLinger()
    async with peer as uri:
        with pytest.warns(DeprecationWarning):
            ws = await connect(uri, compression=None, legacy_recv=True)
        await wait_until(lambda: hasattr(peer, "send_close"))
        peer.send_close()
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) is None
        peer.release.set()
        await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
