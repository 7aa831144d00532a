"""Buffer for the bytes of the opening handshake.

During the opening handshake, :class:`~websockets.protocol.WebSocketCommonProtocol`
feeds incoming bytes to a :class:`StreamBuffer`, from which
:func:`~websockets.http.read_request` and :func:`~websockets.http.read_response`
read lines. Once the connection is open, whatever follows the handshake is
handed over to the frame parser with :meth:`StreamBuffer.take`.

The protocol stops reading from the transport when the buffer holds
``read_limit`` bytes; :attr:`StreamBuffer.on_wait` lets it read again when a
reader needs more bytes than the buffer holds.
"""

from __future__ import annotations

import asyncio
from typing import Callable, Optional

__all__ = ["StreamBuffer"]


class StreamBuffer:
    """Minimal replacement for :class:`asyncio.StreamReader`.

    :param limit: :meth:`readline` returns at most ``limit`` bytes, even when
        no newline was found, so that callers can enforce line length limits
        without buffering an unbounded amount of data

    .. attribute:: on_wait

        Called without arguments when a read must wait for more bytes;
        ``None`` by default.
    """

    __slots__ = ["_buffer", "_eof", "_loop", "_waiter", "limit", "on_wait"]

    def __init__(
        self, limit: int, loop: Optional[asyncio.AbstractEventLoop] = None
    ) -> None:
        self.limit = limit
        # Else the running loop, when a read must wait.
        self._loop = loop
        self._buffer = bytearray()
        self._eof = False
        self._waiter: Optional[asyncio.Future[None]] = None
        self.on_wait: Optional[Callable[[], None]] = None

    def _wakeup(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def feed_data(self, data: bytes) -> None:
        """Append bytes to the buffer."""
        self._buffer += data
        self._wakeup()

    def feed_eof(self) -> None:
        """Signal the end of the stream."""
        self._eof = True
        if self._waiter is not None:
            self._wakeup()

    def at_eof(self) -> bool:
        """Return ``True`` if the buffer is empty and the stream ended."""
        return self._eof and not self._buffer

    def buffered(self) -> int:
        """Return the number of bytes waiting in the buffer."""
        return len(self._buffer)

    async def _wait(self) -> None:
        assert self._waiter is None, "concurrent reads aren't supported"
        if self.on_wait is not None:
            self.on_wait()
        loop = self._loop
        if loop is None:
            loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    async def readline(self) -> bytes:
        """Read a line ending with ``b"\\n"``.

        Return fewer bytes, without a newline, at the end of the stream or
        when the line is longer than ``limit``.
        """
        start = 0
        while True:
            pos = self._buffer.find(b"\n", start)
            if pos >= 0:
                end = pos + 1
                break
            if len(self._buffer) >= self.limit or self._eof:
                end = len(self._buffer)
                break
            start = len(self._buffer)
            await self._wait()
        end = min(end, self.limit)
        line = bytes(self._buffer[:end])
        del self._buffer[:end]
        return line

    async def readexactly(self, n: int) -> bytes:
        """Read exactly ``n`` bytes.

        :raises asyncio.IncompleteReadError: if the stream ends first
        """
        while len(self._buffer) < n:
            if self._eof:
                partial = bytes(self._buffer)
                self._buffer.clear()
                raise asyncio.IncompleteReadError(partial, n)
            await self._wait()
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    async def wait_for_data(self) -> None:
        """Wait until some bytes are buffered or the stream ended."""
        if not self._buffer and not self._eof:
            await self._wait()

    def contents(self) -> bytearray:
        """Return the buffer itself, for parsing in place: don't keep it."""
        return self._buffer

    def find(self, sub: bytes) -> int:
        """Return the position of ``sub`` in the buffered bytes, or -1."""
        return self._buffer.find(sub)

    def peek(self, n: int) -> bytes:
        """Return the first ``n`` buffered bytes without removing them."""
        return bytes(self._buffer[:n])

    def discard(self, n: int) -> None:
        """Remove the first ``n`` buffered bytes."""
        del self._buffer[:n]

    def take(self) -> bytes:
        """Remove and return every buffered byte."""
        if not self._buffer:
            return b""
        data = bytes(self._buffer)
        self._buffer.clear()
        return data
