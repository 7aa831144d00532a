"""Incoming bytes: from the transport to frames, replies and the message queue.

:class:`IncomingMixin` holds the methods of
:class:`~websockets.protocol.WebSocketCommonProtocol` that run when the
transport delivers bytes: during the opening handshake they're buffered, at
most ``read_limit`` ahead; afterwards they're parsed by a
:class:`~websockets.frame_parser.FrameParser` synchronously, in
``data_received()``. Data frames go to the message queue (a chunk holding a
single unfragmented message takes a fast path), pings are answered, pongs
acknowledge pings, a close frame starts or completes the closing handshake.
Reading pauses, for independent reasons tracked in a bit mask, while the
queue is full, while a reply waits for the write buffer to drain, or while
the opening handshake has read enough ahead.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Optional

from .attributes import ConnectionAttributes
from .exceptions import PayloadTooBig, ProtocolError
from .framing import OP_BINARY, OP_CONT, OP_PING, OP_PONG, OP_TEXT, Frame
from .sending import OPCODE_NAMES
from .state import (
    _PAUSE_HANDSHAKE,
    _PAUSE_QUEUE,
    _PAUSE_WRITE,
    _PAUSED_TRANSPORT,
    State,
)
from .typing import Data

if TYPE_CHECKING:
    pass

__all__ = ["IncomingMixin"]

_logger = logging.getLogger("websockets.protocol")


class IncomingMixin(ConnectionAttributes):
    """What a connection does with the bytes it receives.

    A mixin of :class:`~websockets.protocol.WebSocketCommonProtocol`;
    :class:`~websockets.attributes.ConnectionAttributes` declares what it
    uses of the others.
    """

    if not TYPE_CHECKING:  # pragma: no branch
        __slots__ = ()

    def data_received(self, data: bytes) -> None:
        """Parse incoming bytes."""
        # Proof that the peer is alive, for the keepalive.
        self._data_seen = True
        parser = self._parser
        if parser is not None:
            parse = self._parse_frame
            if (
                # Fast path: a chunk that holds exactly one unfragmented data
                # frame, when nothing else is going on, goes straight to the
                # queue. Anything else, or any doubt, takes the parser.
                parse is not None
                and parser.drained
                and not self._paused_reading
                and self._assembler is None
                and self._stream is None
                # A pending failure stopped the parser: self._parser is None.
                and not self._discard_data
                and (self.max_queue is None or len(self.messages) < self.max_queue - 1)
            ):
                parsed = parse(data, parser.mask, parser.max_size)
                if parsed is not None:
                    b0, payload, _ = parsed
                    message: Optional[Data] = None
                    if b0 == 0x82:  # FIN, binary
                        message = payload
                    elif b0 == 0x81:  # FIN, text
                        try:
                            message = payload.decode()
                        except UnicodeDecodeError:
                            pass  # the parser's path fails with 1007
                    elif b0 == 0x88:  # close: what the parser's path does
                        self._handle_close_frame(payload)
                        return
                    if message is not None:
                        self.messages.append(message)
                        waiter = self._recv_waiter
                        if waiter is not None and not waiter.done():
                            waiter.set_result(None)
                        return
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

    def _handshake_wants_data(self) -> None:
        self.reader.on_wait = None
        self._resume_reading(_PAUSE_HANDSHAKE)

    def _process_frames(self) -> bool:
        """Handle every complete frame in the parser's buffer.

        Stop when the message queue is full: the rest is processed when
        :meth:`recv` makes room. Return ``True`` in that case.
        """
        max_queue = self.max_queue
        messages = self.messages
        debug = self._debug
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
            parser = self._parser
            try:
                frame = parser.next_frame()
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
                if parser.buffered() and not self._discard_data:
                    self._check_incomplete_text_frame(parser)
                break
            assembler = self._assembler
            if assembler is not None and assembler.frame_complete():
                assembler = self._assembler = None
            fin, opcode, payload, _, _, _ = frame
            if (
                # Fast path, the common case: an unfragmented data frame
                # that goes straight to the queue. Anything else, or any
                # doubt, takes _handle_frame().
                fin
                and (opcode is OP_TEXT or opcode is OP_BINARY)
                and assembler is None
                and self._stream is None
                and not debug
                and not self._discard_data
                and (max_queue is None or len(messages) < max_queue)
            ):
                message: Data = payload
                if opcode is OP_TEXT:
                    try:
                        message = payload.decode()
                    except UnicodeDecodeError:
                        # _handle_frame() fails the connection with 1007.
                        self._handle_frame(frame)
                        continue
                messages.append(message)
                waiter = self._recv_waiter
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)
                if parser.drained and (max_queue is None or len(messages) < max_queue):
                    # Nothing else was received: the usual end of a chunk.
                    # (With a full queue, the loop's next turn pauses
                    # reading.)
                    break
                continue
            self._handle_frame(frame)
        return False

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
