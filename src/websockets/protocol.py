"""The data transfer phase of a WebSocket connection: RFC 6455, sections 5-8.

:class:`WebSocketCommonProtocol` is an :class:`asyncio.Protocol`. Incoming
bytes are parsed synchronously in :meth:`~WebSocketCommonProtocol.data_received`
by an incremental frame parser: control frames are handled on the spot and
complete messages go to a bounded queue that :meth:`~WebSocketCommonProtocol.recv`
reads. There's no task per connection and no coroutine per frame.

Every state transition happens in a synchronous method, so no coroutine can
observe a half-made transition:

.. code-block:: text

    CONNECTING --connection_open()--> OPEN
    OPEN --send or receive a close frame, fail_connection()--> CLOSING
    any state --connection_lost()--> CLOSED
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import warnings
from collections import deque
from typing import (
    TYPE_CHECKING,
    Any,
    Deque,
    List,
    Optional,
    Tuple,
    Union,
)

from . import allocator
from .assembly import MessageAssembler, MessageStream
from .close_frame import Close
from .closing import ClosingMixin
from .datastructures import Headers
from .deadlines import Timer
from .eventloop import get_loop
from .exceptions import (
    InvalidState,
)
from .extensions.base import Extension
from .frame_parser import FrameParser
from .http import MAX_LINE
from .incoming import IncomingMixin
from .keepalive import KeepaliveMixin
from .log import ConnectionLogger, LoggerLike
from .receiving import ReceiverMixin
from .sending import SenderMixin
from .state import (
    _PAUSE_HANDSHAKE,
    _PAUSE_WRITE,
    State,
)
from .streams import StreamBuffer
from .typing import Data, MaxSize, Subprotocol
from .utils import ParseWholeFrame, parse_whole_frame

# The transport of TCP connections on the standard library's event loops.
_SELECTOR_TRANSPORT = asyncio.selector_events._SelectorSocketTransport  # type: ignore[attr-defined]

__all__ = ["State", "WebSocketCommonProtocol"]

_logger = logging.getLogger("websockets.protocol")
logger = _logger  # websockets.protocol.logger, as in 8.1


class WebSocketCommonProtocol(
    IncomingMixin,
    ReceiverMixin,
    SenderMixin,
    ClosingMixin,
    KeepaliveMixin,
    asyncio.Protocol,
):
    """:class:`~asyncio.Protocol` subclass implementing the data transfer
    phase.

    Once the WebSocket connection is established, during the data transfer
    phase, the protocol is almost symmetrical between the server side and the
    client side. :class:`WebSocketCommonProtocol` implements logic that's
    shared between servers and clients. Subclasses such as
    :class:`~websockets.server.WebSocketServerProtocol` and
    :class:`~websockets.client.WebSocketClientProtocol` implement the opening
    handshake, then call :meth:`connection_open`.

    :class:`WebSocketCommonProtocol` parses incoming frames as they arrive,
    queues data frames for :meth:`recv`, sends outgoing frames with
    :meth:`send`, deals with control frames automatically and performs the
    closing handshake.

    It supports asynchronous iteration::

        async for message in websocket:
            await process(message)

    The iterator yields incoming messages. It exits normally when the
    connection is closed with the close code 1000 (OK) or 1001 (going away).
    It raises a :exc:`~websockets.exceptions.ConnectionClosedError` exception
    when the connection is closed with any other code.

    Once the connection is open, a Ping frame is sent every ``ping_interval``
    seconds. This serves as a keepalive. Set ``ping_interval`` to ``None`` to
    disable this behavior. If the corresponding Pong frame isn't received
    within ``ping_timeout`` seconds, and no other data arrived meanwhile, the
    connection is considered unusable and is closed with code 1011. Set
    ``ping_timeout`` to ``None`` to disable this behavior. Any data received
    while waiting for the pong proves that the peer is alive and extends the
    wait by ``ping_timeout`` (new in this version: a peer busy sending a
    large message isn't closed). :attr:`latency` holds the round-trip time
    of the last ping acknowledged.

    ``close_timeout`` is the maximum time in seconds for completing the
    closing handshake and terminating the TCP connection. Unlike websockets
    8.1, where :meth:`close` could take up to four or five times
    ``close_timeout``, a single deadline covers the whole closing sequence.
    It defaults to 10 seconds.

    ``max_size`` is the maximum size of incoming messages in bytes, 1 MiB by
    default; ``None`` disables the limit. A larger message fails the
    connection with code 1009 and :meth:`recv` raises
    :exc:`~websockets.exceptions.ConnectionClosedError`. The limit is
    enforced as frames arrive: an oversized payload is never buffered. A
    fragmented message may have at most ``max_size`` fragments. ``max_size``
    may also be a ``(message_limit, fragment_limit)`` pair, either of them
    ``None`` (new in this version): ``fragment_limit`` bounds each frame,
    which bounds memory with :meth:`recv_streaming`; ``max_size=(None,
    2 ** 16)`` streams messages of any size in fragments of up to 64 KiB.

    ``max_queue`` is the maximum number of incoming messages waiting for
    :meth:`recv`, 32 by default; ``None`` disables the limit. When the queue
    is full, the protocol stops reading from the transport, so the TCP
    receive window shrinks and a fast sender is slowed down. Each connection
    may thus use up to ``4 * max_size * max_queue`` bytes of memory for
    incoming messages (128 MiB by default).

    ``read_limit`` bounds the buffer of the opening handshake, 64 KiB by
    default: above it, the protocol stops reading until the handshake is
    done. ``write_limit`` is the high-water mark of the transport's write
    buffer, 64 KiB by default; the low-water mark is a quarter of it.
    :meth:`send` waits when the buffer is above the high-water mark, and the
    protocol stops reading when a pong or a close frame that it sends in
    reply goes above it.

    ``loop`` is the event loop the connection belongs to: by default, the
    running loop or, when none is running, the current event loop. Like in
    websockets 8.1, it's accepted without a warning. ``timeout`` is a
    deprecated alias of
    ``close_timeout``. ``legacy_recv=True`` makes :meth:`recv` return
    ``None`` at the end of the message stream instead of raising
    :exc:`~websockets.exceptions.ConnectionClosed`, like websockets 2.x.

    Once the opening handshake is complete, :attr:`path`,
    :attr:`request_headers`, :attr:`response_headers`, :attr:`subprotocol`
    and :attr:`extensions` are available. Once the connection is closed,
    :attr:`close_code` and :attr:`close_reason` are available. All these
    attributes must be treated as read-only.
    """

    # Set by subclasses.
    is_client: bool = False
    side: str = "undefined"

    # Slots keep idle connections small. __dict__ stays available for
    # subclasses and frameworks that add attributes; it's only allocated
    # when one is set.
    __slots__ = (
        "__dict__",
        "__weakref__",
        "_assembler",
        "_close_deadline",
        "_close_rcvd",
        "_close_rcvd_then_sent",
        "_close_sent",
        "_close_timer",
        "_debug",
        "_discard_data",
        "_drain_waiters",
        "_end_of_stream",
        "_fragmented_message_waiter",
        "_handover_handle",
        "_id",
        "_logger",
        "_max_fragment",
        "_max_message",
        "_parse_frame",
        "_parser",
        "_paused_reading",
        "_paused_writing",
        "_pending_failure",
        "_pending_failure_handle",
        "_recv_resuming",
        "_recv_waiter",
        "_stream",
        "close_code",
        "close_reason",
        "close_timeout",
        "connection_lost_waiter",
        "extensions",
        "host",
        "legacy_recv",
        "loop",
        "max_queue",
        "max_size",
        "messages",
        "path",
        "ping_interval",
        "ping_timeout",
        "port",
        "read_limit",
        "reader",
        "request_headers",
        "response_headers",
        "secure",
        "state",
        "subprotocol",
        "transport",
        "write_limit",
    )

    def __init__(
        self,
        *,
        ping_interval: Optional[float] = 20,
        ping_timeout: Optional[float] = 20,
        close_timeout: Optional[float] = None,
        max_size: MaxSize = 2**20,
        max_queue: Optional[int] = 2**5,
        read_limit: int = 2**16,
        write_limit: int = 2**16,
        loop: Optional[asyncio.AbstractEventLoop] = None,
        host: Optional[str] = None,
        port: Optional[int] = None,
        secure: Optional[bool] = None,
        legacy_recv: bool = False,
        timeout: Optional[float] = None,
        logger: Optional[LoggerLike] = None,
    ) -> None:
        if timeout is not None:
            warnings.warn(
                "rename timeout to close_timeout", DeprecationWarning, stacklevel=2
            )
            if close_timeout is None:
                close_timeout = timeout
        if close_timeout is None:
            close_timeout = 10
        if legacy_recv:
            warnings.warn("legacy_recv is deprecated", DeprecationWarning, stacklevel=2)

        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.close_timeout = close_timeout
        self.max_size = max_size
        # max_size may be a (message_limit, fragment_limit) pair.
        self._max_message: Optional[int]
        self._max_fragment: Optional[int]
        if isinstance(max_size, tuple):
            self._max_message, self._max_fragment = max_size
        else:
            self._max_message = self._max_fragment = max_size
        self.max_queue = max_queue
        self.read_limit = read_limit
        self.write_limit = write_limit
        self.host = host
        self.port = port
        self.secure = secure
        self.legacy_recv = legacy_recv

        # Like websockets 8.1: an explicit loop, else the current one.
        self.loop = loop if loop is not None else get_loop()

        self.state = State.CONNECTING
        # Where the connection logs; see the logger property.
        self._logger = logger
        self._id: Optional[uuid.UUID] = None
        self._debug = (logger or _logger).isEnabledFor(logging.DEBUG)
        if self._debug:
            self._log(_logger).debug("%s - state = CONNECTING", self.side)

        # Set by the opening handshake.
        self.path: str
        self.request_headers: Headers
        self.response_headers: Headers
        self.extensions: List[Extension] = []
        self.subprotocol: Optional[Subprotocol] = None

        # Set by the closing handshake or when the connection is lost.
        self.close_code: Optional[int] = None
        self.close_reason: str = ""
        # Close frames received and sent, for ConnectionClosed.
        self._close_rcvd: Optional[Close] = None
        self._close_sent: Optional[Close] = None
        self._close_rcvd_then_sent: Optional[bool] = None

        self.transport: asyncio.Transport
        # Bytes of the opening handshake. Lines may be up to MAX_LINE bytes,
        # so that an overlong line is reported as such, whatever read_limit.
        self.reader = StreamBuffer(limit=max(read_limit, MAX_LINE + 1), loop=self.loop)
        # Frames of the data transfer phase; created by connection_open().
        self._parser: Optional[FrameParser] = None
        # Processing of the bytes that arrived with the opening handshake,
        # scheduled by connection_open().
        self._handover_handle: Optional[asyncio.Handle] = None

        # Incoming messages waiting for recv().
        # A short list is smaller than a deque (56 bytes instead of 760 on an
        # idle connection) and popping from its front is cheap; an unbounded
        # or long queue is a deque.
        self.messages: Union[List[Data], Deque[Data]] = (
            [] if max_queue is not None and max_queue <= 1024 else deque()
        )
        self._recv_waiter: Optional[asyncio.Future[None]] = None
        # Set while recv_streaming() reads a message.
        self._stream: Optional[MessageStream] = None
        # True once no more messages can arrive.
        self._end_of_stream = False
        # True after failing the connection: further data frames are dropped.
        self._discard_data = False
        # The C accelerator's frame decoder, for data_received()'s fast path:
        # set when the connection opens without extensions nor debug logs.
        self._parse_frame: Optional[ParseWholeFrame] = None
        # Reasons for not reading: a bit mask of _PAUSE_* constants.
        self._paused_reading = 0

        # Fragmented message or text frame being received; created when
        # needed, dropped when the message is complete.
        self._assembler: Optional[MessageAssembler] = None
        # True while recv() parses frames buffered when the queue was full.
        self._recv_resuming = False
        # Failure deferred until queued messages are read: (code, reason).
        self._pending_failure: Optional[Tuple[int, str]] = None
        self._pending_failure_handle: Optional[Timer] = None

        # Flow control for writes.
        self._paused_writing = False
        self._drain_waiters: List[asyncio.Future[None]] = []
        # Set while a fragmented message is being sent.
        self._fragmented_message_waiter: Optional[asyncio.Future[None]] = None

        self._init_keepalive()

        # One deadline for the whole closing sequence.
        self._close_deadline: Optional[float] = None
        self._close_timer: Optional[Timer] = None

        # Resolved by connection_lost().
        self.connection_lost_waiter: asyncio.Future[None] = self.loop.create_future()

    # Public attributes

    @property
    def id(self) -> uuid.UUID:
        """Unique identifier of the connection, a random :class:`~uuid.UUID`.

        Log records of the connection carry it in their ``connection_id``
        attribute. New in this version.
        """
        if self._id is None:
            self._id = uuid.uuid4()
        return self._id

    @property
    def logger(self) -> ConnectionLogger:
        """Logger of the connection (new in this version).

        A :class:`~logging.LoggerAdapter` over the ``logger`` argument of
        :func:`~websockets.server.serve` or :func:`~websockets.client.connect`,
        ``websockets.protocol`` by default, whose records carry the
        connection (``websocket``), its :attr:`id` (``connection_id``) and
        its :attr:`remote_address` (``remote_address``).

        Setting it changes where the connection logs.
        """
        return self._log(_logger)

    @logger.setter
    def logger(self, value: LoggerLike) -> None:
        self._logger = value
        self._debug = value.isEnabledFor(logging.DEBUG)
        if self._debug:
            # Every frame is logged: no fast path.
            self._parse_frame = None

    def _log(self, default: logging.Logger) -> ConnectionLogger:
        # The logger passed by the user, else the module's logger.
        return ConnectionLogger(self._logger or default, self)

    @property
    def local_address(self) -> Any:
        """Local address of the connection.

        This is a ``(host, port)`` tuple or ``None`` if the connection hasn't
        been established yet.
        """
        try:
            transport = self.transport
        except AttributeError:
            return None
        return transport.get_extra_info("sockname")

    @property
    def remote_address(self) -> Any:
        """Remote address of the connection.

        This is a ``(host, port)`` tuple or ``None`` if the connection hasn't
        been established yet.
        """
        try:
            transport = self.transport
        except AttributeError:
            return None
        return transport.get_extra_info("peername")

    @property
    def open(self) -> bool:
        """``True`` when the connection is usable.

        It may be used to detect disconnections. However, this approach is
        discouraged per the EAFP principle. When ``open`` is ``False``, using
        the connection raises a :exc:`~websockets.exceptions.ConnectionClosed`
        exception.
        """
        return self.state is State.OPEN

    @property
    def closed(self) -> bool:
        """``True`` once the connection is closed.

        Be aware that both :attr:`open` and :attr:`closed` are ``False``
        during the opening and closing sequences.
        """
        return self.state is State.CLOSED

    @property
    def state_name(self) -> str:
        """Name of the current state (deprecated: use :attr:`state`)."""
        warnings.warn(
            "use state instead of state_name", DeprecationWarning, stacklevel=2
        )
        return self.state.name

    # State transitions

    def _set_state(self, state: State) -> None:
        if self._debug:
            self._log(_logger).debug("%s - state = %s", self.side, state.name)
        self.state = state

    def connection_open(self) -> None:
        """Enter the OPEN state once the opening handshake is complete.

        Bytes received after the handshake are handed over to the frame
        parser and processed on the next iteration of the event loop; the
        keepalive starts.

        Like in websockets 8.1, whose frames were read by a task started
        here, the code that performed the handshake (the caller of
        :func:`~websockets.client.connect`, the handler of a server) sees an
        open connection until it yields to the event loop, even if messages
        and a close frame arrived right behind the handshake.
        """
        if self.state is not State.CONNECTING:
            raise InvalidState(f"cannot open a connection in state {self.state.name}")
        if self._debug:
            self._set_state(State.OPEN)
        else:
            self.state = State.OPEN
        self._parser = FrameParser(
            mask=not self.is_client,
            max_size=self._frame_limit(),
            extensions=self.extensions,
        )
        if not self.extensions and not self._debug:
            self._parse_frame = parse_whole_frame
        self._schedule_keepalive()
        # The handshake doesn't wait for bytes anymore.
        self.reader.on_wait = None
        data = self.reader.take()
        if data:
            self._parser.feed(data)
        if data or self.reader.at_eof():
            self._handover_handle = self.loop.call_soon(self._handover)
        elif self._paused_reading & _PAUSE_HANDSHAKE:
            # Nothing was read ahead of the handshake: read again.
            self._resume_reading(_PAUSE_HANDSHAKE)

    def _handover(self) -> None:
        # Process what arrived with the opening handshake. Bytes received
        # since then follow in the parser's buffer: the order is kept.
        self._handover_handle = None
        self._process_frames()
        if self.reader.at_eof():
            self._eof()
        if self._paused_reading & _PAUSE_HANDSHAKE:
            # Bytes read ahead of the handshake went to the parser first.
            self._resume_reading(_PAUSE_HANDSHAKE)

    def _flush_handover(self) -> None:
        # The end of the stream is near: process what arrived with the
        # handshake first, like websockets 8.1 read frames that were buffered
        # before the connection was lost.
        handle = self._handover_handle
        if handle is not None:
            handle.cancel()
            self._handover()

    # asyncio.Protocol callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Configure write flow control when the connection is made."""
        if self._debug:
            self._log(_logger).debug(
                "%s - event = connection_made(%s)", self.side, transport
            )
        # A stream transport, since this is a Protocol (no cast(): it's a
        # function call, on every connection).
        if TYPE_CHECKING:
            assert isinstance(transport, asyncio.Transport)
        high = self.write_limit
        if not (
            # asyncio's socket transport (the standard library's loops) has
            # these limits unless told otherwise: nothing to set then. With
            # unchanged limits, set_write_buffer_limits() has no effect: its
            # check of the buffer ran after every write that grew it.
            type(transport) is _SELECTOR_TRANSPORT
            and transport._high_water == high  # type: ignore[attr-defined]
            and transport._low_water == high // 4  # type: ignore[attr-defined]
        ):
            transport.set_write_buffer_limits(high)
        self.transport = transport
        if not allocator.warmed_up:
            # Before the first read of the process: see websockets.allocator.
            allocator.warm_up()

        # Else the stream was corrupted or the closing handshake is over:
        # ignore what follows.

    def eof_received(self) -> None:
        """Handle the end of the incoming stream.

        The WebSocket protocol has no use for half-closed connections:
        returning ``None`` lets the transport close the connection.
        """
        if self._debug:
            self._log(_logger).debug("%s - event = eof_received()", self.side)
        if self.state is State.CONNECTING:
            self.reader.feed_eof()
        else:
            self._flush_handover()
            self._eof()

    def _eof(self) -> None:
        # The peer closed the TCP connection without a close frame (or after
        # it): no more messages will arrive.
        self._parser = None
        self._set_end_of_stream()

    def pause_writing(self) -> None:
        """Stop :meth:`send` when the write buffer is above ``write_limit``."""
        self._paused_writing = True

    def resume_writing(self) -> None:
        """Wake up coroutines waiting for the write buffer to drain.

        Reading resumes if it stopped for a reply to a control frame.
        """
        self._paused_writing = False
        self._wake_drain_waiters()
        if self._paused_reading & _PAUSE_WRITE:
            self._resume_reading(_PAUSE_WRITE)

    def _wake_drain_waiters(self) -> None:
        waiters, self._drain_waiters = self._drain_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        """Enter the CLOSED state and wake up every waiting coroutine."""
        if self._debug:
            self._log(_logger).debug("%s - event = connection_lost(%s)", self.side, exc)
        if self._handover_handle is not None:
            self._flush_handover()
        self._set_state(State.CLOSED)
        # RFC 6455 7.1.5: if no close frame was received, the close code is
        # 1006; 7.1.6: the reason is empty.
        if self.close_code is None:
            self.close_code = 1006
        self._parser = None
        self.reader.feed_eof()
        self._cancel_timers()
        self._set_end_of_stream()
        if self._drain_waiters:
            self._wake_drain_waiters()
        self._abort_pings()
        if not self.connection_lost_waiter.done():
            self.connection_lost_waiter.set_result(None)

    def _set_end_of_stream(self) -> None:
        self._end_of_stream = True
        self._assembler = None
        waiter = self._recv_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # Failing and closing

    async def close_connection(self) -> None:
        """Close the TCP connection and wait until it's closed.

        Unlike :meth:`close`, this doesn't perform the closing handshake.
        It's kept because frameworks of the websockets 8.1 era call it (Sanic
        does when it shuts down). The transport is aborted if it isn't closed
        within ``close_timeout``.
        """
        if self.state is not State.CLOSED:
            self._start_close_deadline()
            self._close_transport(abort=False)
        await asyncio.shield(self.connection_lost_waiter)
