"""Sending messages: :meth:`~SenderMixin.send`, fragmented messages and
write flow control.

:class:`SenderMixin` holds the methods of
:class:`~websockets.protocol.WebSocketCommonProtocol` that write data frames.
A frame's header and payload go to the transport in a single write; when the
transport's buffer is above ``write_limit``, senders wait until it drains.
"""

from __future__ import annotations

import asyncio
import logging
from typing import (
    TYPE_CHECKING,
    AsyncIterable,
    AsyncIterator,
    Iterable,
    Mapping,
    Optional,
    Union,
)

from .attributes import ConnectionAttributes
from .exceptions import ConnectionClosed
from .framing import OP_BINARY, OP_CONT, OP_TEXT, Frame, prepare_data
from .state import State
from .typing import BytesLike, Data
from .utils import frame_bytes, generate_mask

if TYPE_CHECKING:
    pass

__all__ = ["SenderMixin"]

logger = logging.getLogger("websockets.protocol")

OPCODE_NAMES = {0: "CONT", 1: "TEXT", 2: "BINARY", 8: "CLOSE", 9: "PING", 10: "PONG"}


async def _aiter(iterable: Iterable[Data]) -> AsyncIterator[Data]:
    # send() handles iterables and async iterables with the same code. This
    # never yields control to the event loop.
    for item in iterable:
        yield item


class SenderMixin(ConnectionAttributes):
    """Sending half of a WebSocket connection.

    A mixin of :class:`~websockets.protocol.WebSocketCommonProtocol`;
    :class:`~websockets.attributes.ConnectionAttributes` declares what it
    uses of the others.
    """

    if not TYPE_CHECKING:  # pragma: no branch
        __slots__ = ()

    def _write_frame(
        self, fin: bool, opcode: int, data: BytesLike, compress: bool = True
    ) -> None:
        if self._debug:
            self._log(logger).debug(
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
                frame_bytes(
                    opcode | 0x80 if fin else opcode,
                    data,
                    generate_mask() if self.is_client else None,
                )
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
        if self.extensions or self._debug:
            self._write_frame(True, opcode, data, compress)
        else:
            # _write_frame()'s fast path, inline.
            self.transport.write(
                frame_bytes(
                    opcode | 0x80, data, generate_mask() if self.is_client else None
                )
            )
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
