"""Receiving messages: :meth:`~ReceiverMixin.recv`,
:meth:`~ReceiverMixin.recv_streaming` and asynchronous iteration.

:class:`ReceiverMixin` holds the methods of
:class:`~websockets.protocol.WebSocketCommonProtocol` that hand incoming
messages to the application, and those that turn data frames parsed by
:meth:`~websockets.protocol.WebSocketCommonProtocol.data_received` into
messages (fragments go to a :class:`~websockets.assembly.MessageAssembler`).
Messages wait in a queue bounded by ``max_queue``; reading from the
transport resumes when the application drained half of it.
"""

from __future__ import annotations

import asyncio
import codecs
from typing import (
    TYPE_CHECKING,
    AsyncIterator,
    Optional,
    cast,
)

from .assembly import AssemblyError, MessageAssembler, MessageStream
from .attributes import ConnectionAttributes
from .exceptions import ConnectionClosedOK
from .frame_parser import FrameParser
from .framing import OP_CONT, OP_TEXT, Frame
from .state import _PAUSE_QUEUE, State
from .typing import Data

if TYPE_CHECKING:
    pass

__all__ = ["ReceiverMixin"]


def _convert(message: Data, decode: bool) -> Data:
    # recv(decode=...): text as bytes, or bytes as text.
    if decode:
        if isinstance(message, str):
            return message
        return bytes(message).decode()
    if isinstance(message, str):
        return message.encode()
    return message


class ReceiverMixin(ConnectionAttributes):
    """Receiving half of a WebSocket connection.

    A mixin of :class:`~websockets.protocol.WebSocketCommonProtocol`;
    :class:`~websockets.attributes.ConnectionAttributes` declares what it
    uses of the others.
    """

    if not TYPE_CHECKING:  # pragma: no branch
        __slots__ = ()

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

    def __aiter__(self) -> AsyncIterator[Data]:
        """Iterate on incoming messages until the connection is closed.

        The iteration ends quietly after a normal closure (1000 or 1001) and
        raises :exc:`~websockets.exceptions.ConnectionClosedError` otherwise.
        """
        # The connection is its own iterator: no async generator object per
        # connection.
        return self

    async def __anext__(self) -> Data:
        # What recv() does, inline, while messages arrive and nothing else
        # happens: one coroutine less per message. Anything else, or any
        # doubt, is left to recv().
        messages = self.messages
        if self._recv_waiter is None and self._stream is None:
            while not messages and not self._end_of_stream:
                if self._pending_failure is not None:
                    break
                self._recv_waiter = self.loop.create_future()
                try:
                    await self._recv_waiter
                finally:
                    self._recv_waiter = None
            if (
                messages
                and self._pending_failure is None
                and not self._paused_reading & _PAUSE_QUEUE
            ):
                return (
                    messages.pop(0)
                    if isinstance(messages, list)
                    else messages.popleft()
                )
            if (
                not messages
                and self.state is State.CLOSED
                and self._pending_failure is None
                and self.close_code in (1000, 1001)
                and not self.legacy_recv
            ):
                # The end of a normal closure: recv() would raise
                # ConnectionClosedOK, which would be caught below.
                raise StopAsyncIteration
        try:
            message = await self.recv()
        except ConnectionClosedOK:
            raise StopAsyncIteration from None
        if message is None:  # legacy_recv
            raise StopAsyncIteration
        return message

    # Incoming data frames, from data_received()

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
