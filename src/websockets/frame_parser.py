"""Incremental, await-free parser of WebSocket frames: RFC 6455, section 5.

:class:`FrameParser` is fed the bytes the transport receives and hands back
complete frames. This is what the connection uses: it runs synchronously in
``data_received()``. It drives :func:`~websockets.framing.decode_header`, the
one implementation of the wire format, like :meth:`Frame.read
<websockets.framing.Frame.read>` does for the ``async`` reader of the
websockets 8.1 API.

"""

from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple, Union

from .exceptions import ProtocolError
from .framing import (
    Frame,
    check_decoded_size,
    decode_header,
    frame_fields,
    wire_limit,
)
from .utils import apply_mask, parse_frame, unmask_join, unmask_slice

if TYPE_CHECKING:
    from .extensions.base import Extension

__all__ = ["FrameParser"]

_tuple_new = tuple.__new__

# Chunks smaller than this are copied together when they pile up, so that a
# peer trickling bytes can't make the parser hold many small objects.
_SMALL_CHUNK = 4096


class FrameParser:
    """Incremental, await-free parser of WebSocket frames.

    Feed it the bytes received from the network with :meth:`feed`, then call
    :meth:`next_frame` until it returns ``None``.

    Frames that lie entirely in a received chunk are sliced (and unmasked)
    straight out of it. A frame that spans several chunks is assembled from
    them in a single pass once its last byte arrives: its payload is copied
    exactly once, unmasking included.

    :param mask: whether frames must be masked i.e. whether the parser runs
        on the server side
    :param max_size: maximum payload size in bytes; ``None`` for no limit
    :param extensions: extensions whose ``decode()`` method applies to every
        frame, in reverse order

    .. attribute:: max_size

        Maximum payload size of the next frame, in bytes. It may be changed
        between frames, for example to the remaining budget of a fragmented
        message.

    .. attribute:: extensions

        Extensions applied to incoming frames; set after the handshake.

    .. attribute:: drained

        ``True`` when no byte is buffered: before anything is fed, and when
        the last frame that :meth:`next_frame` returned ended exactly where
        the bytes fed so far end (the next call would return ``None``, there's
        no incomplete frame). ``False`` means that there may be more; it's
        ``False`` in some cases where there isn't. It spares the caller a call
        per chunk received.

    """

    __slots__ = (
        "_buffer",
        "_chunks",
        "_pending",
        "_pos",
        "drained",
        "extensions",
        "mask",
        "max_size",
    )

    def __init__(
        self,
        *,
        mask: bool,
        max_size: Optional[int] = None,
        extensions: Optional[Sequence[Extension]] = None,
    ) -> None:
        self.mask = bool(mask)
        self.max_size = max_size
        self.extensions: List[Extension] = list(extensions or [])
        # Unconsumed bytes are self._buffer[self._pos:] followed by the
        # chunks in self._chunks, which hold self._pending bytes in total.
        # self._buffer is always a bytes object: often a chunk exactly as it
        # was fed, without any copy.
        self._buffer = b""
        self._pos = 0
        self._chunks: List[Union[bytes, bytearray]] = []
        self._pending = 0
        self.drained = True

    def feed(self, data: Union[bytes, bytearray, memoryview]) -> None:
        """Buffer bytes received from the network.

        This never raises an exception. Mutable buffers are copied; bytes
        objects are kept as they are.

        :param data: bytes received

        """
        if type(data) is not bytes:
            data = bytes(data)
        if not data:
            return
        self.drained = False
        if self._pos == len(self._buffer) and not self._chunks:
            self._buffer = data
            self._pos = 0
            return
        chunks = self._chunks
        if len(data) < _SMALL_CHUNK:
            if chunks and type(chunks[-1]) is bytearray:
                chunks[-1] += data
            else:
                chunks.append(bytearray(data))
        else:
            chunks.append(data)
        self._pending += len(data)

    def buffered(self) -> int:
        """Return the number of bytes received and not parsed yet."""
        return len(self._buffer) - self._pos + self._pending

    def next_frame(self) -> Optional[Frame]:
        """Parse the next frame.

        :return: a complete frame, unmasked, decoded by extensions and
            checked with :meth:`Frame.check`; ``None`` if more bytes are
            needed
        :raises ~websockets.exceptions.ProtocolError: if the frame is
            invalid; checks that only need the first two bytes of the header
            are made as soon as they're received
        :raises ~websockets.exceptions.PayloadTooBig: as soon as the header
            announces a payload longer than :attr:`max_size`

        After an exception, the parser is unusable: the connection must be
        failed.

        """
        buffer = self._buffer
        pos = self._pos
        end = len(buffer)
        if end - pos >= 2:
            limit = self.max_size
            if self.extensions:
                limit = wire_limit(limit, self.extensions)
            # Fast path: the whole frame is in the current buffer. The
            # payload is copied once, by unmasking or by slicing. The C
            # accelerator does it in one call when the frame is complete and
            # valid; otherwise decode_header() finds out what's wrong.
            parsed = None
            if parse_frame is not None:
                parsed = parse_frame(buffer, pos, self.mask, limit)
            if parsed is not None:
                b0, data, stop = parsed
            else:
                header_size, length = decode_header(buffer, pos, end, self.mask, limit)
                stop = pos + header_size + length
                if length < 0 or stop > end:
                    return self._next_frame_slow()
                if self.mask:
                    data = unmask_slice(buffer, stop - length - 4, stop)
                else:
                    data = buffer[stop - length : stop]
                b0 = buffer[pos]
            if stop == end:
                # Don't hold the received chunk once it's parsed, e.g. on an
                # idle connection after a pong.
                self._buffer = b""
                self._pos = 0
                self.drained = not self._chunks
            else:
                self._pos = stop
            if b0 & 0x70 or self.extensions:
                return self._make_frame(b0, data)
            # Without extensions nor reserved bits, the header's decoding
            # made all the checks of Frame.check(). b0 < 256: FIN is b0 > 127.
            return _tuple_new(Frame, (b0 > 127, b0 & 0x0F, data, False, False, False))
        elif pos == end and not self._chunks:
            # Everything received was parsed: the usual end of a chunk.
            return None
        return self._next_frame_slow()

    def _make_frame(self, b0: int, data: bytes) -> Frame:
        """Build a frame, apply extensions and check it."""
        frame: Frame = _tuple_new(Frame, frame_fields(b0, data))
        extensions = self.extensions
        if extensions:
            max_size = self.max_size
            for extension in reversed(extensions):
                frame = extension.decode(frame, max_size=max_size)
            check_decoded_size(frame, max_size)
            frame.check()
        elif b0 & 0x70:
            # Without extensions, this is all that Frame.check() has left to
            # verify: decode_header() checked the opcode and control frames.
            raise ProtocolError("reserved bits must be 0")
        return frame

    def _next_frame_slow(self) -> Optional[Frame]:
        """Parse a frame that isn't entirely in the current buffer."""
        chunks = self._chunks
        if not chunks:
            return None
        buffer = self._buffer
        pos = self._pos
        available = len(buffer) - pos
        length = -1
        if available >= 2:
            header_size, length = decode_header(
                buffer,
                pos,
                len(buffer),
                self.mask,
                wire_limit(self.max_size, self.extensions),
            )
        if length < 0:
            # The header is incomplete: move on to the next chunk, with the
            # start of the header in front of it. This copies at most one
            # chunk, at most once per frame header split across chunks.
            chunk = chunks.pop(0)
            self._pending -= len(chunk)
            if available:
                chunk = b"".join((memoryview(buffer)[pos:], chunk))
            elif type(chunk) is not bytes:
                chunk = bytes(chunk)
            self._buffer = chunk
            self._pos = 0
            return self.next_frame()

        # The header is complete and the frame isn't: collect the rest of
        # the payload from the following chunks, if they hold it.
        remaining = header_size + length - available
        if remaining > self._pending:
            return None
        parts: List[Union[bytes, bytearray, memoryview]] = [
            memoryview(buffer)[pos + header_size :]
        ]
        while True:
            chunk = chunks.pop(0)
            size = len(chunk)
            self._pending -= size
            if size >= remaining:
                break
            parts.append(chunk)
            remaining -= size
        # The frame ends in this chunk, which becomes the buffer.
        if size == remaining:
            parts.append(chunk)
            self._buffer = b""
            self._pos = 0
        else:
            parts.append(memoryview(chunk)[:remaining])
            self._buffer = bytes(chunk) if type(chunk) is not bytes else chunk
            self._pos = remaining

        if self.mask:
            key_pos = pos + header_size - 4
            data = unmask_join(parts, buffer[key_pos : key_pos + 4])
        else:
            data = b"".join(parts)
        return self._make_frame(buffer[pos], data)

    def pending_first_byte(self) -> Optional[int]:
        """Return the first byte of the header of the next frame, if any.

        This tells the opcode and the RSV1 bit of an incomplete frame
        cheaply, before peeking at its payload with :meth:`pending_payload`.

        """
        buffer = self._buffer
        pos = self._pos
        if pos < len(buffer):
            return buffer[pos]
        return None

    def pending_payload(self, start: int) -> Optional[Tuple[int, bytes]]:
        """Peek at the payload of a frame that isn't complete yet.

        This lets the connection validate the UTF-8 of a long text frame as
        it arrives (RFC 6455 section 8.1), instead of when it's complete. It
        doesn't consume anything and doesn't apply extensions.

        Call it only after :meth:`next_frame` returned ``None``.

        :param start: offset in the payload of the first byte to return;
            bytes before it were returned by earlier calls
        :return: the first byte of the frame header and the payload bytes
            received from ``start`` on, unmasked; ``None`` if the header
            itself isn't complete

        """
        buffer = self._buffer
        pos = self._pos
        if len(buffer) - pos < 2:
            return None
        header_size, length = decode_header(buffer, pos, len(buffer), self.mask, None)
        if length < 0:
            return None
        # Collect the payload bytes from offset start: first in the buffer,
        # then in the chunks that follow it.
        offset = pos + header_size + start
        parts: List[Union[bytes, bytearray, memoryview]] = []
        if offset < len(buffer):
            parts.append(memoryview(buffer)[offset:])
            skip = 0
        else:
            skip = offset - len(buffer)
        for chunk in self._chunks:
            if skip >= len(chunk):
                skip -= len(chunk)
                continue
            parts.append(memoryview(chunk)[skip:])
            skip = 0
        data = b"".join(parts)
        if self.mask and data:
            key_pos = pos + header_size - 4
            phase = start % 4
            key = (
                buffer[key_pos + phase : key_pos + 4]
                + buffer[key_pos : key_pos + phase]
            )
            data = apply_mask(data, key)
        return buffer[pos], data
