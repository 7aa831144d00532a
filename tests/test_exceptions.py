from __future__ import annotations

import http

import pytest

import websockets
from websockets import exceptions
from websockets.datastructures import Headers
from websockets.exceptions import (
    AbortHandshake,
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    DuplicateParameter,
    InvalidHandshake,
    InvalidHeader,
    InvalidHeaderFormat,
    InvalidHeaderValue,
    InvalidMessage,
    InvalidOrigin,
    InvalidParameterName,
    InvalidParameterValue,
    InvalidState,
    InvalidStatusCode,
    InvalidUpgrade,
    InvalidURI,
    NegotiationError,
    PayloadTooBig,
    ProtocolError,
    RedirectHandshake,
    SecurityError,
    WebSocketException,
    WebSocketProtocolError,
    format_close,
)


@pytest.mark.parametrize(
    "exception, message",
    [
        (WebSocketException("something went wrong"), "something went wrong"),
        (
            ConnectionClosed(1000, ""),
            "code = 1000 (OK), no reason",
        ),
        (
            ConnectionClosed(1006, ""),
            "code = 1006 (connection closed abnormally [internal]), no reason",
        ),
        (
            ConnectionClosed(3000, "bye"),
            "code = 3000 (registered), reason = bye",
        ),
        (
            ConnectionClosed(4001, "bye"),
            "code = 4001 (private use), reason = bye",
        ),
        (
            ConnectionClosed(2999, ""),
            "code = 2999 (unknown), no reason",
        ),
        (
            ConnectionClosed(1004, ""),
            "code = 1004 (unknown), no reason",
        ),
        (
            ConnectionClosedError(1011, "oops"),
            "code = 1011 (unexpected error), reason = oops",
        ),
        (
            ConnectionClosedOK(1001, "bye"),
            "code = 1001 (going away), reason = bye",
        ),
        (InvalidHandshake("invalid request"), "invalid request"),
        (SecurityError("line too long"), "line too long"),
        (InvalidMessage("malformed HTTP message"), "malformed HTTP message"),
        (InvalidHeader("Name"), "missing Name header"),
        (InvalidHeader("Name", None), "missing Name header"),
        (InvalidHeader("Name", ""), "empty Name header"),
        (InvalidHeader("Name", "Value"), "invalid Name header: Value"),
        (
            InvalidHeaderFormat("Sec-WebSocket-Protocol", "expected token", "a=|", 1),
            "invalid Sec-WebSocket-Protocol header: expected token at 1 in a=|",
        ),
        (
            InvalidHeaderValue("Sec-WebSocket-Version", "42"),
            "invalid Sec-WebSocket-Version header: 42",
        ),
        (
            InvalidHeaderValue("Sec-WebSocket-Version"),
            "missing Sec-WebSocket-Version header",
        ),
        (InvalidOrigin(None), "missing Origin header"),
        (InvalidOrigin(""), "empty Origin header"),
        (
            InvalidOrigin("http://bad.origin"),
            "invalid Origin header: http://bad.origin",
        ),
        (InvalidUpgrade("Upgrade"), "missing Upgrade header"),
        (InvalidUpgrade("Connection", "close"), "invalid Connection header: close"),
        (
            InvalidStatusCode(403),
            "server rejected WebSocket connection: HTTP 403",
        ),
        (
            NegotiationError("unsupported subprotocol: spam"),
            "unsupported subprotocol: spam",
        ),
        (DuplicateParameter("a"), "duplicate parameter: a"),
        (InvalidParameterName("|"), "invalid parameter name: |"),
        (InvalidParameterValue("a", None), "missing value for parameter a"),
        (InvalidParameterValue("a", ""), "empty value for parameter a"),
        (InvalidParameterValue("a", "|"), "invalid value for parameter a: |"),
        (
            AbortHandshake(http.HTTPStatus.OK, Headers(), b""),
            "HTTP 200, 0 headers, 0 bytes",
        ),
        (
            AbortHandshake(http.HTTPStatus.NOT_FOUND, {"A": "b"}, b"not found"),
            "HTTP 404, 1 headers, 9 bytes",
        ),
        (
            RedirectHandshake("wss://example.com"),
            "redirect to wss://example.com",
        ),
        (
            InvalidState("WebSocket connection isn't established yet"),
            "WebSocket connection isn't established yet",
        ),
        (InvalidURI("|"), "| isn't a valid URI"),
        (
            InvalidURI("http://a/", "scheme isn't ws or wss"),
            "http://a/ isn't a valid URI: scheme isn't ws or wss",
        ),
        (
            PayloadTooBig("payload length exceeds limit: 2 > 1 bytes"),
            "payload length exceeds limit: 2 > 1 bytes",
        ),
        (ProtocolError("invalid opcode"), "invalid opcode"),
        (WebSocketProtocolError("invalid opcode"), "invalid opcode"),
    ],
)
def test_str(exception: Exception, message: str) -> None:
    assert str(exception) == message


def test_format_close() -> None:
    assert format_close(1000, "") == "code = 1000 (OK), no reason"
    assert format_close(1015, "x") == "code = 1015 (TLS failure [internal]), reason = x"


def test_connection_closed_attributes() -> None:
    exc = ConnectionClosedError(1002, "bad")
    assert (exc.code, exc.reason) == (1002, "bad")


def test_invalid_header_attributes() -> None:
    exc = InvalidHeader("Host", "x")
    assert (exc.name, exc.value) == ("Host", "x")


def test_invalid_header_format_attributes() -> None:
    exc = InvalidHeaderFormat("Upgrade", "expected protocol", "/", 0)
    assert exc.name == "Upgrade"
    assert exc.error == "expected protocol"
    assert exc.header == "/"
    assert exc.pos == 0
    assert exc.value == "expected protocol at 0 in /"


def test_invalid_origin_attributes() -> None:
    exc = InvalidOrigin("http://x")
    assert (exc.name, exc.value) == ("Origin", "http://x")


def test_invalid_status_code_attributes() -> None:
    assert InvalidStatusCode(500).status_code == 500


def test_parameter_errors_attributes() -> None:
    assert DuplicateParameter("a").name == "a"
    assert InvalidParameterName("b").name == "b"
    exc = InvalidParameterValue("c", "d")
    assert (exc.name, exc.value) == ("c", "d")


def test_abort_handshake_attributes() -> None:
    exc = AbortHandshake(http.HTTPStatus.FORBIDDEN, [("X-A", "1"), ("X-A", "2")], b"no")
    assert exc.status == http.HTTPStatus.FORBIDDEN
    assert isinstance(exc.headers, Headers)
    assert exc.headers.get_all("x-a") == ["1", "2"]
    assert exc.body == b"no"
    assert str(exc) == "HTTP 403, 1 headers, 2 bytes"


def test_abort_handshake_default_body() -> None:
    assert AbortHandshake(http.HTTPStatus.OK, {}).body == b""


def test_redirect_handshake_attributes() -> None:
    assert RedirectHandshake("ws://x/").uri == "ws://x/"


def test_invalid_uri_attributes() -> None:
    exc = InvalidURI("ws://", "missing host")
    assert (exc.uri, exc.msg) == ("ws://", "missing host")
    assert InvalidURI("x").msg is None


@pytest.mark.parametrize(
    "child, parent",
    [
        (ConnectionClosed, WebSocketException),
        (ConnectionClosedError, ConnectionClosed),
        (ConnectionClosedOK, ConnectionClosed),
        (InvalidHandshake, WebSocketException),
        (SecurityError, InvalidHandshake),
        (InvalidMessage, InvalidHandshake),
        (InvalidHeader, InvalidHandshake),
        (InvalidHeaderFormat, InvalidHeader),
        (InvalidHeaderValue, InvalidHeader),
        (InvalidOrigin, InvalidHeader),
        (InvalidUpgrade, InvalidHeader),
        (InvalidStatusCode, InvalidHandshake),
        (NegotiationError, InvalidHandshake),
        (DuplicateParameter, NegotiationError),
        (InvalidParameterName, NegotiationError),
        (InvalidParameterValue, NegotiationError),
        (AbortHandshake, InvalidHandshake),
        (RedirectHandshake, InvalidHandshake),
        (InvalidState, WebSocketException),
        (InvalidState, AssertionError),
        (InvalidURI, WebSocketException),
        (InvalidURI, ValueError),
        (PayloadTooBig, WebSocketException),
        (ProtocolError, WebSocketException),
    ],
)
def test_hierarchy(child: type, parent: type) -> None:
    assert issubclass(child, parent)


def test_protocol_error_alias() -> None:
    assert WebSocketProtocolError is ProtocolError


def test_exported_from_package() -> None:
    for name in exceptions.__all__:
        assert getattr(websockets, name) is getattr(exceptions, name)
