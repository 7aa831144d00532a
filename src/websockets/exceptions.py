"""Exceptions raised by websockets.

* :exc:`WebSocketException`

  * :exc:`ConnectionClosed`

    * :exc:`ConnectionClosedError`
    * :exc:`ConnectionClosedOK`

  * :exc:`InvalidHandshake`

    * :exc:`SecurityError`
    * :exc:`InvalidMessage`
    * :exc:`InvalidHeader`

      * :exc:`InvalidHeaderFormat`
      * :exc:`InvalidHeaderValue`
      * :exc:`InvalidOrigin`
      * :exc:`InvalidUpgrade`

    * :exc:`InvalidStatusCode`
    * :exc:`NegotiationError`

      * :exc:`DuplicateParameter`
      * :exc:`InvalidParameterName`
      * :exc:`InvalidParameterValue`

    * :exc:`AbortHandshake`
    * :exc:`RedirectHandshake`
    * :exc:`ProxyError`

      * :exc:`InvalidProxyMessage`
      * :exc:`InvalidProxyStatus`

  * :exc:`InvalidState`
  * :exc:`InvalidURI`
  * :exc:`PayloadTooBig`
  * :exc:`ProtocolError`
"""

from __future__ import annotations

import http
from typing import Optional, Union

from .close_frame import CLOSE_CODES, Close, explain_close_code  # noqa: F401
from .datastructures import Headers, HeadersLike

__all__ = [
    "AbortHandshake",
    "ConnectionClosed",
    "ConnectionClosedError",
    "ConnectionClosedOK",
    "DuplicateParameter",
    "InvalidHandshake",
    "InvalidHeader",
    "InvalidHeaderFormat",
    "InvalidHeaderValue",
    "InvalidMessage",
    "InvalidOrigin",
    "InvalidParameterName",
    "InvalidParameterValue",
    "InvalidProxyMessage",
    "InvalidProxyStatus",
    "InvalidState",
    "InvalidStatusCode",
    "InvalidURI",
    "InvalidUpgrade",
    "NegotiationError",
    "PayloadTooBig",
    "ProtocolError",
    "ProxyError",
    "RedirectHandshake",
    "SecurityError",
    "WebSocketException",
    "WebSocketProtocolError",
]


class WebSocketException(Exception):
    """Base class for all exceptions defined by websockets."""


def format_close(code: int, reason: str) -> str:
    """Display a close code and reason for humans."""
    explanation = explain_close_code(code)
    result = f"code = {code} ({explanation}), "
    if reason:
        result += f"reason = {reason}"
    else:
        result += "no reason"
    return result


class _Unknown:
    """Default of arguments that 8.1 didn't have."""


_UNKNOWN = _Unknown()


class ConnectionClosed(WebSocketException):
    """Raised when trying to interact with a closed connection.

    The close code and reason are available in the :attr:`code` and
    :attr:`reason` attributes.

    New in this version: :attr:`rcvd` and :attr:`sent` are the close frames
    received and sent, as :class:`~websockets.close_frame.Close` objects,
    or ``None`` if there was none; :attr:`rcvd_then_sent` tells which came
    first when there are both: ``True`` when the other side started the
    closing handshake. Exceptions raised by a connection describe them in
    words: ``sent 1000 (OK); then received 1000 (OK)``, ``received 1001
    (going away); then sent 1001 (going away)``, ``no close frame received
    or sent``...

    An exception created with the 8.1 arguments, ``ConnectionClosed(code,
    reason)``, keeps the 8.1 message; its :attr:`rcvd` is ``Close(code,
    reason)``, or ``None`` for code 1006, and :attr:`sent` is ``None``.

    :param code: close code received from the other side, or 1006 when the
        connection was lost without a close frame
    :param reason: close reason received from the other side
    :param rcvd: close frame received, if any
    :param sent: close frame sent, if any
    :param rcvd_then_sent: whether the close frame was received before the
        close frame was sent, if both were
    """

    def __init__(
        self,
        code: int,
        reason: str,
        rcvd: Union[Close, _Unknown, None] = _UNKNOWN,
        sent: Union[Close, _Unknown, None] = _UNKNOWN,
        rcvd_then_sent: Optional[bool] = None,
    ) -> None:
        self.code = code
        self.reason = reason
        if isinstance(rcvd, _Unknown) and isinstance(sent, _Unknown):
            # The 8.1 constructor: only what was received is known.
            self.rcvd = None if code == 1006 else Close(code, reason)
            self.sent: Optional[Close] = None
            self.rcvd_then_sent = rcvd_then_sent
            message = format_close(code, reason)
        else:
            self.rcvd = None if isinstance(rcvd, _Unknown) else rcvd
            self.sent = None if isinstance(sent, _Unknown) else sent
            self.rcvd_then_sent = rcvd_then_sent
            message = self._describe()
        super().__init__(message)

    def _describe(self) -> str:
        rcvd, sent = self.rcvd, self.sent
        if rcvd is None and sent is None:
            return "no close frame received or sent"
        if rcvd is None:
            return f"sent {sent}; no close frame received"
        if sent is None:
            return f"received {rcvd}; no close frame sent"
        if self.rcvd_then_sent:
            return f"received {rcvd}; then sent {sent}"
        return f"sent {sent}; then received {rcvd}"


class ConnectionClosedError(ConnectionClosed):
    """Like :exc:`ConnectionClosed`, when the connection terminated with an
    error: the close code is neither 1000 (OK) nor 1001 (going away)."""


class ConnectionClosedOK(ConnectionClosed):
    """Like :exc:`ConnectionClosed`, when the connection terminated properly:
    the close code is 1000 (OK) or 1001 (going away)."""


class InvalidHandshake(WebSocketException):
    """Raised during the handshake when the WebSocket connection fails."""


class SecurityError(InvalidHandshake):
    """Raised when a handshake request or response breaks a security rule.

    Security limits are hard coded.
    """


class InvalidMessage(InvalidHandshake):
    """Raised when a handshake request or response is malformed."""


class InvalidHeader(InvalidHandshake):
    """Raised when an HTTP header doesn't have a valid format or value.

    :param name: header name
    :param value: header value; ``None`` when the header is missing
    """

    def __init__(self, name: str, value: Optional[str] = None) -> None:
        self.name = name
        self.value = value
        if value is None:
            message = f"missing {name} header"
        elif value == "":
            message = f"empty {name} header"
        else:
            message = f"invalid {name} header: {value}"
        super().__init__(message)


class InvalidHeaderFormat(InvalidHeader):
    """Raised when an HTTP header cannot be parsed.

    The format of the header doesn't match the grammar for that header.

    :param name: header name
    :param error: what the parser expected
    :param header: the whole header value
    :param pos: position in ``header`` where parsing failed
    """

    def __init__(self, name: str, error: str, header: str, pos: int) -> None:
        self.error = error
        self.header = header
        self.pos = pos
        super().__init__(name, f"{error} at {pos} in {header}")


class InvalidHeaderValue(InvalidHeader):
    """Raised when an HTTP header has a wrong value.

    The format of the header is correct but a value isn't acceptable.
    """


class InvalidOrigin(InvalidHeader):
    """Raised when the Origin header in a request isn't allowed.

    :param origin: value of the Origin header, ``None`` if it's missing
    """

    def __init__(self, origin: Optional[str]) -> None:
        super().__init__("Origin", origin)


class InvalidUpgrade(InvalidHeader):
    """Raised when the Upgrade or Connection header isn't correct."""


class InvalidStatusCode(InvalidHandshake):
    """Raised when a handshake response status code is invalid.

    The integer status code is available in the :attr:`status_code`
    attribute.

    The response's HTTP headers are available in the ``headers``
    attribute (new in this version), e.g. ``Retry-After`` with a 429 or 503
    status; it's ``None`` when the exception is created without them.
    """

    def __init__(self, status_code: int, headers: Optional[Headers] = None) -> None:
        self.status_code = status_code
        self.headers = headers
        super().__init__(f"server rejected WebSocket connection: HTTP {status_code}")


class NegotiationError(InvalidHandshake):
    """Raised when negotiating an extension fails."""


class DuplicateParameter(NegotiationError):
    """Raised when a parameter name is repeated in an extension header."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"duplicate parameter: {name}")


class InvalidParameterName(NegotiationError):
    """Raised when a parameter name in an extension header is invalid."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"invalid parameter name: {name}")


class InvalidParameterValue(NegotiationError):
    """Raised when a parameter value in an extension header is invalid."""

    def __init__(self, name: str, value: Optional[str]) -> None:
        self.name = name
        self.value = value
        if value is None:
            message = f"missing value for parameter {name}"
        elif value == "":
            message = f"empty value for parameter {name}"
        else:
            message = f"invalid value for parameter {name}: {value}"
        super().__init__(message)


class AbortHandshake(InvalidHandshake):
    """Raised to abort the handshake on purpose and return an HTTP response.

    This exception is an implementation detail. The public API is
    :meth:`~websockets.server.WebSocketServerProtocol.process_request`.

    :param status: HTTP status code
    :param headers: HTTP response headers
    :param body: HTTP response body
    """

    def __init__(
        self,
        status: http.HTTPStatus,
        headers: HeadersLike,
        body: bytes = b"",
    ) -> None:
        self.status = status
        self.headers = Headers(headers)
        self.body = body
        message = f"HTTP {status:d}, {len(self.headers)} headers, {len(body)} bytes"
        super().__init__(message)


class RedirectHandshake(InvalidHandshake):
    """Raised when a handshake gets redirected.

    This exception is an implementation detail.

    :param uri: target of the redirection
    """

    def __init__(self, uri: str) -> None:
        self.uri = uri

    def __str__(self) -> str:
        return f"redirect to {self.uri}"


class ProxyError(InvalidHandshake):
    """Raised when connecting through a proxy fails.

    New in this version: see the ``proxy`` argument of
    :func:`~websockets.client.connect`. Failing to reach the proxy at all
    raises :exc:`OSError`, as failing to reach a server does.
    """


class InvalidProxyMessage(ProxyError):
    """Raised when an HTTP proxy's response to ``CONNECT`` is malformed or
    incomplete, for example when the proxy closes the connection before
    answering."""


class InvalidProxyStatus(ProxyError):
    """Raised when an HTTP proxy refuses to open a tunnel: its response to
    ``CONNECT`` doesn't have a 2xx status code.

    This isn't an :exc:`InvalidStatusCode`, whose status code is the
    WebSocket server's: a 403 from the proxy and a 403 from the server mean
    different things.

    :param status_code: HTTP status code of the proxy's response; 407 means
        that proxy authentication failed (some proxies, like tinyproxy, send
        401 for wrong credentials: the message says the same)
    :param headers: HTTP headers of the proxy's response, e.g.
        ``Proxy-Authenticate`` for a 407
    """

    def __init__(self, status_code: int, headers: Headers) -> None:
        self.status_code = status_code
        self.headers = headers
        if status_code in (401, 407):
            detail = "proxy authentication failed"
        else:
            detail = "proxy rejected connection"
        super().__init__(f"{detail}: HTTP {status_code}")


class InvalidState(WebSocketException, AssertionError):
    """Raised when an operation is forbidden in the current state.

    This exception is an implementation detail. It should never be raised in
    normal circumstances.
    """


class InvalidURI(WebSocketException, ValueError):
    """Raised when connecting to a URI that isn't a valid WebSocket URI.

    It's also a :exc:`ValueError`, which :func:`~websockets.uri.parse_uri`
    was documented to raise.

    :param uri: the invalid URI
    """

    def __init__(self, uri: str, msg: Optional[str] = None) -> None:
        self.uri = uri
        self.msg = msg
        message = f"{uri} isn't a valid URI"
        if msg:
            message += f": {msg}"
        super().__init__(message)


class PayloadTooBig(WebSocketException):
    """Raised when receiving a frame with a payload exceeding the maximum
    size."""


class ProtocolError(WebSocketException):
    """Raised when the other side breaks the protocol."""


WebSocketProtocolError = ProtocolError
"""Alias of :exc:`ProtocolError`, for backwards compatibility."""
