"""The object returned by :func:`~websockets.server.serve`:
:class:`WebSocketServer` tracks connections and runs the server's lifecycle.

It lives in its own module to keep :mod:`websockets.server` small; it's
re-exported from there, so ``websockets.server.WebSocketServer`` still works.
"""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING, List, Optional, Set

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

    :param loop: accepted for backwards compatibility and ignored
    """

    def __init__(self, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        #: Open connections and connections in the opening handshake.
        self.websockets: Set[WebSocketServerProtocol] = set()
        #: ``True`` once :meth:`close` was called.
        self.closing = False
        self.server: Optional[asyncio.base_events.Server] = None
        self._close_task: Optional[asyncio.Task[None]] = None
        self._closed_waiter: Optional[asyncio.Future[None]] = None

    def wrap(self, server: asyncio.base_events.Server) -> None:
        """Attach the :class:`~asyncio.Server` created by ``create_server()``."""
        self.server = server

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

    def is_serving(self) -> bool:
        """Tell whether the server accepts new connections."""
        return not self.closing

    def close(self) -> None:
        """Close the server.

        This method closes the underlying :class:`~asyncio.Server`, rejects
        new WebSocket connections with an HTTP 503 (service unavailable)
        error (this happens when the server accepted the TCP connection but
        didn't complete the opening handshake prior to closing) and closes
        open WebSocket connections with close code 1001 (going away).

        :meth:`close` is idempotent.
        """
        if self._close_task is None:
            self.closing = True
            self._close_task = asyncio.get_running_loop().create_task(self._close())

    async def _close(self) -> None:
        if self.server is not None:
            self.server.close()
        for websocket in list(self.websockets):
            websocket._server_shutdown()
        close_tasks = [
            asyncio.ensure_future(websocket.close(1001))
            for websocket in list(self.websockets)
            if websocket.state is State.OPEN
        ]
        if close_tasks:
            await asyncio.wait(close_tasks)
        # Connections registered meanwhile (accepted before the listening
        # sockets closed) are rejected with 503 by register(): wait for
        # their handlers too, until none is left.
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

    def _get_closed_waiter(self) -> asyncio.Future[None]:
        if self._closed_waiter is None:
            self._closed_waiter = asyncio.get_running_loop().create_future()
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
