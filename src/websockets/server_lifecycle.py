"""The object returned by :func:`~websockets.server.serve`:
:class:`WebSocketServer` tracks connections and runs the server's lifecycle.

It lives in its own module to keep :mod:`websockets.server` small; it's
re-exported from there, so ``websockets.server.WebSocketServer`` still works.
"""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING, List, Optional, Set, Tuple

from .eventloop import get_loop
from .framing import serialize_close
from .protocol import State

if TYPE_CHECKING:  # pragma: no cover
    from .server import WebSocketServerProtocol

__all__ = ["WebSocketServer"]


class WebSocketServer:
    """WebSocket server returned by :func:`serve`.

    This class provides the same interface as :class:`~asyncio.Server`,
    namely the :meth:`close` and :meth:`wait_closed` methods. It keeps track
    of WebSocket connections in :attr:`websockets` in order to close them
    properly when shutting down.

    New in this version, like :class:`~asyncio.Server`:
    :meth:`serve_forever`, :meth:`start_serving` and :meth:`is_serving`;
    :attr:`connections` is the set of open connections, for example to
    :func:`~websockets.broadcasting.broadcast` a message to every client; :meth:`close`
    accepts ``close_connections``, ``code`` and ``reason``.

    Like in websockets 8.1, the server belongs to an event loop, which
    :meth:`close` uses: it may be called from synchronous code, outside of
    any running loop, followed by
    ``loop.run_until_complete(server.wait_closed())``.

    :param loop: event loop of the server; by default, the loop of the
        :class:`~asyncio.Server` passed to ``wrap()``
    """

    def __init__(self, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        self._loop = loop
        #: Open connections and connections in the opening handshake.
        self.websockets: Set[WebSocketServerProtocol] = set()
        #: ``True`` once :meth:`close` was called.
        self.closing = False
        self.server: Optional[asyncio.base_events.Server] = None
        self._close_task: Optional[asyncio.Task[None]] = None
        self._closed_waiter: Optional[asyncio.Future[None]] = None
        # (code, reason) once close() was asked to close open connections.
        self._close_args: Optional[Tuple[int, str]] = None
        self._close_connections_task: Optional[asyncio.Task[None]] = None
        self._serving_forever = False

    def wrap(self, server: asyncio.base_events.Server) -> None:
        """Attach the :class:`~asyncio.Server` created by ``create_server()``."""
        self.server = server
        self._loop = server.get_loop()

    def register(self, protocol: WebSocketServerProtocol) -> None:
        """Track a new connection."""
        self.websockets.add(protocol)
        if self.closing:
            # Accepted just before close() but connection_made() ran after
            # close() looked at the connections.
            protocol._server_shutdown()

    def unregister(self, protocol: WebSocketServerProtocol) -> None:
        """Stop tracking a connection."""
        self.websockets.discard(protocol)

    @property
    def connections(self) -> Set[WebSocketServerProtocol]:
        """Set of open connections: those whose opening handshake completed
        and whose closing handshake hasn't started.

        It's a new set at each access: connections may open and close while
        the caller iterates over it. New in this version.
        """
        return {ws for ws in self.websockets if ws.state is State.OPEN}

    def is_serving(self) -> bool:
        """Tell whether the server accepts new connections.

        ``False`` once :meth:`close` was called, and before
        :meth:`start_serving` when :func:`serve` got ``start_serving=False``.
        """
        if self.closing:
            return False
        return self.server is None or self.server.is_serving()

    async def start_serving(self) -> None:
        """Start accepting connections.

        :func:`serve` starts accepting connections right away, unless it got
        ``start_serving=False`` (passed to
        :meth:`~asyncio.loop.create_server`). This method is idempotent.
        New in this version.
        """
        if self.server is not None:
            await self.server.start_serving()

    async def serve_forever(self) -> None:
        """Accept connections until the server is closed.

        It starts serving if needed, then returns when the server is closed,
        for example by :meth:`close` called from a signal handler.
        Cancelling it closes the server gracefully (open connections receive
        a close frame with code 1001) and waits until it's closed, then
        re-raises :exc:`~asyncio.CancelledError`. New in this version::

            async with serve(handler, "localhost", 8765) as server:
                await server.serve_forever()

        :raises RuntimeError: if the server is closed or if
            :meth:`serve_forever` is already running
        """
        if self.closing:
            raise RuntimeError("server is closed")
        if self._serving_forever:
            raise RuntimeError("serve_forever() is already running")
        self._serving_forever = True
        try:
            await self.start_serving()
            await self.wait_closed()
        except asyncio.CancelledError:
            self.close()
            await self.wait_closed()
            raise
        finally:
            self._serving_forever = False

    def close(
        self, close_connections: bool = True, *, code: int = 1001, reason: str = ""
    ) -> None:
        """Close the server.

        This method closes the underlying :class:`~asyncio.Server`, rejects
        new WebSocket connections with an HTTP 503 (service unavailable)
        error (this happens when the server accepted the TCP connection but
        didn't complete the opening handshake prior to closing) and closes
        open WebSocket connections with close code 1001 (going away).

        New in this version: with ``close_connections=False``, open
        connections stay open and their handlers run until they finish;
        :meth:`wait_closed` waits for them. A later call with
        ``close_connections=True`` closes those still open. ``code`` and
        ``reason`` set the close frame sent to open connections, for example
        ``code=1012`` (service restart) to tell clients that they may
        reconnect.

        :meth:`close` is idempotent.

        :param close_connections: whether to close open connections
        :param code: close code sent to open connections
        :param reason: close reason sent to open connections
        :raises ~websockets.exceptions.ProtocolError: if ``code`` can't be
            sent in a close frame
        """
        if close_connections:
            # Validate before changing any state.
            serialize_close(code, reason)
        # Like 8.1: the server's loop, even from synchronous code.
        loop = get_loop(self._loop)
        if self._close_task is None:
            self.closing = True
            if close_connections:
                self._close_args = (code, reason)
            self._close_task = loop.create_task(self._close())
        elif close_connections and self._close_args is None:
            # Closing already, without closing connections: close them now.
            self._close_args = (code, reason)
            self._close_connections_task = loop.create_task(
                self._close_connections(code, reason)
            )

    async def _close(self) -> None:
        if self.server is not None:
            self.server.close()
        for websocket in list(self.websockets):
            websocket._server_shutdown()
        if self._close_args is not None:
            await self._close_connections(*self._close_args)
        # Connections registered meanwhile (accepted before the listening
        # sockets closed) are rejected with 503 by register(): wait for
        # their handlers too, until none is left. Without closing
        # connections, this waits until their handlers finish.
        while True:
            handler_tasks = [
                websocket.handler_task
                for websocket in self.websockets
                if not websocket.handler_task.done()
            ]
            if not handler_tasks:
                break
            await asyncio.wait(handler_tasks)
        if self.server is not None:
            await self.server.wait_closed()
        self._get_closed_waiter().set_result(None)

    async def _close_connections(self, code: int, reason: str) -> None:
        close_tasks = [
            asyncio.ensure_future(websocket.close(code, reason))
            for websocket in list(self.websockets)
            if websocket.state is State.OPEN
        ]
        if close_tasks:
            await asyncio.wait(close_tasks)

    def _get_closed_waiter(self) -> asyncio.Future[None]:
        if self._closed_waiter is None:
            self._closed_waiter = get_loop(self._loop).create_future()
        return self._closed_waiter

    async def wait_closed(self) -> None:
        """Wait until the server is closed.

        When :meth:`wait_closed` returns, all TCP connections are closed and
        all connection handlers have returned.
        """
        await asyncio.shield(self._get_closed_waiter())

    @property
    def sockets(self) -> Optional[List[socket.socket]]:
        """List of :class:`~socket.socket` objects the server is listening
        to; ``None`` if the server is closed."""
        if self.server is None or self.closing:
            return None
        return list(self.server.sockets)
