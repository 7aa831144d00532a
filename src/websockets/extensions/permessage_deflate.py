"""The "permessage-deflate" extension: RFC 7692.

:class:`ClientPerMessageDeflateFactory` and
:class:`ServerPerMessageDeflateFactory` negotiate the extension during the
opening handshake (RFC 7692, sections 5 and 7.1); :class:`PerMessageDeflate`
compresses and decompresses messages on an open connection (RFC 7692,
sections 6 and 7.2).

Memory: a compressor takes about ``2 ** (wbits + 2) + 2 ** (memLevel + 9)``
bytes and a decompressor about ``2 ** wbits`` bytes, plus a few KiB of state.
Both are created on first use and, without context takeover, released at the
end of each message, so an idle connection holds no zlib state unless context
takeover requires it.
"""

from __future__ import annotations

import zlib
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ..exceptions import (
    DuplicateParameter,
    InvalidParameterName,
    InvalidParameterValue,
    NegotiationError,
    PayloadTooBig,
    ProtocolError,
)
from ..framing import OP_CLOSE, OP_CONT, Frame
from ..typing import ExtensionName, ExtensionParameter
from .base import ClientExtensionFactory, Extension, ServerExtensionFactory

__all__ = [
    "ClientPerMessageDeflateFactory",
    "PerMessageDeflate",
    "ServerPerMessageDeflateFactory",
]

_NAME = ExtensionName("permessage-deflate")

# RFC 7692, section 7.2.1: a compressed message ends with an empty stored
# block, whose last four octets are removed by the sender and appended again
# by the receiver (section 7.2.2).
_EMPTY_UNCOMPRESSED_BLOCK = b"\x00\x00\xff\xff"

_Z_SYNC_FLUSH = zlib.Z_SYNC_FLUSH

# Size up to which the decoder appends the empty block to a copy of the
# payload rather than feeding it to zlib separately.
_SMALL_PAYLOAD = 8192

# RFC 7692, section 7.1.2.1: "a decimal integer value without leading zeros
# between 8 to 15, inclusive"; a quoted-string value arrives unquoted from
# the header parser (section 7.1).
_WINDOW_BITS_VALUES = {str(bits): bits for bits in range(8, 16)}


def _check_window_bits(
    name: str, value: object, *, allow_none: bool = True, allow_true: bool = False
) -> None:
    """Validate a ``*_max_window_bits`` argument of a constructor.

    :raises ValueError: unless ``value`` is an :class:`int` between 8 and 15,
        ``None`` when ``allow_none`` is set, or ``True`` when ``allow_true``
        is set
    """
    if (value is None and allow_none) or (value is True and allow_true):
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 8 <= value <= 15:
        raise ValueError(f"{name} must be between 8 and 15, got {value!r}")


def _check_compress_settings(
    compress_settings: Optional[Dict[str, Any]],
) -> Dict[str, Any]:
    """Validate and copy ``compress_settings``.

    :raises ValueError: if ``compress_settings`` contains ``wbits``, which
        the negotiation determines
    """
    if compress_settings is None:
        return {}
    if "wbits" in compress_settings:
        raise ValueError(
            "compress_settings must not include wbits, "
            "set server_max_window_bits and client_max_window_bits instead"
        )
    return dict(compress_settings)


class PerMessageDeflate(Extension):
    """Per-Message Deflate extension on an open connection.

    "Remote" refers to the peer and "local" to this side: the remote
    parameters control decompression of incoming messages, the local
    parameters control compression of outgoing messages.

    :param remote_no_context_takeover: the peer resets its compressor after
        each message, so the decompressor is reset too (RFC 7692, 7.1.1)
    :param local_no_context_takeover: reset the compressor after each message
    :param remote_max_window_bits: base-2 logarithm of the LZ77 sliding window
        that the peer uses, between 8 and 15 (RFC 7692, section 7.1.2)
    :param local_max_window_bits: base-2 logarithm of the LZ77 sliding window
        for compression, between 8 and 15; zlib can't compress with 8, so 9
        is used instead, which is safe: with a 512-byte window, zlib never
        emits a distance beyond 250 bytes, within the 256-byte window that the
        peer keeps for the value 8
    :param compress_settings: keyword arguments for :func:`zlib.compressobj`,
        excluding ``wbits``
    :raises ValueError: if a window size is out of range or
        ``compress_settings`` contains ``wbits``
    """

    __slots__ = (
        "_compress_wbits",
        "_decoder",
        "_decoding",
        "_encoder",
        "compress_settings",
        "local_max_window_bits",
        "local_no_context_takeover",
        "remote_max_window_bits",
        "remote_no_context_takeover",
    )

    name = _NAME

    def __init__(
        self,
        remote_no_context_takeover: bool,
        local_no_context_takeover: bool,
        remote_max_window_bits: int,
        local_max_window_bits: int,
        compress_settings: Optional[Dict[str, Any]] = None,
    ) -> None:
        _check_window_bits(
            "remote_max_window_bits", remote_max_window_bits, allow_none=False
        )
        _check_window_bits(
            "local_max_window_bits", local_max_window_bits, allow_none=False
        )
        self.remote_no_context_takeover = remote_no_context_takeover
        self.local_no_context_takeover = local_no_context_takeover
        self.remote_max_window_bits = remote_max_window_bits
        self.local_max_window_bits = local_max_window_bits
        self.compress_settings = _check_compress_settings(compress_settings)
        # zlib refuses wbits=-8 for raw deflate: see local_max_window_bits.
        self._compress_wbits = -max(local_max_window_bits, 9)
        # Created lazily: see the module docstring.
        self._encoder: Optional[zlib._Compress] = None
        self._decoder: Optional[zlib._Decompress] = None
        # True while decompressing the continuation frames of a message
        # whose first frame had RSV1 set.
        self._decoding = False

    def __repr__(self) -> str:
        return (
            f"PerMessageDeflate("
            f"remote_no_context_takeover={self.remote_no_context_takeover}, "
            f"local_no_context_takeover={self.local_no_context_takeover}, "
            f"remote_max_window_bits={self.remote_max_window_bits}, "
            f"local_max_window_bits={self.local_max_window_bits})"
        )

    def decode(self, frame: Frame, *, max_size: Optional[int] = None) -> Frame:
        """Decompress an incoming frame.

        Frames of uncompressed messages and control frames pass through.

        :param frame: incoming frame
        :param max_size: maximum size of the decompressed payload; output
            stops at this size, so a small frame can't inflate to a large
            allocation ("deflate bomb")
        :return: frame with the decompressed payload and RSV1 cleared
        :raises ~websockets.exceptions.PayloadTooBig: if the decompressed
            payload exceeds ``max_size``
        :raises ~websockets.exceptions.ProtocolError: if RSV1 is set on a
            control frame or a continuation frame of an uncompressed message,
            or if the payload isn't valid DEFLATE data
        """
        opcode = frame.opcode
        # RFC 7692, section 6: RSV1 ("Per-Message Compressed") is set only on
        # the first frame of a message; receiving it on a control frame
        # fails the connection.
        if opcode >= OP_CLOSE:  # control frame: RFC 6455, section 5.5
            if frame.rsv1:
                raise ProtocolError("RSV1 set on a control frame")
            return frame
        if opcode == OP_CONT:
            if not self._decoding:
                # A continuation frame of an uncompressed message.
                if frame.rsv1:
                    raise ProtocolError("RSV1 set on a continuation frame")
                return frame
            # websockets 8.1 and earlier set RSV1 on every frame of a
            # compressed message, not only on the first one: every peer of
            # that era does it. The message is known to be compressed, so
            # RSV1 on its continuation frames is accepted and ignored.
            if frame.fin:
                self._decoding = False
        else:
            if not frame.rsv1:
                self._decoding = False
                return frame
            self._decoding = not frame.fin

        decoder = self._decoder
        if decoder is None:
            decoder = self._decoder = zlib.decompressobj(
                wbits=-self.remote_max_window_bits
            )

        # Ask zlib for one byte more than allowed: getting it proves that the
        # payload is too big, while anything shorter means that zlib consumed
        # the whole input and flushed all the output it could produce. 0
        # means no limit for zlib.
        max_length = 0 if max_size is None else max_size + 1
        # RFC 7692, section 7.2.2: append 0x00 0x00 0xff 0xff to the payload
        # of the message before decompressing it. For a small payload, a copy
        # costs less than a second call to zlib; a large one is decompressed
        # first and the four octets are fed separately, to avoid a copy.
        payload = frame.data
        fin = frame.fin
        feed_tail = fin and len(payload) > _SMALL_PAYLOAD
        if fin and not feed_tail:
            # Not +=, which would extend a bytearray payload in place.
            payload = payload + _EMPTY_UNCOMPRESSED_BLOCK
        try:
            data = decoder.decompress(payload, max_length)
            if max_size is not None and len(data) > max_size:
                self._decoder = None
                raise PayloadTooBig(f"over size limit ({max_size} bytes)")
            if feed_tail:
                more = decoder.decompress(
                    _EMPTY_UNCOMPRESSED_BLOCK,
                    0 if max_size is None else max_length - len(data),
                )
                if more:
                    data += more
                    if max_size is not None and len(data) > max_size:
                        self._decoder = None
                        raise PayloadTooBig(f"over size limit ({max_size} bytes)")
        except zlib.error as exc:
            self._decoder = None
            raise ProtocolError(f"invalid compressed data: {exc}") from exc

        if decoder.eof:
            # The peer ended the DEFLATE stream with a block that has BFINAL
            # set, which RFC 7692, section 7.2.3 permits to end a message.
            # Nothing but the appended empty block may follow, and the next
            # message starts a new stream.
            if not fin or not _EMPTY_UNCOMPRESSED_BLOCK.endswith(decoder.unused_data):
                self._decoder = None
                raise ProtocolError("data after the end of the compressed stream")
            self._decoder = None
        elif fin and self.remote_no_context_takeover:
            # RFC 7692, section 7.1.1: the peer starts each message with an
            # empty sliding window; release the decompressor until then.
            self._decoder = None

        return Frame(fin, opcode, data, False, frame.rsv2, frame.rsv3)

    def encode(self, frame: Frame) -> Frame:
        """Compress an outgoing frame.

        Control frames pass through (RFC 7692, section 6). Every data
        message is compressed; RSV1 is set on its first frame.

        :param frame: outgoing frame
        :return: frame with the compressed payload
        """
        opcode = frame.opcode
        if opcode >= OP_CLOSE:
            return frame

        encoder = self._encoder
        if encoder is None:
            encoder = self._encoder = zlib.compressobj(
                wbits=self._compress_wbits, **self.compress_settings
            )

        # RFC 7692, section 7.2.1: compress, then flush with an empty stored
        # block so that the fragment ends on a byte boundary. The compressor
        # usually buffers everything until the flush, so the concatenation
        # rarely copies anything but the small flushed part.
        data = encoder.compress(frame.data)
        flushed = encoder.flush(_Z_SYNC_FLUSH)
        fin = frame.fin
        if fin:
            # Remove the 0x00 0x00 0xff 0xff octets at the end of the message.
            data += flushed[:-4]
            if self.local_no_context_takeover:
                # RFC 7692, section 7.1.1: start the next message with an
                # empty sliding window; release the compressor until then.
                self._encoder = None
        else:
            data += flushed

        # RFC 7692, section 6: RSV1 on the first frame of the message only.
        return Frame(fin, opcode, data, opcode != OP_CONT, frame.rsv2, frame.rsv3)


def _extract_params(
    params: Sequence[ExtensionParameter], *, is_server: bool
) -> Tuple[bool, bool, Optional[int], Union[int, bool, None]]:
    """Parse and validate the parameters of an offer or a response.

    RFC 7692, section 5 (client) and 5.1 (server): an unknown parameter, an
    invalid value or a repeated parameter makes the negotiation fail.

    :param params: parameters in a ``Sec-WebSocket-Extensions`` header
    :param is_server: ``True`` when parsing an offer, in which
        ``client_max_window_bits`` may have no value (section 7.1.2.2)
    :return: ``server_no_context_takeover``, ``client_no_context_takeover``,
        ``server_max_window_bits`` and ``client_max_window_bits``; the window
        sizes are ``None`` when absent and ``client_max_window_bits`` is
        ``True`` when present without a value
    :raises ~websockets.exceptions.DuplicateParameter: on a repeated parameter
    :raises ~websockets.exceptions.InvalidParameterName: on an unknown
        parameter
    :raises ~websockets.exceptions.InvalidParameterValue: on a bad value
    """
    server_no_context_takeover = False
    client_no_context_takeover = False
    server_max_window_bits: Optional[int] = None
    client_max_window_bits: Union[int, bool, None] = None

    for name, value in params:
        if name == "server_no_context_takeover":
            # Section 7.1.1.1: no value.
            if server_no_context_takeover:
                raise DuplicateParameter(name)
            if value is not None:
                raise InvalidParameterValue(name, value)
            server_no_context_takeover = True

        elif name == "client_no_context_takeover":
            # Section 7.1.1.2: no value.
            if client_no_context_takeover:
                raise DuplicateParameter(name)
            if value is not None:
                raise InvalidParameterValue(name, value)
            client_no_context_takeover = True

        elif name == "server_max_window_bits":
            # Section 7.1.2.1: a value between 8 and 15.
            if server_max_window_bits is not None:
                raise DuplicateParameter(name)
            bits = _WINDOW_BITS_VALUES.get(value) if value is not None else None
            if bits is None:
                raise InvalidParameterValue(name, value)
            server_max_window_bits = bits

        elif name == "client_max_window_bits":
            # Section 7.1.2.2: a value between 8 and 15, optional in an offer.
            if client_max_window_bits is not None:
                raise DuplicateParameter(name)
            if value is None and is_server:
                client_max_window_bits = True
            else:
                bits = _WINDOW_BITS_VALUES.get(value) if value is not None else None
                if bits is None:
                    raise InvalidParameterValue(name, value)
                client_max_window_bits = bits

        else:
            raise InvalidParameterName(name)

    return (
        server_no_context_takeover,
        client_no_context_takeover,
        server_max_window_bits,
        client_max_window_bits,
    )


class _FactoryParameters:
    """The parameters of both factories: RFC 7692, section 7.1."""

    __slots__ = (
        "client_max_window_bits",
        "client_no_context_takeover",
        "compress_settings",
        "server_max_window_bits",
        "server_no_context_takeover",
    )

    def _configure(
        self,
        server_no_context_takeover: bool,
        client_no_context_takeover: bool,
        server_max_window_bits: Optional[int],
        client_max_window_bits: Union[int, bool, None],
        compress_settings: Optional[Dict[str, Any]],
        *,
        allow_true: bool,
    ) -> None:
        _check_window_bits("server_max_window_bits", server_max_window_bits)
        _check_window_bits(
            "client_max_window_bits", client_max_window_bits, allow_true=allow_true
        )
        self.server_no_context_takeover = server_no_context_takeover
        self.client_no_context_takeover = client_no_context_takeover
        self.server_max_window_bits = server_max_window_bits
        self.client_max_window_bits = client_max_window_bits
        self.compress_settings = _check_compress_settings(compress_settings)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}("
            f"server_no_context_takeover={self.server_no_context_takeover}, "
            f"client_no_context_takeover={self.client_no_context_takeover}, "
            f"server_max_window_bits={self.server_max_window_bits}, "
            f"client_max_window_bits={self.client_max_window_bits})"
        )


class ClientPerMessageDeflateFactory(_FactoryParameters, ClientExtensionFactory):
    """Client-side extension factory for the Per-Message Deflate extension.

    Parameters behave as described in section 7.1 of RFC 7692. Set them to
    ``True`` to include them in the negotiation offer without a value or to
    an integer value to include them with this value.

    :param server_no_context_takeover: ask the server not to use context
        takeover (section 7.1.1.1); the server must agree
    :param client_no_context_takeover: don't use context takeover, and tell
        the server (section 7.1.1.2)
    :param server_max_window_bits: ask the server for a sliding window of at
        most ``2 ** server_max_window_bits`` bytes, between 8 and 15 (section
        7.1.2.1); the server must agree
    :param client_max_window_bits: ``True`` to let the server limit the
        client's sliding window, or a value between 8 and 15 to announce a
        limit that the server may lower (section 7.1.2.2)
    :param compress_settings: keyword arguments for :func:`zlib.compressobj`,
        excluding ``wbits``
    :raises ValueError: if a window size is out of range or
        ``compress_settings`` contains ``wbits``
    """

    __slots__ = ()

    name = _NAME

    def __init__(
        self,
        server_no_context_takeover: bool = False,
        client_no_context_takeover: bool = False,
        server_max_window_bits: Optional[int] = None,
        client_max_window_bits: Union[int, bool, None] = None,
        compress_settings: Optional[Dict[str, Any]] = None,
    ) -> None:
        self._configure(
            server_no_context_takeover,
            client_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits,
            compress_settings,
            allow_true=True,
        )

    def get_request_params(self) -> List[ExtensionParameter]:
        """Build the parameters of the offer (RFC 7692, section 5.1).

        :return: parameters to send in the ``Sec-WebSocket-Extensions`` header
        """
        params: List[ExtensionParameter] = []
        if self.server_no_context_takeover:
            params.append(("server_no_context_takeover", None))
        if self.client_no_context_takeover:
            params.append(("client_no_context_takeover", None))
        if self.server_max_window_bits is not None:
            params.append(("server_max_window_bits", str(self.server_max_window_bits)))
        if self.client_max_window_bits is True:
            params.append(("client_max_window_bits", None))
        elif self.client_max_window_bits is not None:
            params.append(("client_max_window_bits", str(self.client_max_window_bits)))
        return params

    def process_response_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> PerMessageDeflate:
        """Check the server's response and build the extension.

        :param params: parameters of the extension in the response
        :param accepted_extensions: extensions accepted so far
        :return: the extension for this connection
        :raises ~websockets.exceptions.NegotiationError: if the response is
            invalid or asks for a configuration that the offer didn't allow
            (RFC 7692, section 5)
        """
        if any(ext.name == self.name for ext in accepted_extensions):
            raise NegotiationError(f"skipped duplicate {self.name}")

        (
            server_no_context_takeover,
            client_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits,
        ) = _extract_params(params, is_server=False)

        # Section 7.1.1.1: a server that accepts server_no_context_takeover
        # must include it in the response; it may include it even if the
        # client didn't ask.
        if self.server_no_context_takeover and not server_no_context_takeover:
            raise NegotiationError("expected server_no_context_takeover")

        # Section 7.1.1.2: the server may include client_no_context_takeover
        # even if the client didn't offer it; the client then complies. If
        # the client offered it, it keeps its word whatever the response.
        local_no_context_takeover = (
            client_no_context_takeover or self.client_no_context_takeover
        )

        # Section 7.1.2.1: a server that accepts server_max_window_bits must
        # include it with the same or a smaller value; it may include it even
        # if the client didn't ask.
        if self.server_max_window_bits is not None:
            if server_max_window_bits is None:
                raise NegotiationError("expected server_max_window_bits")
            if server_max_window_bits > self.server_max_window_bits:
                raise NegotiationError("unsupported server_max_window_bits")

        # Section 7.1.2.2: the response must not include client_max_window_bits
        # unless the offer did, and then with the same or a smaller value.
        if client_max_window_bits is not None:
            if self.client_max_window_bits is None:
                raise NegotiationError("unexpected client_max_window_bits")
            if (
                self.client_max_window_bits is not True
                and client_max_window_bits > self.client_max_window_bits
            ):
                raise NegotiationError("unsupported client_max_window_bits")
            local_max_window_bits = int(client_max_window_bits)
        elif self.client_max_window_bits is None or self.client_max_window_bits is True:
            local_max_window_bits = 15
        else:
            # The offer announced this limit: stick to it.
            local_max_window_bits = self.client_max_window_bits

        return PerMessageDeflate(
            remote_no_context_takeover=server_no_context_takeover,
            local_no_context_takeover=local_no_context_takeover,
            remote_max_window_bits=(
                15 if server_max_window_bits is None else server_max_window_bits
            ),
            local_max_window_bits=local_max_window_bits,
            compress_settings=self.compress_settings,
        )


class ServerPerMessageDeflateFactory(_FactoryParameters, ServerExtensionFactory):
    """Server-side extension factory for the Per-Message Deflate extension.

    Parameters behave as described in section 7.1 of RFC 7692. Set them to
    ``True`` to include them in the negotiation offer without a value or to
    an integer value to include them with this value.

    :param server_no_context_takeover: don't use context takeover, and tell
        the client (section 7.1.1.1)
    :param client_no_context_takeover: require the client not to use context
        takeover (section 7.1.1.2)
    :param server_max_window_bits: use a sliding window of at most
        ``2 ** server_max_window_bits`` bytes, between 8 and 15, and tell the
        client (section 7.1.2.1)
    :param client_max_window_bits: limit the client's sliding window to
        ``2 ** client_max_window_bits`` bytes, between 8 and 15 (section
        7.1.2.2); an offer that doesn't include ``client_max_window_bits``
        is declined, like in websockets 8.1
    :param compress_settings: keyword arguments for :func:`zlib.compressobj`,
        excluding ``wbits``
    :raises ValueError: if a window size is out of range or
        ``compress_settings`` contains ``wbits``
    """

    __slots__ = ("_lenient",)

    name = _NAME

    def __init__(
        self,
        server_no_context_takeover: bool = False,
        client_no_context_takeover: bool = False,
        server_max_window_bits: Optional[int] = None,
        client_max_window_bits: Optional[int] = None,
        compress_settings: Optional[Dict[str, Any]] = None,
    ) -> None:
        self._configure(
            server_no_context_takeover,
            client_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits,
            compress_settings,
            allow_true=False,
        )
        # Set by serve() for its default configuration, which accepts every
        # offer, like websockets 8.1's default: without
        # client_max_window_bits in the offer, the client uses 15 bits.
        self._lenient = False

    def process_request_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> Tuple[List[ExtensionParameter], PerMessageDeflate]:
        """Accept or decline an offer from the client.

        A valid offer is accepted: the server can honour what the client
        asks and add its own restrictions (RFC 7692, section 7.1), except
        one. Like in websockets 8.1, when the server is configured with
        ``client_max_window_bits``, an offer without
        ``client_max_window_bits`` is declined: section 7.1.2.2 forbids
        answering with it, so the server's limit couldn't apply.

        :param params: parameters of the extension in the offer
        :param accepted_extensions: extensions accepted so far
        :return: parameters of the response and the extension for this
            connection
        :raises ~websockets.exceptions.NegotiationError: to decline an
            invalid offer, a second permessage-deflate (section 5.1), or an
            offer that doesn't allow the configured ``client_max_window_bits``
        """
        if any(ext.name == self.name for ext in accepted_extensions):
            raise NegotiationError(f"skipped duplicate {self.name}")

        (
            server_no_context_takeover,
            client_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits,
        ) = _extract_params(params, is_server=True)

        if (
            self.client_max_window_bits is not None
            and client_max_window_bits is None
            and not self._lenient
        ):
            raise NegotiationError("required client_max_window_bits")

        response: List[ExtensionParameter] = []

        # Section 7.1.1.1: echo server_no_context_takeover when offered; the
        # server may also send it on its own initiative.
        server_no_context_takeover = (
            server_no_context_takeover or self.server_no_context_takeover
        )
        if server_no_context_takeover:
            response.append(("server_no_context_takeover", None))

        # Section 7.1.1.2: the server may require client_no_context_takeover
        # on its own initiative. When the client offers it, acknowledging it
        # lets the server release its decompressor between messages.
        client_no_context_takeover = (
            client_no_context_takeover or self.client_no_context_takeover
        )
        if client_no_context_takeover:
            response.append(("client_no_context_takeover", None))

        # Section 7.1.2.1: answer with the same or a smaller value than the
        # offer; the server may send the parameter on its own initiative.
        if self.server_max_window_bits is not None and (
            server_max_window_bits is None
            or self.server_max_window_bits < server_max_window_bits
        ):
            server_max_window_bits = self.server_max_window_bits
        if server_max_window_bits is not None:
            response.append(("server_max_window_bits", str(server_max_window_bits)))

        # Section 7.1.2.2: without client_max_window_bits in the offer, the
        # response must not include it and the client may use 15 bits. With
        # a value in the offer, the client promised to stay under it: confirm
        # it, or lower it to the configured value.
        if client_max_window_bits is True or (
            self.client_max_window_bits is not None
            and client_max_window_bits is not None
            and self.client_max_window_bits < client_max_window_bits
        ):
            client_max_window_bits = self.client_max_window_bits
        if client_max_window_bits is not None:
            response.append(("client_max_window_bits", str(client_max_window_bits)))

        return response, PerMessageDeflate(
            remote_no_context_takeover=client_no_context_takeover,
            local_no_context_takeover=server_no_context_takeover,
            remote_max_window_bits=(
                15 if client_max_window_bits is None else int(client_max_window_bits)
            ),
            local_max_window_bits=(
                15 if server_max_window_bits is None else server_max_window_bits
            ),
            compress_settings=self.compress_settings,
        )
