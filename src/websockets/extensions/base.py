"""Base classes for WebSocket extensions: RFC 6455, section 9.

An extension is negotiated during the opening handshake through the
``Sec-WebSocket-Extensions`` header (RFC 6455, section 9.1):

* the client builds an offer for each :class:`ClientExtensionFactory` with
  :meth:`~ClientExtensionFactory.get_request_params`;
* the server hands the parameters of each offer to the matching
  :class:`ServerExtensionFactory`, which accepts it by returning the response
  parameters and an :class:`Extension`, or declines it by raising
  :exc:`~websockets.exceptions.NegotiationError`;
* the client checks the parameters of the response with
  :meth:`~ClientExtensionFactory.process_response_params`, which returns an
  :class:`Extension` or raises
  :exc:`~websockets.exceptions.NegotiationError`.

Once the connection is open, every outgoing frame goes through
:meth:`Extension.encode` of each extension, in the order in which they were
negotiated, and every incoming frame goes through :meth:`Extension.decode`, in
the reverse order (RFC 6455, section 9.2). An extension that defines the
meaning of a reserved bit (RSV1, RSV2 or RSV3, RFC 6455, section 5.2) clears
it on decode, so a reserved bit left set after decoding is a protocol error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple

from ..typing import ExtensionName, ExtensionParameter

if TYPE_CHECKING:  # framing imports this module: avoid a cycle at runtime.
    from ..framing import Frame

__all__ = ["ClientExtensionFactory", "Extension", "ServerExtensionFactory"]


class Extension:
    """Abstract class for extensions.

    An instance holds the state of one extension on one connection.
    """

    __slots__ = ()

    name: ExtensionName
    """Extension identifier, as registered with IANA (RFC 6455, section
    11.4)."""

    def decode(self, frame: Frame, *, max_size: Optional[int] = None) -> Frame:
        """Decode an incoming frame.

        :param frame: incoming frame
        :param max_size: maximum payload size in bytes after decoding;
            ``None`` means no limit
        :return: decoded frame
        :raises ~websockets.exceptions.PayloadTooBig: if decoding produces
            more than ``max_size`` bytes
        :raises ~websockets.exceptions.ProtocolError: if the frame is invalid
            for this extension
        """
        raise NotImplementedError

    def encode(self, frame: Frame) -> Frame:
        """Encode an outgoing frame.

        :param frame: outgoing frame
        :return: encoded frame
        """
        raise NotImplementedError


class ClientExtensionFactory:
    """Abstract class for client-side extension factories."""

    __slots__ = ()

    name: ExtensionName
    """Extension identifier."""

    def get_request_params(self) -> List[ExtensionParameter]:
        """Build the parameters to send to the server in the offer.

        :return: parameters, as ``(name, value)`` pairs; ``value`` is
            ``None`` for a parameter without a value
        """
        raise NotImplementedError

    def process_response_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> Extension:
        """Process the parameters that the server accepted.

        :param params: parameters of the extension in the server's response
        :param accepted_extensions: extensions accepted so far, in the order
            of the response
        :return: an extension instance for this connection
        :raises ~websockets.exceptions.NegotiationError: if the response is
            unacceptable
        """
        raise NotImplementedError


class ServerExtensionFactory:
    """Abstract class for server-side extension factories."""

    __slots__ = ()

    name: ExtensionName
    """Extension identifier."""

    def process_request_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> Tuple[List[ExtensionParameter], Extension]:
        """Process the parameters of an offer received from the client.

        :param params: parameters of the extension in the client's offer
        :param accepted_extensions: extensions accepted so far, in the order
            of the response
        :return: the parameters to send back in the response and an extension
            instance for this connection
        :raises ~websockets.exceptions.NegotiationError: to decline the offer;
            the server then moves on to the client's next offer
        """
        raise NotImplementedError
