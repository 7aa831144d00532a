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
import codecs
import logging
import uuid
import warnings
from collections import deque
from typing import (
    Any,
    AsyncIterable,
    AsyncIterator,
    Deque,
    Iterable,
    List,
    Mapping,
    Optional,
    Tuple,
    Union,
    cast,
)

from .assembly import AssemblyError, MessageAssembler, MessageStream
from .close_frame import Close
from .datastructures import Headers
from .eventloop import get_loop
from .exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidState,
    PayloadTooBig,
    ProtocolError,
)
from .extensions.base import Extension
from .framing import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Frame,
    FrameParser,
    parse_close,
    prepare_data,
    serialize_close,
    serialize_frame,
)
from .http import MAX_LINE
from .keepalive import KeepaliveMixin
from .log import ConnectionLogger, LoggerLike
from .state import State
from .streams import StreamBuffer
from .typing import Data, MaxSize, Subprotocol

BytesLike = Union[bytes, bytearray, memoryview]

__all__ = ["State", "WebSocketCommonProtocol"]

_logger = logging.getLogger("websockets.protocol")
logger = _logger  # websockets.protocol.logger, as in 8.1

OPCODE_NAMES = {
    OP_CONT: "CONT",
    OP_TEXT: "TEXT",
    OP_BINARY: "BINARY",
    OP_CLOSE: "CLOSE",
    OP_PING: "PING",
    OP_PONG: "PONG",
}


async def _aiter(iterable: Iterable[Data]) -> AsyncIterator[Data]:
    # send() handles iterables and async iterables with the same code. This
    # never yields control to the event loop.
    for item in iterable:
        yield item


# Reasons for not reading from the transport, bits of _paused_reading. Each
# reason is lifted on its own: the transport resumes reading when none is
# left. _PAUSED_TRANSPORT records that transport.pause_reading() was called.
_PAUSE_QUEUE = 1  # the message queue is full
_PAUSE_WRITE = 2  # a reply to a control frame is stuck in the write buffer
_PAUSE_HANDSHAKE = 4  # the opening handshake's buffer holds read_limit bytes
_PAUSED_TRANSPORT = 8


def _convert(message: Data, decode: bool) -> Data:
    # recv(decode=...): text as bytes, or bytes as text.
    if decode:
        if isinstance(message, str):
            return message
        return bytes(message).decode()
    if isinstance(message, str):
        return message.encode()
    return message


class WebSocketCommonProtocol(KeepaliveMixin, asyncio.Protocol):
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
        self.loop = get_loop(loop)

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
        self.reader = StreamBuffer(limit=max(read_limit, MAX_LINE + 1))
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
        # Reasons for not reading: a bit mask of _PAUSE_* constants.
        self._paused_reading = 0

        # Fragmented message or text frame being received; created when
        # needed, dropped when the message is complete.
        self._assembler: Optional[MessageAssembler] = None
        # True while recv() parses frames buffered when the queue was full.
        self._recv_resuming = False
        # Failure deferred until queued messages are read: (code, reason).
        self._pending_failure: Optional[Tuple[int, str]] = None
        self._pending_failure_handle: Optional[asyncio.TimerHandle] = None

        # Flow control for writes.
        self._paused_writing = False
        self._drain_waiters: List[asyncio.Future[None]] = []
        # Set while a fragmented message is being sent.
        self._fragmented_message_waiter: Optional[asyncio.Future[None]] = None

        self._init_keepalive()

        # One deadline for the whole closing sequence.
        self._close_deadline: Optional[float] = None
        self._close_timer: Optional[asyncio.TimerHandle] = None

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
        self._set_state(State.OPEN)
        self._parser = FrameParser(
            mask=not self.is_client,
            max_size=self._frame_limit(),
            extensions=self.extensions,
        )
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
        transport = cast(asyncio.Transport, transport)
        if self._debug:
            self._log(_logger).debug(
                "%s - event = connection_made(%s)", self.side, transport
            )
        transport.set_write_buffer_limits(self.write_limit)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        """Parse incoming bytes."""
        # Proof that the peer is alive, for the keepalive.
        self._data_seen = True
        parser = self._parser
        if parser is not None:
            parser.feed(data)
            self._process_frames()
        elif self.state is State.CONNECTING:
            reader = self.reader
            reader.feed_data(data)
            if reader.buffered() >= self.read_limit:
                # Read at most read_limit bytes ahead of the opening
                # handshake, e.g. frames pipelined behind the request while
                # process_request() runs; read again when the handshake needs
                # more bytes or once the connection is open.
                self._pause_reading(_PAUSE_HANDSHAKE)
                reader.on_wait = self._handshake_wants_data
        # Else the stream was corrupted or the closing handshake is over:
        # ignore what follows.

    def _handshake_wants_data(self) -> None:
        self.reader.on_wait = None
        self._resume_reading(_PAUSE_HANDSHAKE)

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
        self._wake_drain_waiters()
        self._abort_pings()
        if not self.connection_lost_waiter.done():
            self.connection_lost_waiter.set_result(None)

    # Incoming frames

    def _process_frames(self) -> bool:
        """Handle every complete frame in the parser's buffer.

        Stop when the message queue is full: the rest is processed when
        :meth:`recv` makes room. Return ``True`` in that case.
        """
        max_queue = self.max_queue
        messages = self.messages
        while self._parser is not None and self._pending_failure is None:
            if (
                max_queue is not None
                and (
                    len(messages) >= max_queue
                    # recv_streaming() bounds its fragments the same way.
                    or (
                        self._stream is not None
                        and len(self._stream.chunks) >= max_queue
                    )
                )
                # While closing, the peer's close frame must be read:
                # _queue_message() drops what doesn't fit in the queue.
                and self.state is State.OPEN
            ):
                self._pause_reading(_PAUSE_QUEUE)
                return True
            if self._paused_reading & _PAUSE_WRITE:
                # A reply to a control frame waits for the write buffer to
                # drain: resume_writing() processes what follows.
                return True
            try:
                frame = self._parser.next_frame()
            except PayloadTooBig as exc:
                self._parser = None
                self._fail_from_peer(1009, str(exc) or "message too big")
                break
            except ProtocolError as exc:
                self._parser = None
                self._fail_from_peer(1002, str(exc))
                break
            except Exception:
                self._log(_logger).error("Error while parsing frames", exc_info=True)
                self._parser = None
                self.fail_connection(1011)
                break
            if frame is None:
                if self._parser is not None and not self._discard_data:
                    self._check_incomplete_text_frame(self._parser)
                break
            assembler = self._assembler
            if assembler is not None and assembler.frame_complete():
                self._assembler = None
            self._handle_frame(frame)
        return False

    def _check_incomplete_text_frame(self, parser: FrameParser) -> None:
        # RFC 6455 8.1: fail at the first invalid byte of a long text frame,
        # before it's complete. Binary frames don't need an assembler.
        b0 = parser.pending_first_byte()
        # Only text frames are worth the cost; compressed frames are checked
        # once inflated.
        if b0 is None or b0 & 0x40:
            return
        assembler = self._assembler
        if assembler is None:
            if b0 & 0x0F != OP_TEXT:
                return
            assembler = self._assembler = self._new_assembler()
        try:
            assembler.check_partial_text(parser, bool(self.extensions))
        except AssemblyError as exc:
            self._fail_from_peer(exc.code, exc.reason)

    def _handle_frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if self._debug:
            self._log(_logger).debug(
                "%s < %s fin=%s len=%d",
                self.side,
                OPCODE_NAMES[opcode],
                frame.fin,
                len(frame.data),
            )
        if opcode is OP_TEXT or opcode is OP_BINARY or opcode is OP_CONT:
            self._handle_data_frame(frame)
        elif opcode == OP_PING:
            # RFC 6455 5.5.2: answer with a pong carrying the same payload,
            # unless a close frame was sent already.
            if self.state is State.OPEN:
                self._write_frame(True, OP_PONG, frame.data)
                self._check_write_buffer()
        elif opcode == OP_PONG:
            self._acknowledge_pings(frame.data)
        else:
            self._handle_close_frame(frame.data)

    def _check_write_buffer(self) -> None:
        # A pong written from data_received() went above the high-water mark:
        # stop reading until the buffer drains, like send() waits. A peer
        # that floods pings and never reads makes the write buffer hold at
        # most write_limit plus one pong. RFC 6455 doesn't oblige anyone to
        # read faster than they can answer.
        if self._paused_writing:
            self._pause_reading(_PAUSE_WRITE)

    def _handle_data_frame(self, frame: Frame) -> None:
        if self._discard_data:
            # The connection is failing: keep parsing frames until the close
            # frame, but don't deliver messages anymore.
            return
        opcode = frame.opcode
        assembler = self._assembler
        if frame.fin and opcode != OP_CONT and assembler is None:
            # Unfragmented message: the common case.
            if opcode == OP_TEXT:
                try:
                    message: Data = frame.data.decode()
                except UnicodeDecodeError as exc:
                    self._fail_from_peer(1007, f"{exc.reason} at position {exc.start}")
                    return
            else:
                message = frame.data
            self._queue_message(message)
            return

        # RFC 6455 5.4: fragments of a message.
        if assembler is None:
            assembler = self._assembler = self._new_assembler()
        stream = self._stream
        if stream is not None and assembler.opcode is None and not stream.started:
            # recv_streaming() waits for this message.
            assembler.stream(stream)
        try:
            fragmented = assembler.add(opcode, frame.data, frame.fin)
        except AssemblyError as exc:
            self._fail_from_peer(exc.code, exc.reason)
            return
        assert self._parser is not None
        if not frame.fin:
            # The parser enforces max_size for each frame: lower the budget
            # for the next ones.
            self._parser.max_size = assembler.budget()
            return
        self._assembler = None
        self._parser.max_size = self._frame_limit()
        if fragmented is not None:  # else it went to recv_streaming()
            self._queue_message(fragmented)

    def _new_assembler(self) -> MessageAssembler:
        return MessageAssembler(self._max_message, self._max_fragment)

    def _frame_limit(self) -> Optional[int]:
        # The largest frame payload: a frame can't be larger than a message.
        message, fragment = self._max_message, self._max_fragment
        if message is None or (fragment is not None and fragment < message):
            return fragment
        return message

    def _queue_message(self, message: Data) -> None:
        if self.max_queue is not None and len(self.messages) >= self.max_queue:
            # Only in the CLOSING state: in the OPEN state, reading pauses
            # before the queue overflows.
            return
        self.messages.append(message)
        stream = self._stream
        if stream is not None and not stream.started:
            # recv_streaming() returns this message whole.
            stream.started = stream.done = True
        waiter = self._recv_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

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
        self._close_rcvd = Close(code, reason)
        if self._close_sent is not None:
            self._close_rcvd_then_sent = False
        # No frame may follow a close frame.
        self._parser = None
        if self.state is State.OPEN:
            # RFC 6455 5.5.1: echo the close frame, with the same status code.
            payload = serialize_close(code, reason) if code != 1005 else b""
            self._write_frame(True, OP_CLOSE, payload)
            self._close_frame_sent(code, reason)
            self._set_state(State.CLOSING)
            self._start_close_deadline()
        self._set_end_of_stream()
        self._closing_handshake_complete()

    def _close_frame_sent(self, code: int, reason: str) -> None:
        # Record it for ConnectionClosed; 1005 stands for an empty frame.
        self._close_sent = Close(code, reason)
        if self._close_rcvd is not None:
            self._close_rcvd_then_sent = True

    def _closing_handshake_complete(self) -> None:
        # RFC 6455 7.1.1: the server closes the TCP connection first; the
        # client waits for it, until the close deadline, then aborts.
        if not self.is_client:
            self.transport.close()

    def _set_end_of_stream(self) -> None:
        self._end_of_stream = True
        self._assembler = None
        waiter = self._recv_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # Failing and closing

    def fail_connection(self, code: int = 1006, reason: str = "") -> None:
        """Fail the WebSocket connection: RFC 6455 section 7.1.7.

        This is synchronous and idempotent. In the OPEN state, a close frame
        with ``code`` and ``reason`` is sent, unless ``code`` is 1006; then
        the connection waits for the other side's close frame until the close
        deadline. When the incoming stream can't be parsed anymore, or with
        code 1006, the TCP connection is closed right away.
        """
        if self._debug:
            self._log(_logger).debug(
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
            self._log(_logger).debug(
                "%s ! will fail with code %d once queued messages are read: %s",
                self.side,
                code,
                reason,
            )
        self._pending_failure = (code, reason)
        self._parser = None
        self._discard_data = True
        self._pending_failure_handle = self.loop.call_later(
            self.close_timeout, self._execute_pending_failure
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
            self._close_timer = self.loop.call_at(
                self._close_deadline, self._on_close_deadline
            )

    def _on_close_deadline(self) -> None:
        self._close_timer = None
        if self.state is not State.CLOSED:
            self._log(_logger).debug("%s ! close deadline expired: aborting", self.side)
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
        await asyncio.shield(self.connection_lost_waiter)

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

    # Receiving

    async def recv(self, decode: Optional[bool] = None) -> Data:
        """Receive the next message.

        Return a :class:`str` for a text frame and :class:`bytes` for a
        binary frame.

        ``decode`` overrides this (new in this version): with
        ``decode=False``, a text message is returned as the :class:`bytes`
        of its UTF-8 encoding (it was validated as UTF-8 all the same); with
        ``decode=True``, a binary message is decoded from UTF-8 and returned
        as a :class:`str`. If it isn't valid UTF-8, :exc:`UnicodeDecodeError`
        is raised and the message stays first in line: the next
        :meth:`recv` returns it again.

        When the end of the message stream is reached, :meth:`recv` raises
        :exc:`~websockets.exceptions.ConnectionClosed`: specifically,
        :exc:`~websockets.exceptions.ConnectionClosedOK` after a normal
        connection closure and
        :exc:`~websockets.exceptions.ConnectionClosedError` after a protocol
        error or a network failure. With ``legacy_recv=True``, it returns
        ``None`` instead.

        Canceling :meth:`recv` is safe. There's no risk of losing the next
        message. The next invocation of :meth:`recv` will return it. This
        makes it possible to enforce a timeout by wrapping :meth:`recv` in
        :func:`~asyncio.wait_for`.

        :raises ~websockets.exceptions.ConnectionClosed: when the connection
            is closed
        :raises RuntimeError: if two coroutines call :meth:`recv`
            concurrently
        """
        if self._recv_waiter is not None or self._stream is not None:
            raise RuntimeError(
                "cannot call recv while another coroutine "
                "is already waiting for the next message"
            )
        messages = self.messages
        while not messages:
            if self._pending_failure is not None:
                self._execute_pending_failure()
            if self._end_of_stream:
                if self.legacy_recv:
                    return None  # type: ignore[return-value]
                # Like websockets 8.1: raise once the TCP connection is
                # closed, so that the exception carries the final close code
                # and the transport is gone. The closing handshake started a
                # deadline that bounds this wait, or the transport is closing
                # already (after eof_received(), fail_connection(1006)).
                if self.state is not State.CLOSED:
                    await asyncio.shield(self.connection_lost_waiter)
                raise self.connection_closed_exc()
            self._recv_waiter = self.loop.create_future()
            try:
                await self._recv_waiter
            finally:
                self._recv_waiter = None
        if decode is not None:
            # Convert before dequeuing: a binary message that isn't UTF-8
            # raises here and isn't lost.
            message = _convert(messages[0], decode)
            messages[0] = message
        message = messages.pop(0) if isinstance(messages, list) else messages.popleft()
        if self._paused_reading & _PAUSE_QUEUE:
            # Frames parsed now come after the message that recv() returns:
            # a protocol error among them mustn't fail the connection before
            # the application could answer that message.
            self._recv_resuming = True
            try:
                self._maybe_resume_reading()
            finally:
                self._recv_resuming = False
        if not messages and self._pending_failure is not None:
            # Let the application answer this message before failing.
            self.loop.call_soon(self._execute_pending_failure)
        return message

    async def recv_streaming(
        self, decode: Optional[bool] = None
    ) -> AsyncIterator[Data]:
        """Receive the next message in fragments, as they arrive.

        ``async for chunk in websocket.recv_streaming()`` yields the
        fragments of the next message: :class:`str` for a text message,
        :class:`bytes` for a binary message, or the other way around with
        ``decode``, as in :meth:`recv`. A text fragment ending in the middle
        of a UTF-8 sequence yields the text before it; the rest comes with
        the next fragment. The message is never held whole: memory is
        bounded by the size of fragments (see ``max_size``) and up to
        ``max_queue`` fragments waiting to be read. A message that was
        received whole before the call, or that isn't fragmented, is
        yielded in one chunk. Every message yields at least one chunk,
        possibly empty.

        Stopping the iteration before the end of the message discards the
        rest of that message.

        New in this version.

        :raises ~websockets.exceptions.ConnectionClosed: when the connection
            is closed, including in the middle of the message
        :raises RuntimeError: if another coroutine is receiving a message
        """
        if self._recv_waiter is not None or self._stream is not None:
            raise RuntimeError(
                "cannot call recv_streaming while another coroutine "
                "is already waiting for the next message"
            )
        if self.messages:
            yield await self.recv(decode)
            return
        stream = self._stream = MessageStream()
        assembler = self._assembler
        if assembler is not None and assembler.opcode is not None:
            # The message started arriving: go on from there.
            assembler.stream(stream)
        chunks = stream.chunks
        decoder: Optional[codecs.IncrementalDecoder] = None
        yielded = False
        try:
            while True:
                if chunks:
                    chunk = chunks.popleft()
                    if self._paused_reading & _PAUSE_QUEUE:
                        self._maybe_resume_reading()
                    if decode is not None and isinstance(chunk, str) != decode:
                        if decode:
                            # A binary fragment may end mid-sequence.
                            if decoder is None:
                                decoder = codecs.getincrementaldecoder("utf-8")()
                            chunk = decoder.decode(
                                cast(bytes, chunk), not chunks and stream.done
                            )
                        else:
                            chunk = chunk.encode()  # type: ignore[union-attr]
                    yielded = True
                    yield chunk
                    continue
                if stream.done:
                    if decoder is not None:
                        # Fails on an incomplete UTF-8 sequence at the end.
                        decoder.decode(b"", True)
                    if not stream.text_or_binary:
                        # A message that recv() returns whole.
                        self._stream = None
                        yield await self.recv(decode)
                    elif not yielded:
                        # Empty message: one empty chunk, of the right type.
                        text = stream.text_or_binary == "text"
                        yield "" if (text if decode is None else decode) else b""
                    return
                if self._end_of_stream:
                    # Closed, possibly in the middle of the message: recv()
                    # raises the right exception.
                    self._stream = None
                    message = await self.recv(decode)
                    if message is None:  # legacy_recv
                        return
                    raise AssertionError("unreachable")  # pragma: no cover
                self._recv_waiter = stream.waiter = self.loop.create_future()
                try:
                    await self._recv_waiter
                finally:
                    self._recv_waiter = stream.waiter = None
        finally:
            if not stream.done:
                # Drop the rest of the message.
                stream.discard = True
                chunks.clear()
            if self._stream is stream:
                self._stream = None
                if self._paused_reading & _PAUSE_QUEUE:
                    self._maybe_resume_reading()

    def _maybe_resume_reading(self) -> None:
        # Resume below the low-water mark: half of max_queue.
        assert self.max_queue is not None
        low = self.max_queue // 2
        if len(self.messages) > low:
            return
        if self._stream is not None and len(self._stream.chunks) > low:
            return
        self._resume_reading(_PAUSE_QUEUE)

    def _pause_reading(self, reason: int) -> None:
        if not self._paused_reading & _PAUSED_TRANSPORT:
            self.transport.pause_reading()
        self._paused_reading |= reason | _PAUSED_TRANSPORT

    def _resume_reading(self, reasons: int) -> None:
        # Lift reasons for not reading. The transport resumes when no reason
        # is left, e.g. a full queue and a full write buffer are independent.
        paused = self._paused_reading & ~reasons
        self._paused_reading = paused
        if paused != _PAUSED_TRANSPORT:
            # Another reason holds, or reading wasn't paused (this was
            # scheduled by _read_until_close_frame() and already done).
            return
        # Frames buffered while paused come first. If they pause reading
        # again, the transport stays paused.
        if self._process_frames():
            return
        self._paused_reading = 0
        if self.state is not State.CLOSED:
            self.transport.resume_reading()

    def __aiter__(self) -> AsyncIterator[Data]:
        """Iterate on incoming messages until the connection is closed.

        The iteration ends quietly after a normal closure (1000 or 1001) and
        raises :exc:`~websockets.exceptions.ConnectionClosedError` otherwise.
        """
        # The connection is its own iterator: no async generator object per
        # connection.
        return self

    async def __anext__(self) -> Data:
        try:
            message = await self.recv()
        except ConnectionClosedOK:
            raise StopAsyncIteration from None
        if message is None:  # legacy_recv
            raise StopAsyncIteration
        return message

    # Sending

    def _write_frame(
        self, fin: bool, opcode: int, data: BytesLike, compress: bool = True
    ) -> None:
        if self._debug:
            self._log(_logger).debug(
                "%s > %s fin=%s len=%d", self.side, OPCODE_NAMES[opcode], fin, len(data)
            )
        # A frame's header and payload go out in a single write.
        extensions = self.extensions
        if extensions and not compress:
            # RFC 7692 6: a message is compressed or not, message by message.
            # Without permessage-deflate, the frames of this message go out
            # uncompressed (RSV1 clear) and the compression context, if it
            # is kept between messages, doesn't see them.
            extensions = [e for e in extensions if e.name != "permessage-deflate"]
        if extensions:
            frame = Frame(fin, opcode, data)  # type: ignore[arg-type]
            self.transport.write(
                frame.serialize(mask=self.is_client, extensions=extensions)
            )
        else:
            # Fast path: callers only write valid frames.
            self.transport.write(
                serialize_frame(opcode | 0x80 if fin else opcode, data, self.is_client)
            )

    async def _drain(self) -> None:
        # Callers write a frame in the OPEN or CLOSING state, then call this
        # without yielding in between if writing is paused: resume_writing()
        # or connection_lost() will wake them up.
        waiter = self.loop.create_future()
        self._drain_waiters.append(waiter)
        # If the caller is cancelled, so is the waiter: _wake_drain_waiters()
        # skips it.
        await waiter
        if self.state is State.CLOSED:
            raise self.connection_closed_exc()

    async def _write_data_frame(
        self, fin: bool, opcode: int, data: BytesLike, compress: bool
    ) -> None:
        if self.state is not State.OPEN:
            await self.ensure_open()
        self._write_frame(fin, opcode, data, compress)
        if self._paused_writing:
            await self._drain()

    async def send(
        self,
        message: Union[Data, Iterable[Data], AsyncIterable[Data]],
        text: Optional[bool] = None,
        *,
        compress: bool = True,
    ) -> None:
        """Send a message.

        A string (:class:`str`) is sent as a Text frame. A bytestring or
        bytes-like object (:class:`bytes`, :class:`bytearray`, or
        :class:`memoryview`) is sent as a Binary frame.

        :meth:`send` also accepts an iterable or an asynchronous iterable of
        strings, bytestrings, or bytes-like objects. In that case the message
        is fragmented. Each item is treated as a message fragment and sent in
        its own frame. All items must be of the same type, or else
        :meth:`send` will raise a :exc:`TypeError` and the connection will be
        closed.

        ``text`` overrides the frame type (new in this version):
        ``text=True`` sends a bytes-like message as a Text frame (the caller
        vouches that it's valid UTF-8: it isn't checked, and a peer fails
        the connection with code 1007 if it isn't); ``text=False`` sends a
        string as a Binary frame holding its UTF-8 encoding.

        ``compress=False`` sends this message uncompressed on a connection
        that negotiated permessage-deflate (new in this version): RFC 7692
        decides compression message by message, so the peer decodes it
        unchanged. It saves CPU time on data that doesn't compress, such as
        images or data compressed already. Without compression, it has no
        effect.

        Canceling :meth:`send` is discouraged. Instead, you should close the
        connection with :meth:`close`.

        :raises TypeError: for unsupported inputs
        :raises ~websockets.exceptions.ConnectionClosed: when the connection
            is closed
        """
        if self._fragmented_message_waiter is not None:
            await self._wait_for_fragmented_message()

        # Unfragmented messages: the hot path, with a single await when
        # writing is paused and none otherwise.
        data: BytesLike
        if isinstance(message, str):
            opcode, data = OP_TEXT, message.encode()
        elif isinstance(message, (bytes, bytearray, memoryview)):
            opcode, data = prepare_data(message)
        else:
            await self._send_iterable(message, text, compress)
            return
        if text is not None:
            opcode = OP_TEXT if text else OP_BINARY
        if self.state is not State.OPEN:
            await self.ensure_open()
        self._write_frame(True, opcode, data, compress)
        if self._paused_writing:
            await self._drain()

    async def _send_iterable(
        self,
        message: Union[Iterable[Data], AsyncIterable[Data]],
        text: Optional[bool],
        compress: bool,
    ) -> None:
        if isinstance(message, Mapping):
            raise TypeError("data is a dict-like object")
        elif isinstance(message, Iterable):
            await self._send_fragments(_aiter(message), text, compress)
        elif isinstance(message, AsyncIterable):
            await self._send_fragments(message.__aiter__(), text, compress)
        else:
            raise TypeError("data must be bytes, str, or iterable")

    async def _wait_for_fragmented_message(self) -> None:
        # Don't interleave frames with a fragmented message being sent.
        while self._fragmented_message_waiter is not None:
            await asyncio.shield(self._fragmented_message_waiter)

    async def _send_fragments(
        self, chunks: AsyncIterator[Data], text: Optional[bool], compress: bool
    ) -> None:
        # RFC 6455 5.4: a fragmented message is a first frame with the
        # message's opcode, continuation frames, and FIN on the last one.
        try:
            first = await chunks.__anext__()
        except StopAsyncIteration:
            return
        opcode, data = prepare_data(first)
        # Getting the first fragment may have yielded control to another
        # coroutine that started sending a fragmented message.
        await self._wait_for_fragmented_message()
        await self.ensure_open()
        waiter = self._fragmented_message_waiter = self.loop.create_future()
        try:
            if text is None:
                self._write_frame(False, opcode, data, compress)
            else:
                self._write_frame(False, OP_TEXT if text else OP_BINARY, data, compress)
            async for chunk in chunks:
                chunk_opcode, data = prepare_data(chunk)
                if chunk_opcode != opcode:
                    raise TypeError("data contains inconsistent types")
                await self._write_data_frame(False, OP_CONT, data, compress)
            await self._write_data_frame(True, OP_CONT, b"", compress)
        except ConnectionClosed:
            # The closing handshake is under way: let it finish normally.
            raise
        except (Exception, asyncio.CancelledError):
            # The message can't be completed: the peer would see a protocol
            # error anyway.
            self.fail_connection(1011)
            raise
        finally:
            self._fragmented_message_waiter = None
            waiter.set_result(None)
