"""The closing handshake and failing the connection: RFC 6455, section 7.

:class:`ClosingMixin` holds the methods of
:class:`~websockets.protocol.WebSocketCommonProtocol` that end a connection:
:meth:`~ClosingMixin.close` performs the closing handshake, a close frame
from the peer is echoed, :meth:`~ClosingMixin.fail_connection` fails the
connection synchronously. One deadline, ``close_timeout`` after the
closing handshake starts, bounds the whole closing sequence.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from . import deadlines
from .attributes import ConnectionAttributes
from .close_frame import Close
from .exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidState,
    ProtocolError,
)
from .framing import OP_CLOSE, parse_close, serialize_close
from .state import _PAUSE_QUEUE, _PAUSE_WRITE, State

if TYPE_CHECKING:
    pass

__all__ = ["ClosingMixin"]

# The usual close frame, shared: Close is immutable, and creating one costs
# more than comparing.
_NORMAL_CLOSE = Close(1000, "")

logger = logging.getLogger("websockets.protocol")


class ClosingMixin(ConnectionAttributes):
    """Closing half of a WebSocket connection.

    A mixin of :class:`~websockets.protocol.WebSocketCommonProtocol`;
    :class:`~websockets.attributes.ConnectionAttributes` declares what it
    uses of the others.
    """

    if not TYPE_CHECKING:  # pragma: no branch
        __slots__ = ()

    def _handle_close_frame(self, data: bytes) -> None:
        # RFC 6455 5.5.1: a close frame.
        try:
            code, reason = parse_close(data)
        except ProtocolError as exc:
            self._parser = None
            self.fail_connection(1002, str(exc))
            return
        except UnicodeDecodeError as exc:
            self._parser = None
            self.fail_connection(1007, f"{exc.reason} at position {exc.start}")
            return
        self.close_code = code
        self.close_reason = reason
        self._close_rcvd = (
            _NORMAL_CLOSE if code == 1000 and not reason else Close(code, reason)
        )
        if self._close_sent is not None:
            self._close_rcvd_then_sent = False
        # No frame may follow a close frame.
        self._parser = None
        echo = self.state is State.OPEN
        if echo:
            # RFC 6455 5.5.1: echo the close frame, with the same status code.
            payload = serialize_close(code, reason) if code != 1005 else b""
            self._write_frame(True, OP_CLOSE, payload)
            self._close_frame_sent(code, reason)
            self._set_state(State.CLOSING)
        # Close the TCP connection (on the server side) before waking up
        # recv(): asyncio runs connection_lost() first, so that recv()
        # raises at once instead of waiting for it.
        self._closing_handshake_complete()
        self._set_end_of_stream()
        if echo and (
            self.is_client
            or self.secure is not False
            or self.transport.get_write_buffer_size()
        ):
            # Bound the wait for the end of the TCP connection. A server that
            # closed a plain TCP connection with nothing left to write needs
            # no timer: the transport calls connection_lost() on the next
            # iteration of the loop. (TLS sends close_notify first.)
            self._start_close_deadline()

    def _close_frame_sent(self, code: int, reason: str) -> None:
        # Record it for ConnectionClosed; 1005 stands for an empty frame.
        self._close_sent = (
            _NORMAL_CLOSE if code == 1000 and not reason else Close(code, reason)
        )
        if self._close_rcvd is not None:
            self._close_rcvd_then_sent = True

    def _closing_handshake_complete(self) -> None:
        # RFC 6455 7.1.1: the server closes the TCP connection first; the
        # client waits for it, until the close deadline, then aborts.
        if not self.is_client:
            self.transport.close()

    def fail_connection(self, code: int = 1006, reason: str = "") -> None:
        """Fail the WebSocket connection: RFC 6455 section 7.1.7.

        This is synchronous and idempotent. In the OPEN state, a close frame
        with ``code`` and ``reason`` is sent, unless ``code`` is 1006; then
        the connection waits for the other side's close frame until the close
        deadline. When the incoming stream can't be parsed anymore, or with
        code 1006, the TCP connection is closed right away.
        """
        if self._debug:
            self._log(logger).debug(
                "%s ! failing %s connection with code %d: %s",
                self.side,
                self.state.name,
                code,
                reason,
            )
        self._discard_data = True
        self._set_end_of_stream()
        if self.state is State.OPEN and code != 1006:
            self._write_frame(True, OP_CLOSE, serialize_close(code, reason))
            self._close_frame_sent(code, reason)
            self._set_state(State.CLOSING)
            self._start_close_deadline()
            self._read_until_close_frame()
        if self.state is State.CLOSED:
            return
        if code == 1006 or self.state is State.CONNECTING:
            self._close_transport(abort=True)
        elif self._parser is None:
            # The stream is corrupted: we can't wait for the close frame.
            self.transport.close()

    def _read_until_close_frame(self) -> None:
        # We sent a close frame: the peer's close frame may be stuck behind
        # messages that don't fit in the queue. Read on; the CLOSING state
        # bounds the queue by dropping messages instead of pausing. This
        # runs soon rather than now: fail_connection() may be called while
        # frames are being processed.
        if self._paused_reading & (_PAUSE_QUEUE | _PAUSE_WRITE):
            # No reply to control frames is sent in the CLOSING state.
            self.loop.call_soon(self._resume_reading, _PAUSE_QUEUE | _PAUSE_WRITE)

    def _close_transport(self, abort: bool) -> None:
        try:
            transport = self.transport
        except AttributeError:
            # connection_made() hasn't run: there's no connection to close.
            self.connection_lost(None)
            return
        if abort:
            transport.abort()
        else:
            transport.close()

    def _fail_from_peer(self, code: int, reason: str) -> None:
        """Fail the connection because the peer broke the protocol.

        Messages received before the error are delivered first: the failure
        happens once :meth:`recv` returned them all, which gives the
        application a chance to answer them (the Autobahn Testsuite expects
        an echo server to echo a message followed by an invalid frame), or
        after ``close_timeout`` if the application doesn't read them. Nothing
        received after the error is processed. Without queued messages, the
        connection fails right away.
        """
        if not (self.messages or self._recv_resuming) or self.state is not State.OPEN:
            self.fail_connection(code, reason)
            return
        if self._debug:
            self._log(logger).debug(
                "%s ! will fail with code %d once queued messages are read: %s",
                self.side,
                code,
                reason,
            )
        self._pending_failure = (code, reason)
        self._parser = None
        self._discard_data = True
        self._pending_failure_handle = deadlines.call_later(
            self.loop, self.close_timeout, self._execute_pending_failure
        )

    def _execute_pending_failure(self) -> None:
        pending = self._pending_failure
        if pending is None:
            return
        self._pending_failure = None
        # The timer is set whenever a failure is pending.
        handle = self._pending_failure_handle
        assert handle is not None
        handle.cancel()
        self._pending_failure_handle = None
        self.fail_connection(*pending)

    def _start_close_deadline(self) -> None:
        if self._close_deadline is None:
            self._close_deadline = self.loop.time() + self.close_timeout
            self._close_timer = deadlines.call_later(
                self.loop, self.close_timeout, self._on_close_deadline
            )

    def _on_close_deadline(self) -> None:
        self._close_timer = None
        if self.state is not State.CLOSED:
            self._log(logger).debug("%s ! close deadline expired: aborting", self.side)
            self.transport.abort()

    def _cancel_timers(self) -> None:
        for handle in (
            self._close_timer,
            self._keepalive_handle,
            self._pending_failure_handle,
        ):
            if handle is not None:
                handle.cancel()
        self._close_timer = None
        self._keepalive_handle = None
        self._pending_failure_handle = None
        self._pending_failure = None

    def connection_closed_exc(self) -> ConnectionClosed:
        """Return the exception describing how the connection was closed."""
        code = self.close_code
        assert code is not None
        exc_type = ConnectionClosedOK if code in (1000, 1001) else ConnectionClosedError
        return exc_type(
            code,
            self.close_reason,
            self._close_rcvd,
            self._close_sent,
            self._close_rcvd_then_sent,
        )

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Perform the closing handshake.

        :meth:`close` waits for the other end to complete the handshake and
        for the TCP connection to terminate, all within ``close_timeout``
        seconds; then it aborts the TCP connection. There's no need to await
        :meth:`wait_closed` after :meth:`close`.

        :meth:`close` is idempotent: it doesn't do anything once the
        connection is closed. Wrapping it in :func:`~asyncio.create_task` is
        safe. Canceling it is discouraged; set a shorter ``close_timeout``
        instead.

        :param code: WebSocket close code
        :param reason: WebSocket close reason
        """
        if self.state is State.OPEN:
            # Validate before changing any state: ProtocolError for a code
            # that can't be sent on the wire.
            payload = serialize_close(code, reason)
            # Like websockets 8.1, write the close frame on the next
            # iteration of the event loop. What was scheduled before comes
            # first: when a framework closes the transport because its
            # application crashed (uvicorn does), the peer must see an
            # abnormal closure (1006), not a clean close frame.
            await asyncio.sleep(0)
            if self.state is State.OPEN:
                if self.transport.is_closing():
                    # No close frame can go out: the closing handshake
                    # can't happen. Wait for connection_lost().
                    self._start_close_deadline()
                else:
                    self._write_frame(True, OP_CLOSE, payload)
                    self._close_frame_sent(code, reason)
                    self._set_state(State.CLOSING)
                    self._start_close_deadline()
                    self._read_until_close_frame()
        elif self.state is State.CONNECTING:
            self._start_close_deadline()
            self._close_transport(abort=False)
        waiter = self.connection_lost_waiter
        if not waiter.done():
            # Cancelling close() mustn't cancel the waiter.
            await asyncio.shield(waiter)

    async def wait_closed(self) -> None:
        """Wait until the connection is closed.

        This is identical to :attr:`closed`, except it can be awaited.
        """
        await asyncio.shield(self.connection_lost_waiter)

    async def ensure_open(self) -> None:
        """Check that the connection is usable.

        :raises ~websockets.exceptions.ConnectionClosed: when the connection
            is closing or closed; during the closing handshake, once it's
            complete and the TCP connection is closed, within
            ``close_timeout``, like in websockets 8.1
        :raises ~websockets.exceptions.InvalidState: during the opening
            handshake
        """
        state = self.state
        if state is State.OPEN:
            return
        if state is State.CONNECTING:
            raise InvalidState("WebSocket connection isn't established yet")
        if state is State.CLOSING:
            # The close deadline bounds this wait.
            await asyncio.shield(self.connection_lost_waiter)
        raise self.connection_closed_exc()
