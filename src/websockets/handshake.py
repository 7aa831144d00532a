"""Helpers for the WebSocket opening handshake: RFC 6455, section 4.

Some checks cannot be performed because they depend too much on the
context; instead, they're documented below.

To accept a connection, a server must:

- Read the request, check that the method is GET, and check the headers with
  :func:`check_request`,
- Send a 101 response to the client with the headers created by
  :func:`build_response` if the request is valid; otherwise, send an
  appropriate HTTP error code.

To open a connection, a client must:

- Send a GET request to the server with the headers created by
  :func:`build_request`,
- Read the response, check that the status code is 101, and check the headers
  with :func:`check_response`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import sys
from typing import Dict, List, Optional, Tuple

from .datastructures import Headers, MultipleValuesError
from .exceptions import InvalidHeader, InvalidHeaderValue, InvalidUpgrade
from .headers import parse_connection, parse_upgrade
from .typing import ConnectionOption, UpgradeProtocol

__all__ = [
    "accept",
    "build_request",
    "build_response",
    "check_request",
    "check_response",
]

# RFC 6455, section 1.3: the GUID concatenated with Sec-WebSocket-Key.
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


# Lower-cased names of the headers that build_request() and build_response()
# add, as Headers keeps them.
_REQUEST_KEYS = (
    "upgrade",
    "connection",
    "sec-websocket-key",
    "sec-websocket-version",
)
_RESPONSE_KEYS = ("upgrade", "connection", "sec-websocket-accept")


def _add_headers(
    headers: Headers, items: List[Tuple[str, str]], keys: Tuple[str, ...]
) -> None:
    if type(headers) is Headers:
        headers._extend_lists(items, keys)
    else:
        # A subclass may do more when a header is set.
        for name, value in items:
            headers[name] = value


def _usual_upgrade(unique: Dict[str, str]) -> bool:
    # What check_upgrade() accepts without parsing: "Connection: Upgrade"
    # and "Upgrade: websocket", in any case.
    connection = unique.get("connection")
    upgrade = unique.get("upgrade")
    return (
        connection is not None
        and connection.lower() == "upgrade"
        and upgrade is not None
        and upgrade.lower() == "websocket"
    )


def _is_base64_key(key: str) -> bool:
    # RFC 6455, section 4.2.1, item 5: a base64-encoded value that, when
    # decoded, is 16 bytes in length.
    try:
        if not _STRICT_BASE64:  # pragma: no cover (Python < 3.11)
            return len(base64.b64decode(key.encode("ascii"), validate=True)) == 16
        # What b64decode(validate=True) checks, in one call of C code.
        return len(binascii.a2b_base64(key, strict_mode=True)) == 16
    except ValueError:  # binascii.Error or UnicodeEncodeError
        return False


# binascii.a2b_base64()'s strict mode: Python >= 3.11.
_STRICT_BASE64 = sys.version_info >= (3, 11)


def build_request(headers: Headers) -> str:
    """Build a handshake request to send to the server.

    Update request headers passed in argument.

    :param headers: request headers
    :returns: ``key`` which must be passed to :func:`check_response`
    """
    # RFC 6455, section 4.1, item 7: the key is a randomly selected 16-byte
    # value that has been base64-encoded.
    key = binascii.b2a_base64(secrets.token_bytes(16), newline=False).decode()
    items = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13"),
    ]
    _add_headers(headers, items, _REQUEST_KEYS)
    return key


def check_request(headers: Headers) -> str:
    """Check a handshake request received from the client.

    This function doesn't verify that the request is an HTTP/1.1 or higher
    GET request and doesn't perform ``Host`` and ``Origin`` checks. These
    controls are usually performed earlier in the HTTP request handling code.
    They're the responsibility of the caller.

    :param headers: request headers
    :returns: ``key`` which must be passed to :func:`build_response`
    :raises ~websockets.exceptions.InvalidHandshake: if the handshake request
        is invalid; then the server must return a 400 Bad Request error
    """
    return _check_request(
        headers, headers._unique() if type(headers) is Headers else None
    )


def _check_request(headers: Headers, unique: Optional[Dict[str, str]]) -> str:
    """:func:`check_request`, given ``headers._unique()`` (``None`` for the
    full checks)."""
    # Fast path: a usual request, each header once, is valid when these
    # checks pass; anything else goes through the checks below, which tell
    # what's wrong.
    if unique is not None:
        key = unique.get("sec-websocket-key")
        if (
            _usual_upgrade(unique)
            and key is not None
            and unique.get("sec-websocket-version") == "13"
            and _is_base64_key(key)
        ):
            return key

    check_upgrade(headers)

    # RFC 6455, section 4.2.1, item 5: a base64-encoded value that, when
    # decoded, is 16 bytes in length.
    key = get_single_header(headers, "Sec-WebSocket-Key")
    if not _is_base64_key(key):
        raise InvalidHeaderValue("Sec-WebSocket-Key", key)

    # RFC 6455, section 4.2.1, item 6: the version must be 13.
    version = get_single_header(headers, "Sec-WebSocket-Version")
    if version != "13":
        raise InvalidHeaderValue("Sec-WebSocket-Version", version)

    return key


def build_response(headers: Headers, key: str) -> None:
    """Build a handshake response to send to the client.

    Update response headers passed in argument.

    :param headers: response headers
    :param key: comes from :func:`check_request`
    """
    # RFC 6455, section 4.2.2, item 5.
    items = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", accept(key)),
    ]
    _add_headers(headers, items, _RESPONSE_KEYS)


def check_response(headers: Headers, key: str) -> None:
    """Check a handshake response received from the server.

    This function doesn't verify that the response is an HTTP/1.1 or higher
    response with a 101 status code. These controls are the responsibility of
    the caller.

    :param headers: response headers
    :param key: comes from :func:`build_request`
    :raises ~websockets.exceptions.InvalidHandshake: if the handshake response
        is invalid
    """
    # Fast path, as in check_request().
    unique = headers._unique() if type(headers) is Headers else None
    if (
        unique is not None
        and _usual_upgrade(unique)
        and unique.get("sec-websocket-accept") == accept(key)
    ):
        return

    # RFC 6455, section 4.1, items 2 and 3 of the client's checks.
    check_upgrade(headers)

    # RFC 6455, section 4.1, item 4 of the client's checks.
    s_w_accept = get_single_header(headers, "Sec-WebSocket-Accept")
    if s_w_accept != accept(key):
        raise InvalidHeaderValue("Sec-WebSocket-Accept", s_w_accept)


def accept(key: str) -> str:
    """Compute the value of the ``Sec-WebSocket-Accept`` header.

    RFC 6455, section 4.2.2, item 5.4: base64 of the SHA-1 of the key
    concatenated with the GUID.

    :param key: value of the ``Sec-WebSocket-Key`` header
    """
    sha1 = hashlib.sha1((key + GUID).encode("ascii", "surrogateescape"))
    return binascii.b2a_base64(sha1.digest(), newline=False).decode()


def check_upgrade(headers: Headers) -> None:
    """Check the ``Connection`` and ``Upgrade`` headers, which are the same in
    requests and responses.

    :param headers: request or response headers
    :raises ~websockets.exceptions.InvalidHeaderFormat: if a header cannot be
        parsed
    :raises ~websockets.exceptions.InvalidUpgrade: if the headers don't ask
        for an upgrade to WebSocket
    """
    # RFC 6455, section 4.2.1, item 4: a Connection header field that
    # includes the token "Upgrade", treated as an ASCII case-insensitive
    # value.
    values = headers.get_all("Connection")
    # Fast path: the usual single "Connection: Upgrade" needs no parsing.
    if not (len(values) == 1 and values[0].lower() == "upgrade"):
        connection: List[ConnectionOption] = [
            option for value in values for option in parse_connection(value)
        ]
        if not any(value.lower() == "upgrade" for value in connection):
            raise InvalidUpgrade(
                "Connection", ", ".join(connection) if connection else None
            )

    # RFC 6455, section 4.2.1, item 3: an Upgrade header field containing the
    # value "websocket", treated as an ASCII case-insensitive value. Like
    # websockets 8.1, require "websocket" to be the only protocol.
    values = headers.get_all("Upgrade")
    # Fast path: the usual single "Upgrade: websocket" needs no parsing.
    if not (len(values) == 1 and values[0].lower() == "websocket"):
        upgrade: List[UpgradeProtocol] = [
            protocol for value in values for protocol in parse_upgrade(value)
        ]
        if not (len(upgrade) == 1 and upgrade[0].lower() == "websocket"):
            raise InvalidUpgrade("Upgrade", ", ".join(upgrade) if upgrade else None)


def get_single_header(headers: Headers, name: str) -> str:
    """Return the only value of a header.

    :param headers: request or response headers
    :param name: header name
    :raises ~websockets.exceptions.InvalidHeader: if the header is missing or
        repeated
    """
    try:
        return headers[name]
    except KeyError:
        raise InvalidHeader(name) from None
    except MultipleValuesError:
        raise InvalidHeader(name, f"more than one {name} header found") from None
