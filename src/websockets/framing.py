"""Read and write WebSocket frames: RFC 6455, section 5.

:mod:`websockets.framing` deals with a single frame at a time. Anything that
depends on the sequence of frames is implemented in
:mod:`websockets.protocol`.

There is one implementation of the wire format, :func:`decode_header`, and
two drivers for it:

* :meth:`Frame.read`, the coroutine of the websockets 8.1 API, which pulls
  bytes from an ``async`` reader;
* :class:`~websockets.frame_parser.FrameParser`, an incremental, await-free
  parser that is fed the bytes the transport receives and hands back complete
  frames. This is what the connection uses: it runs synchronously in
  ``data_received()``. It lives in :mod:`websockets.frame_parser` and is
  re-exported here.

"""

from __future__ import annotations

import struct
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from .exceptions import PayloadTooBig, ProtocolError
from .typing import BytesLike
from .utils import apply_mask, frame_bytes, generate_mask

if TYPE_CHECKING:
    from .extensions.base import Extension

__all__ = [
    "CTRL_OPCODES",
    "DATA_OPCODES",
    "OP_BINARY",
    "OP_CLOSE",
    "OP_CONT",
    "OP_PING",
    "OP_PONG",
    "OP_TEXT",
    "Frame",
    "FrameParser",
    "PayloadTooBig",
    "ProtocolError",
    "check_close",
    "decode_header",
    "encode_data",
    "parse_close",
    "prepare_data",
    "serialize_close",
]

# Opcodes: RFC 6455, section 5.2 (and 11.8 for the registry).
OP_CONT, OP_TEXT, OP_BINARY = 0x00, 0x01, 0x02
OP_CLOSE, OP_PING, OP_PONG = 0x08, 0x09, 0x0A

DATA_OPCODES = OP_CONT, OP_TEXT, OP_BINARY
CTRL_OPCODES = OP_CLOSE, OP_PING, OP_PONG

# Close codes that may appear in a close frame: RFC 6455, section 7.4.1 and
# the IANA registry (section 11.7). 1004 is reserved; 1005, 1006 and 1015
# are reserved for use by endpoints and must not be sent. 3000-3999 are
# registered with IANA and 4000-4999 are for private use (section 7.4.2).
EXTERNAL_CLOSE_CODES = frozenset(
    [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014]
)

# The longest header: 2 bytes, a 64-bit extended payload length and a
# masking key (RFC 6455, section 5.2).
MAX_HEADER_SIZE = 14

_unpack_from = struct.unpack_from


class Frame(NamedTuple):
    """WebSocket frame.

    :param bool fin: FIN bit
    :param bool rsv1: RSV1 bit
    :param bool rsv2: RSV2 bit
    :param bool rsv3: RSV3 bit
    :param int opcode: opcode
    :param bytes data: payload data

    Only these fields are needed. The MASK bit, payload length and
    masking-key are handled on the fly by :meth:`read` and :meth:`write`.

    """

    fin: bool
    opcode: int
    data: bytes
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False

    @classmethod
    async def read(
        cls,
        reader: Callable[[int], Awaitable[bytes]],
        *,
        mask: bool,
        max_size: Optional[int] = None,
        extensions: Optional[Sequence[Extension]] = None,
    ) -> Frame:
        """Read a WebSocket frame.

        :param reader: coroutine that reads exactly the requested number of
            bytes, unless the end of file is reached
        :param mask: whether the frame should be masked i.e. whether the read
            happens on the server side
        :param max_size: maximum payload size in bytes
        :param extensions: list of classes with a ``decode()`` method that
            transforms the frame and return a new frame; extensions are
            applied in reverse order
        :raises ~websockets.exceptions.PayloadTooBig: if the frame exceeds
            ``max_size``; this is checked from the header, before reading the
            payload
        :raises ~websockets.exceptions.ProtocolError: if the frame contains
            incorrect values
        :raises EOFError: if the stream ends before the end of the frame:
            whatever ``reader`` raises then (``asyncio.StreamReader``'s
            ``readexactly()`` raises :exc:`asyncio.IncompleteReadError`, a
            subclass of :exc:`EOFError`), or :exc:`EOFError` if ``reader``
            returns fewer bytes than requested

        """
        mask = bool(mask)
        limit = wire_limit(max_size, extensions)
        head = await reader(2)
        if len(head) != 2:
            raise EOFError("stream ends inside a frame header")
        header_size, length = decode_header(head, 0, 2, mask, limit)
        if length < 0:
            more = await reader(header_size - 2)
            if len(more) != header_size - 2:
                raise EOFError("stream ends inside a frame header")
            head += more
            header_size, length = decode_header(head, 0, header_size, mask, limit)

        if length:
            data = await reader(length)
            if len(data) != length:
                raise EOFError("stream ends inside a frame payload")
            if mask:
                data = apply_mask(data, head[header_size - 4 :])
        else:
            data = b""

        frame = cls(*frame_fields(head[0], data))
        if extensions:
            for extension in reversed(extensions):
                frame = extension.decode(frame, max_size=max_size)
            check_decoded_size(frame, max_size)
        frame.check()
        return frame

    def write(
        self,
        writer: Callable[[bytes], Any],
        *,
        mask: bool,
        extensions: Optional[Sequence[Extension]] = None,
    ) -> None:
        """Write a WebSocket frame.

        The header and the payload go out in a single call of ``writer``.

        :param writer: function that writes bytes
        :param mask: whether the frame should be masked i.e. whether the
            write happens on the client side
        :param extensions: list of classes with an ``encode()`` method that
            transform the frame and return a new frame; extensions are
            applied in order
        :raises ~websockets.exceptions.ProtocolError: if the frame contains
            incorrect values

        """
        writer(self.serialize(mask=mask, extensions=extensions))

    def serialize(
        self,
        *,
        mask: bool,
        extensions: Optional[Sequence[Extension]] = None,
    ) -> bytes:
        """Return the bytes of this frame on the wire.

        The frame is checked, then extensions are applied in order. The
        payload length uses the shortest encoding (RFC 6455, section 5.2);
        a masked frame gets a fresh masking key (section 5.3).

        :param mask: whether the frame should be masked
        :param extensions: list of classes with an ``encode()`` method that
            transform the frame and return a new frame
        :raises ~websockets.exceptions.ProtocolError: if the frame contains
            incorrect values

        """
        # Check before extensions: they may set reserved bits (RSV1 for
        # permessage-deflate).
        self.check()
        frame = self
        if extensions:
            for extension in extensions:
                frame = extension.encode(frame)

        b0 = (
            (0x80 if frame.fin else 0)
            | (0x40 if frame.rsv1 else 0)
            | (0x20 if frame.rsv2 else 0)
            | (0x10 if frame.rsv3 else 0)
            | frame.opcode
        )
        return serialize_frame(b0, frame.data, mask)

    def check(self) -> None:
        """Check that reserved bits and opcode have acceptable values.

        :raises ~websockets.exceptions.ProtocolError: if a reserved bit is
            set, if the opcode is invalid, or if a control frame is
            fragmented or has a payload longer than 125 bytes

        """
        # RFC 6455, section 5.2: reserved bits must be 0 unless an
        # extension that defines them was negotiated (and cleared them).
        if self.rsv1 or self.rsv2 or self.rsv3:
            raise ProtocolError("reserved bits must be 0")

        if self.opcode in DATA_OPCODES:
            return
        elif self.opcode in CTRL_OPCODES:
            # RFC 6455, section 5.5: control frames have a payload of 125
            # bytes or less and must not be fragmented.
            if len(self.data) > 125:
                raise ProtocolError("control frame too long")
            if not self.fin:
                raise ProtocolError("fragmented control frame")
        else:
            raise ProtocolError(f"invalid opcode: {self.opcode}")


def frame_fields(b0: int, data: bytes) -> Tuple[bool, int, bytes, bool, bool, bool]:
    """Return the fields of a :class:`Frame`, in order, from the first byte of
    its header (FIN, RSV1-3, opcode: RFC 6455, section 5.2) and its payload.
    """
    return (
        (b0 & 0x80) != 0,
        b0 & 0x0F,
        data,
        (b0 & 0x40) != 0,
        (b0 & 0x20) != 0,
        (b0 & 0x10) != 0,
    )


def serialize_frame(b0: int, data: BytesLike, mask: bool) -> bytes:
    """Return the bytes of a frame on the wire: RFC 6455, section 5.2.

    This is the one implementation of the frame format for writing, used by
    :meth:`Frame.serialize` and by the connection's hot path, which skips
    :meth:`Frame.check` when it knows the frame is valid.

    :param b0: first byte of the header: FIN, RSV1-3 and opcode
    :param data: payload
    :param mask: whether to mask the payload with a fresh key (section 5.3)

    """
    return frame_bytes(b0, data, generate_mask() if mask else None)


def wire_limit(
    max_size: Optional[int], extensions: Optional[Sequence[Extension]]
) -> Optional[int]:
    """Return the largest payload to accept on the wire for ``max_size``.

    Without extensions, it's ``max_size``. With extensions, a payload may be
    a little larger than the data it carries: deflate adds a few bytes per
    block to data that doesn't compress. The extension enforces ``max_size``
    on the decoded data while decoding, so the wire limit gets some slack:
    1/64 plus 1 KiB.

    """
    if max_size is None or not extensions:
        return max_size
    return max_size + (max_size >> 6) + 1024


def check_decoded_size(frame: Frame, max_size: Optional[int]) -> None:
    """Enforce ``max_size`` on a frame decoded by extensions.

    :raises ~websockets.exceptions.PayloadTooBig: if the payload is larger

    """
    if max_size is not None and len(frame.data) > max_size:
        raise PayloadTooBig(
            f"payload length exceeds size limit ({len(frame.data)} > {max_size} bytes)"
        )


def decode_header(
    buffer: Union[bytes, bytearray],
    pos: int,
    end: int,
    mask: bool,
    max_size: Optional[int],
) -> Tuple[int, int]:
    """Decode the header of a frame: RFC 6455, section 5.2.

    This is the one implementation of the frame header format, shared by
    :meth:`Frame.read` and :class:`~websockets.frame_parser.FrameParser`.

    The header starts at ``buffer[pos]``; bytes are available up to ``end``,
    which must be at least ``pos + 2``. Checks that only need the first two
    bytes are made before anything else, so that a peer breaking the
    protocol is caught without waiting for more data.

    :param buffer: buffer holding the header
    :param pos: position of the header in ``buffer``
    :param end: end of the available bytes in ``buffer``
    :param mask: whether the frame must be masked (server side) or not
    :param max_size: maximum payload size in bytes
    :return: ``(header_size, payload_length)``; ``payload_length`` is ``-1``
        when the header isn't complete, in which case ``header_size`` tells
        how many bytes it takes
    :raises ~websockets.exceptions.ProtocolError: for an unknown opcode, a
        fragmented control frame, a control frame longer than 125 bytes, a
        MASK bit that isn't as expected or a 64-bit length with the most
        significant bit set
    :raises ~websockets.exceptions.PayloadTooBig: if the payload length
        exceeds ``max_size``

    """
    b0 = buffer[pos]
    b1 = buffer[pos + 1]
    length = b1 & 0x7F

    # RFC 6455, section 5.1: clients mask frames, servers don't; a server
    # must close the connection when it receives an unmasked frame and a
    # client when it receives a masked one. b1 < 256: MASK is b1 > 127.
    if (b1 > 127) is not mask:
        raise ProtocolError("incorrect masking")

    opcode = b0 & 0x0F
    if opcode > 2:  # not OP_CONT, OP_TEXT or OP_BINARY
        # RFC 6455, section 5.2: opcodes 0x3-0x7 and 0xB-0xF are reserved.
        if opcode not in CTRL_OPCODES:
            raise ProtocolError(f"invalid opcode: {opcode}")
        # RFC 6455, section 5.5: control frames can't be fragmented and have
        # a payload of 125 bytes or less (which excludes the 126 and 127
        # extended length markers).
        if not b0 & 0x80:
            raise ProtocolError("fragmented control frame")
        if length > 125:
            raise ProtocolError("control frame too long")

    header_size = 6 if mask else 2
    if length < 126:
        if end - pos < header_size:
            return header_size, -1
    elif length == 126:
        # 16-bit extended payload length.
        header_size += 2
        if end - pos < header_size:
            return header_size, -1
        (length,) = _unpack_from("!H", buffer, pos + 2)
    else:
        # 64-bit extended payload length: "the most significant bit MUST
        # be 0". Non-minimal encodings are accepted, like websockets 8.1 did.
        header_size += 8
        if end - pos < header_size:
            return header_size, -1
        (length,) = _unpack_from("!Q", buffer, pos + 2)
        if length >> 63:
            raise ProtocolError("invalid payload length")

    if max_size is not None and length > max_size:
        raise PayloadTooBig(
            f"payload length exceeds size limit ({length} > {max_size} bytes)"
        )
    return header_size, length


def prepare_data(data: Any) -> Tuple[int, BytesLike]:
    """Convert a string or byte-like object to an opcode and a bytes-like
    object.

    This function is designed for data frames.

    If ``data`` is a :class:`str`, return ``OP_TEXT`` and a :class:`bytes`
    object encoding ``data`` in UTF-8.

    If ``data`` is a bytes-like object, return ``OP_BINARY`` and a
    bytes-like object: the same :class:`bytes` or :class:`bytearray`, a
    contiguous :class:`memoryview` (cast to bytes if needed), or a
    :class:`bytes` copy of a non-contiguous one.

    :raises TypeError: if ``data`` doesn't have a supported type

    """
    if isinstance(data, str):
        return OP_TEXT, data.encode("utf-8")
    elif isinstance(data, (bytes, bytearray)):
        return OP_BINARY, data
    elif isinstance(data, memoryview):
        if not data.c_contiguous:
            return OP_BINARY, data.tobytes()
        if data.format != "B" or data.ndim != 1:
            return OP_BINARY, data.cast("B")
        return OP_BINARY, data
    else:
        raise TypeError("data must be bytes-like or str")


def encode_data(data: Any) -> bytes:
    """Convert a string or byte-like object to bytes.

    This function is designed for ping and pong frames.

    If ``data`` is a :class:`str`, return a :class:`bytes` object encoding
    ``data`` in UTF-8.

    If ``data`` is a bytes-like object, return a :class:`bytes` object.

    :raises TypeError: if ``data`` doesn't have a supported type

    """
    if isinstance(data, str):
        return data.encode("utf-8")
    elif isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    else:
        raise TypeError("data must be bytes-like or str")


def parse_close(data: bytes) -> Tuple[int, str]:
    """Parse the payload from a close frame.

    RFC 6455, section 5.5.1: the payload is empty, or a 2-byte close code
    followed by a UTF-8 reason. An empty payload means that no status code
    was received, which section 7.1.5 represents as 1005.

    :return: ``(code, reason)``
    :raises ~websockets.exceptions.ProtocolError: if data is ill-formed
    :raises UnicodeDecodeError: if the reason isn't valid UTF-8

    """
    if data == b"\x03\xe8":
        # The usual close frame: 1000, no reason.
        return 1000, ""
    length = len(data)
    if length >= 2:
        (code,) = struct.unpack_from("!H", data)
        check_close(code)
        reason = bytes(data[2:]).decode("utf-8")
        return code, reason
    elif length == 0:
        return 1005, ""
    else:
        raise ProtocolError("close frame too short")


def serialize_close(code: int, reason: str) -> bytes:
    """Serialize the payload for a close frame.

    This is the reverse of :func:`parse_close`.

    :raises ~websockets.exceptions.ProtocolError: if ``code`` may not be
        sent in a close frame

    """
    if code == 1000 and not reason:
        # The usual close frame.
        return b"\x03\xe8"
    check_close(code)
    return struct.pack("!H", code) + reason.encode("utf-8")


def check_close(code: int) -> None:
    """Check that the close code may appear in a close frame.

    RFC 6455, section 7.4: 1000-1003 and 1007-1014 (defined by the RFC and
    the IANA registry) and 3000-4999 (registered and private use) are valid.
    1004 is reserved, 1005, 1006 and 1015 are only used internally, and the
    rest are unassigned.

    :raises ~websockets.exceptions.ProtocolError: if the close code is
        invalid

    """
    if not (code in EXTERNAL_CLOSE_CODES or 3000 <= code < 5000):
        raise ProtocolError("invalid status code")


# FrameParser lives in websockets.frame_parser, which imports this module: it
# is re-exported lazily, so that either module may be imported first.
if TYPE_CHECKING:
    from .frame_parser import FrameParser
else:

    def __getattr__(name: str) -> Any:
        if name == "FrameParser":
            from .frame_parser import FrameParser

            return FrameParser
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
