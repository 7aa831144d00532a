"""Assembly of fragmented messages: RFC 6455, sections 5.4 and 8.1.

:class:`~websockets.protocol.WebSocketCommonProtocol` delivers unfragmented
messages on its own: that's the hot path. It hands fragmented messages, and
text frames that span several reads, to a :class:`MessageAssembler`, created
when needed and dropped once the message is complete.

Memory is proportional to the payload, not to the number of fragments:
fragments are folded into a single :class:`bytearray` as they arrive, and a
message can't have more fragments than ``max_size``, so that a message of
empty fragments that never ends fails with code 1009 instead of running
forever.

UTF-8 is validated as the message arrives (RFC 6455 8.1), fragment by
fragment and even inside a text frame that isn't complete yet, so that
invalid text fails the connection at the first bad byte.
"""

from __future__ import annotations

import asyncio
import codecs
from collections import deque
from typing import Deque, Optional

from .frame_parser import FrameParser
from .framing import OP_CONT, OP_TEXT
from .typing import Data

__all__ = ["AssemblyError", "MessageAssembler", "MessageStream"]

_utf8_decoder = codecs.getincrementaldecoder("utf-8")


class AssemblyError(Exception):
    """The peer broke the rules of fragmentation or sent invalid UTF-8.

    :attr:`code` is the close code for failing the connection and
    :attr:`reason` the close reason.
    """

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class MessageStream:
    """Fragments of a message on their way to
    :meth:`~websockets.protocol.WebSocketCommonProtocol.recv_streaming`.

    .. attribute:: chunks

        Fragments received and not read yet.

    .. attribute:: started

        Whether the message started arriving.

    .. attribute:: done

        Whether its last fragment arrived.

    .. attribute:: discard

        Whether the reader went away: fragments are dropped.

    .. attribute:: waiter

        Future that the reader awaits, resolved when a fragment arrives.
    """

    __slots__ = ("chunks", "discard", "done", "started", "text_or_binary", "waiter")

    def __init__(self) -> None:
        self.chunks: Deque[Data] = deque()
        # "text" or "binary" once fragments go to the stream.
        self.text_or_binary = ""
        self.started = False
        self.done = False
        self.discard = False
        self.waiter: Optional[asyncio.Future[None]] = None

    def put(self, chunk: Data, fin: bool) -> None:
        """Add a fragment; ``fin`` marks the last one."""
        if fin:
            self.done = True
        if not self.discard and chunk:
            self.chunks.append(chunk)
        self.wake()

    def wake(self) -> None:
        """Wake up the reader."""
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class MessageAssembler:
    """Fold the fragments of a message into one buffer.

    :param max_size: maximum size of a message in bytes, and maximum number of
        fragments in a message; ``None`` for no limit
    :param max_fragment: maximum size of a frame in bytes; ``None`` for no
        limit

    With :meth:`stream`, the fragments go to a :class:`MessageStream` as
    they arrive instead of being folded into a buffer.

    .. attribute:: opcode

        Opcode of the message being assembled, ``None`` between messages.
    """

    __slots__ = (
        "_buffer",
        "_decoder",
        "_fragments",
        "_partial_decoder",
        "_partial_offset",
        "_size",
        "_stream",
        "max_fragment",
        "max_size",
        "opcode",
    )

    def __init__(
        self, max_size: Optional[int], max_fragment: Optional[int] = None
    ) -> None:
        self.max_size = max_size
        self.max_fragment = max_fragment
        self.opcode: Optional[int] = None
        self._buffer = bytearray()
        # Bytes of the message so far, buffered or streamed.
        self._size = 0
        self._stream: Optional[MessageStream] = None
        self._fragments = 0
        self._decoder: Optional[codecs.IncrementalDecoder] = None
        # Text frame that is still arriving: UTF-8 validated up to offset.
        self._partial_decoder: Optional[codecs.IncrementalDecoder] = None
        self._partial_offset = 0

    def buffered(self) -> int:
        """Return the number of payload bytes held for the current message."""
        return len(self._buffer)

    def budget(self) -> Optional[int]:
        """Return the largest payload the next fragment may have."""
        if self.max_size is None:
            return self.max_fragment
        budget = self.max_size - self._size
        if self.max_fragment is not None and self.max_fragment < budget:
            return self.max_fragment
        return budget

    def stream(self, stream: MessageStream) -> None:
        """Hand the fragments of the current message to ``stream``.

        What was buffered so far goes first, as one chunk; then each
        fragment goes to the stream as it arrives, a :class:`str` for a text
        message (an incomplete UTF-8 sequence at the end of a fragment is
        completed by the next one) and :class:`bytes` for a binary message.
        """
        self._stream = stream
        stream.started = True
        if self.opcode is not None:
            stream.text_or_binary = "text" if self.opcode == OP_TEXT else "binary"
        buffer = self._buffer
        if not buffer:
            return
        decoder = self._decoder
        if decoder is not None:
            # The decoder holds an incomplete UTF-8 sequence at the end.
            pending = len(decoder.getstate()[0])
            chunk: Data = bytes(buffer[: len(buffer) - pending]).decode()
        else:
            chunk = bytes(buffer)
        self._buffer = bytearray()
        stream.put(chunk, False)

    def add(self, opcode: int, data: bytes, fin: bool) -> Optional[Data]:
        """Add a data frame that belongs to a fragmented message.

        :param opcode: opcode of the frame
        :param data: payload of the frame, decoded by extensions
        :param fin: FIN bit of the frame
        :return: the message once its last frame arrives, else ``None``
        :raises AssemblyError: with code 1002 for a continuation frame
            outside a message or a new message inside one, 1009 when the
            message exceeds ``max_size`` bytes or fragments, 1007 for invalid
            UTF-8 in a text message
        """
        if opcode == OP_CONT:
            if self.opcode is None:
                raise AssemblyError(1002, "unexpected continuation frame")
        elif self.opcode is not None:
            raise AssemblyError(1002, "expected a continuation frame")
        else:
            # First frame of a fragmented message.
            self.opcode = opcode
            if opcode == OP_TEXT:
                self._decoder = _utf8_decoder()
            if self._stream is not None:
                self._stream.text_or_binary = "text" if opcode == OP_TEXT else "binary"

        # The frame parser enforced the size budget for this frame; count
        # fragments too, so that empty fragments can't go on forever.
        self._fragments += 1
        if self.max_size is not None and self._fragments > self.max_size:
            raise AssemblyError(
                1009, f"message has more fragments than the limit ({self.max_size})"
            )

        self._size += len(data)
        decoder = self._decoder
        text = ""
        if decoder is not None:
            # Validate UTF-8 as it arrives, to fail at the first bad fragment.
            try:
                text = decoder.decode(data, fin)
            except UnicodeDecodeError as exc:
                raise AssemblyError(
                    1007, f"{exc.reason} at position {exc.start}"
                ) from None
        stream = self._stream
        if stream is not None:
            stream.put(text if decoder is not None else bytes(data), fin)
            if fin:
                self._reset()
            return None
        self._buffer += data
        if not fin:
            return None

        buffer = self._buffer
        message: Data = buffer.decode() if decoder is not None else bytes(buffer)
        self._reset()
        return message

    def _reset(self) -> None:
        # Ready for the next message.
        self.opcode = None
        self._buffer = bytearray()
        self._size = 0
        self._fragments = 0
        self._decoder = None
        self._stream = None

    def check_partial_text(self, parser: FrameParser, compressed: bool) -> None:
        """Validate the UTF-8 of a text frame that is still arriving.

        RFC 6455 8.1: invalid UTF-8 fails the connection. Checking each part
        of a long frame as it arrives fails it at the first bad byte, like
        the Autobahn Testsuite's "fail fast" cases expect, instead of when
        the whole frame is in. Compressed frames are checked once inflated.

        Call it when :meth:`FrameParser.next_frame` returned ``None``, and
        :meth:`frame_complete` when it returns a frame.

        :param parser: the connection's frame parser
        :param compressed: whether continuation frames may carry compressed
            data, i.e. extensions are active (RFC 7692 6.1)
        :raises AssemblyError: with code 1007 for invalid UTF-8
        """
        b0 = parser.pending_first_byte()
        # Skip binary frames and compressed frames before peeking at the
        # payload: only text frames are worth the cost.
        if b0 is None or b0 & 0x40:
            return
        decoder = self._partial_decoder
        if decoder is None:
            opcode = b0 & 0x0F
            if opcode == OP_TEXT:
                decoder = _utf8_decoder()
            elif opcode == OP_CONT and self._decoder is not None and not compressed:
                # Continue from the state of the fragmented text message.
                decoder = _utf8_decoder()
                decoder.setstate(self._decoder.getstate())
            else:
                return
        peek = parser.pending_payload(self._partial_offset)
        if peek is None:
            return
        data = peek[1]
        if not data:
            return
        self._partial_decoder = decoder
        try:
            decoder.decode(data)
        except UnicodeDecodeError as exc:
            position = self._partial_offset + exc.start
            raise AssemblyError(1007, f"{exc.reason} at position {position}") from None
        self._partial_offset += len(data)

    def frame_complete(self) -> bool:
        """Forget the validation state of a frame that is now complete.

        :return: ``True`` if the assembler is idle and may be dropped
        """
        self._partial_decoder = None
        self._partial_offset = 0
        return self.opcode is None
