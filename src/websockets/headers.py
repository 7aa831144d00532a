"""Parsers and serializers for HTTP headers used in WebSocket handshakes.

The grammars come from RFC 7230 (HTTP/1.1 syntax), RFC 6455 (WebSocket),
RFC 7235 (authentication) and RFC 7617 (Basic scheme).

Parsers take the value of a header as a :class:`str` and raise
:exc:`~websockets.exceptions.InvalidHeaderFormat` with the position of the
first error when the value doesn't match the grammar.

These APIs cannot be imported from :mod:`websockets`. They must be imported
from :mod:`websockets.headers`.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Callable, List, Optional, Sequence, Tuple, TypeVar

from .exceptions import InvalidHeaderFormat, InvalidHeaderValue
from .typing import (
    ConnectionOption,
    ExtensionHeader,
    ExtensionName,
    ExtensionParameter,
    Subprotocol,
    UpgradeProtocol,
)

__all__ = [
    "build_authorization_basic",
    "build_extension",
    "build_extension_list",
    "build_subprotocol",
    "build_subprotocol_list",
    "build_www_authenticate_basic",
    "parse_authorization_basic",
    "parse_connection",
    "parse_extension",
    "parse_extension_list",
    "parse_subprotocol",
    "parse_subprotocol_list",
    "parse_upgrade",
]


T = TypeVar("T")


# Building blocks of the grammar: each parser takes the header value and a
# position, and returns what it parsed with the position just after it.


def peek_ahead(header: str, pos: int) -> Optional[str]:
    """Return the next character from ``header`` at ``pos``, or ``None`` at
    the end of the string.

    :param header: header value
    :param pos: position in ``header``
    """
    return None if pos == len(header) else header[pos]


# RFC 7230, section 3.2.3: OWS = *( SP / HTAB )
_OWS_re = re.compile(r"[\t ]*")


def parse_OWS(header: str, pos: int) -> int:
    """Parse optional whitespace from ``header`` at ``pos`` and return the
    new position.

    :param header: header value
    :param pos: position in ``header``
    """
    # There's always a match, possibly empty.
    match = _OWS_re.match(header, pos)
    assert match is not None
    return match.end()


# RFC 7230, section 3.2.6:
# token = 1*tchar
# tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
#         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
_token_re = re.compile(r"[-!#$%&\'*+.^_`|~0-9a-zA-Z]+")


def parse_token(header: str, pos: int, header_name: str) -> Tuple[str, int]:
    """Parse a token from ``header`` at ``pos`` and return it with the new
    position.

    :param header: header value
    :param pos: position in ``header``
    :param header_name: header name, for error messages
    :raises InvalidHeaderFormat: if there's no token at ``pos``
    """
    match = _token_re.match(header, pos)
    if match is None:
        raise InvalidHeaderFormat(header_name, "expected token", header, pos)
    return match.group(), match.end()


# RFC 7230, section 3.2.6:
# quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
# qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
# quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
# obs-text isn't supported: header values are decoded as ASCII.
_quoted_string_re = re.compile(
    r'"(?:[\x09\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x09\x20-\x7e])*"'
)
_unquote_re = re.compile(r"\\([\x09\x20-\x7e])")


def parse_quoted_string(header: str, pos: int, header_name: str) -> Tuple[str, int]:
    """Parse a quoted string from ``header`` at ``pos`` and return its
    unquoted value with the new position.

    :param header: header value
    :param pos: position in ``header``
    :param header_name: header name, for error messages
    :raises InvalidHeaderFormat: if there's no quoted string at ``pos``
    """
    match = _quoted_string_re.match(header, pos)
    if match is None:
        raise InvalidHeaderFormat(header_name, "expected quoted string", header, pos)
    return _unquote_re.sub(r"\1", match.group()[1:-1]), match.end()


# Characters that can be represented in a quoted-string, with a quoted-pair
# when needed; non-ASCII characters end up as obs-text once encoded.
_quotable_re = re.compile(r"[\x09\x20-\x7e\x80-\xff]*")
_quote_re = re.compile(r"([\x22\x5c])")


def build_quoted_string(value: str) -> str:
    """Format ``value`` as a quoted string.

    This is the reverse of :func:`parse_quoted_string`.

    :param value: string to quote
    :raises ValueError: if ``value`` contains control characters or
        characters outside of Latin-1
    """
    if not _quotable_re.fullmatch(value):
        raise ValueError("invalid characters for quoted-string encoding")
    return '"' + _quote_re.sub(r"\\\1", value) + '"'


def parse_list(
    parse_item: Callable[[str, int, str], Tuple[T, int]],
    header: str,
    pos: int,
    header_name: str,
) -> List[T]:
    """Parse a comma-separated list from ``header`` at ``pos``.

    This is the ``1#element`` rule of RFC 7230, section 7: recipients accept
    empty list elements, e.g. ``, , a ,, b ,``, but the list must contain at
    least one non-empty element.

    :param parse_item: parser for a list element, with the same signature as
        :func:`parse_token`
    :param header: header value
    :param pos: position in ``header``
    :param header_name: header name, for error messages
    :raises InvalidHeaderFormat: if ``header`` isn't a valid list of items
    """
    # Header values are usually stripped by the HTTP parser; be lenient with
    # leading OWS anyway.
    pos = parse_OWS(header, pos)

    items: List[T] = []
    while True:
        # Skip empty elements: commas followed by OWS.
        while peek_ahead(header, pos) == ",":
            pos = parse_OWS(header, pos + 1)
        if pos == len(header):
            break

        item, pos = parse_item(header, pos, header_name)
        items.append(item)

        pos = parse_OWS(header, pos)
        if pos == len(header):
            break
        if peek_ahead(header, pos) != ",":
            raise InvalidHeaderFormat(header_name, "expected comma", header, pos)

    if not items:
        raise InvalidHeaderFormat(header_name, "expected token", header, pos)

    return items


# Connection header: RFC 7230, section 6.1.
# Connection = 1#connection-option
# connection-option = token


def parse_connection_option(
    header: str, pos: int, header_name: str
) -> Tuple[ConnectionOption, int]:
    """Parse a Connection option from ``header`` at ``pos``.

    :param header: header value
    :param pos: position in ``header``
    :param header_name: header name, for error messages
    :raises InvalidHeaderFormat: on invalid inputs
    """
    item, pos = parse_token(header, pos, header_name)
    return ConnectionOption(item), pos


def parse_connection(header: str) -> List[ConnectionOption]:
    """Parse a ``Connection`` header.

    Return a list of HTTP connection options.

    :param header: value of the ``Connection`` header
    :raises InvalidHeaderFormat: on invalid inputs
    """
    return parse_list(parse_connection_option, header, 0, "Connection")


# Upgrade header: RFC 7230, section 6.7.
# Upgrade = 1#protocol
# protocol = protocol-name ["/" protocol-version]
# protocol-name = token
# protocol-version = token
_protocol_re = re.compile(
    r"[-!#$%&\'*+.^_`|~0-9a-zA-Z]+(?:/[-!#$%&\'*+.^_`|~0-9a-zA-Z]+)?"
)


def parse_upgrade_protocol(
    header: str, pos: int, header_name: str
) -> Tuple[UpgradeProtocol, int]:
    """Parse an Upgrade protocol from ``header`` at ``pos``.

    :param header: header value
    :param pos: position in ``header``
    :param header_name: header name, for error messages
    :raises InvalidHeaderFormat: on invalid inputs
    """
    match = _protocol_re.match(header, pos)
    if match is None:
        raise InvalidHeaderFormat(header_name, "expected protocol", header, pos)
    return UpgradeProtocol(match.group()), match.end()


def parse_upgrade(header: str) -> List[UpgradeProtocol]:
    """Parse an ``Upgrade`` header.

    Return a list of HTTP protocols.

    :param header: value of the ``Upgrade`` header
    :raises InvalidHeaderFormat: on invalid inputs
    """
    return parse_list(parse_upgrade_protocol, header, 0, "Upgrade")


# Sec-WebSocket-Extensions header: RFC 6455, section 9.1, with implied OWS
# between tokens and separators.
# Sec-WebSocket-Extensions = 1#extension
# extension = extension-token *( ";" extension-param )
# extension-token = registered-token
# registered-token = token
# extension-param = token [ "=" (token | quoted-string) ]
#     ;When using the quoted-string syntax variant, the value
#     ;after quoted-string unescaping MUST conform to the
#     ;'token' ABNF.


def parse_extension_item_param(
    header: str, pos: int, header_name: str
) -> Tuple[ExtensionParameter, int]:
    """Parse a single extension parameter from ``header`` at ``pos``.

    :param header: header value
    :param pos: position in ``header``
    :param header_name: header name, for error messages
    :raises InvalidHeaderFormat: on invalid inputs
    """
    name, pos = parse_token(header, pos, header_name)
    pos = parse_OWS(header, pos)
    value: Optional[str] = None
    if peek_ahead(header, pos) == "=":
        pos = parse_OWS(header, pos + 1)
        if peek_ahead(header, pos) == '"':
            pos_before = pos  # for proper error reporting below
            value, pos = parse_quoted_string(header, pos, header_name)
            # RFC 6455, section 9.1: the unescaped value must be a token.
            if _token_re.fullmatch(value) is None:
                raise InvalidHeaderFormat(
                    header_name, "invalid quoted header content", header, pos_before
                )
        else:
            value, pos = parse_token(header, pos, header_name)
        pos = parse_OWS(header, pos)
    return (name, value), pos


def parse_extension_item(
    header: str, pos: int, header_name: str
) -> Tuple[ExtensionHeader, int]:
    """Parse an extension definition from ``header`` at ``pos``.

    Return an ``(extension name, parameters)`` pair, where ``parameters`` is
    a list of ``(name, value)`` pairs.

    :param header: header value
    :param pos: position in ``header``
    :param header_name: header name, for error messages
    :raises InvalidHeaderFormat: on invalid inputs
    """
    name, pos = parse_token(header, pos, header_name)
    pos = parse_OWS(header, pos)
    parameters = []
    while peek_ahead(header, pos) == ";":
        pos = parse_OWS(header, pos + 1)
        parameter, pos = parse_extension_item_param(header, pos, header_name)
        parameters.append(parameter)
    return (ExtensionName(name), parameters), pos


def parse_extension(header: str) -> List[ExtensionHeader]:
    """Parse a ``Sec-WebSocket-Extensions`` header.

    Return a list of WebSocket extensions and their parameters in this
    format::

        [
            (
                'extension name',
                [
                    ('parameter name', 'parameter value'),
                    ....
                ]
            ),
            ...
        ]

    Parameter values are ``None`` when no value is provided.

    :param header: value of the ``Sec-WebSocket-Extensions`` header
    :raises InvalidHeaderFormat: on invalid inputs
    """
    return parse_list(parse_extension_item, header, 0, "Sec-WebSocket-Extensions")


parse_extension_list = parse_extension  # alias for backwards compatibility


def build_extension_item(
    name: ExtensionName, parameters: Sequence[ExtensionParameter]
) -> str:
    """Build an extension definition.

    This is the reverse of :func:`parse_extension_item`.

    :param name: extension name
    :param parameters: ``(name, value)`` pairs; ``value`` is ``None`` for
        parameters without a value
    """
    return "; ".join(
        [name]
        + [
            # Quoted strings aren't necessary: values are always tokens.
            name if value is None else f"{name}={value}"
            for name, value in parameters
        ]
    )


def build_extension(extensions: Sequence[ExtensionHeader]) -> str:
    """Build a ``Sec-WebSocket-Extensions`` header.

    This is the reverse of :func:`parse_extension`.

    :param extensions: ``(name, parameters)`` pairs, as returned by
        :func:`parse_extension`
    """
    return ", ".join(
        build_extension_item(name, parameters) for name, parameters in extensions
    )


build_extension_list = build_extension  # alias for backwards compatibility


# Sec-WebSocket-Protocol header: RFC 6455, section 4.3 and 11.3.4.
# Sec-WebSocket-Protocol-Client = 1#token
# Sec-WebSocket-Protocol-Server = token


def parse_subprotocol_item(
    header: str, pos: int, header_name: str
) -> Tuple[Subprotocol, int]:
    """Parse a subprotocol from ``header`` at ``pos``.

    :param header: header value
    :param pos: position in ``header``
    :param header_name: header name, for error messages
    :raises InvalidHeaderFormat: on invalid inputs
    """
    item, pos = parse_token(header, pos, header_name)
    return Subprotocol(item), pos


def parse_subprotocol(header: str) -> List[Subprotocol]:
    """Parse a ``Sec-WebSocket-Protocol`` header.

    Return a list of WebSocket subprotocols.

    :param header: value of the ``Sec-WebSocket-Protocol`` header
    :raises InvalidHeaderFormat: on invalid inputs
    """
    return parse_list(parse_subprotocol_item, header, 0, "Sec-WebSocket-Protocol")


parse_subprotocol_list = parse_subprotocol  # alias for backwards compatibility


def build_subprotocol(protocols: Sequence[Subprotocol]) -> str:
    """Build a ``Sec-WebSocket-Protocol`` header.

    This is the reverse of :func:`parse_subprotocol`.

    :param protocols: subprotocols
    """
    return ", ".join(protocols)


build_subprotocol_list = build_subprotocol  # alias for backwards compatibility


# HTTP Basic Auth: RFC 7235 and RFC 7617.


def build_www_authenticate_basic(realm: str) -> str:
    """Build a ``WWW-Authenticate`` header for HTTP Basic Auth.

    :param realm: authentication realm
    :raises ValueError: if ``realm`` cannot be represented in a quoted string
    """
    # RFC 7617, section 2: challenge = "Basic" 1*SP realm [ "," charset ]
    # with realm and charset as auth-params (RFC 7235, section 2.1).
    realm = build_quoted_string(realm)
    charset = build_quoted_string("UTF-8")
    return f"Basic realm={realm}, charset={charset}"


# RFC 7235, section 2.1: token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" /
#                                      "~" / "+" / "/" ) *"="
_token68_re = re.compile(r"[A-Za-z0-9-._~+/]+=*")


def parse_token68(header: str, pos: int, header_name: str) -> Tuple[str, int]:
    """Parse a token68 from ``header`` at ``pos`` and return it with the new
    position.

    :param header: header value
    :param pos: position in ``header``
    :param header_name: header name, for error messages
    :raises InvalidHeaderFormat: if there's no token68 at ``pos``
    """
    match = _token68_re.match(header, pos)
    if match is None:
        raise InvalidHeaderFormat(header_name, "expected token68", header, pos)
    return match.group(), match.end()


def parse_end(header: str, pos: int, header_name: str) -> None:
    """Check that parsing reached the end of ``header``.

    :param header: header value
    :param pos: position in ``header``
    :param header_name: header name, for error messages
    :raises InvalidHeaderFormat: if ``pos`` isn't the end of ``header``
    """
    if pos < len(header):
        raise InvalidHeaderFormat(header_name, "trailing data", header, pos)


def parse_authorization_basic(header: str) -> Tuple[str, str]:
    """Parse an ``Authorization`` header for HTTP Basic Auth.

    Return a ``(username, password)`` tuple.

    :param header: value of the ``Authorization`` header
    :raises InvalidHeaderFormat: on invalid inputs
    :raises InvalidHeaderValue: on unsupported inputs
    """
    # RFC 7235, section 2.1:
    # credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
    # RFC 7617, section 2:
    # credentials = "Basic" 1*SP token68 (with the base64 of user-pass)
    scheme, pos = parse_token(header, 0, "Authorization")
    # Auth schemes are case-insensitive.
    if scheme.lower() != "basic":
        raise InvalidHeaderValue("Authorization", f"unsupported scheme: {scheme}")
    if peek_ahead(header, pos) != " ":
        raise InvalidHeaderFormat(
            "Authorization", "expected space after scheme", header, pos
        )
    while peek_ahead(header, pos) == " ":
        pos += 1
    basic_credentials, pos = parse_token68(header, pos, "Authorization")
    parse_end(header, pos, "Authorization")

    try:
        user_pass = base64.b64decode(basic_credentials, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidHeaderValue(
            "Authorization", "expected base64-encoded credentials"
        ) from None
    # RFC 7617, section 2: user-pass = user-id ":" password
    username, colon, password = user_pass.partition(":")
    if not colon:
        raise InvalidHeaderValue(
            "Authorization", "expected username:password credentials"
        )

    return username, password


def build_authorization_basic(username: str, password: str) -> str:
    """Build an ``Authorization`` header for HTTP Basic Auth.

    This is the reverse of :func:`parse_authorization_basic`.

    :param username: user-id; it cannot contain a colon
    :param password: password
    :raises ValueError: if ``username`` contains a colon
    """
    # RFC 7617, section 2: "a user-id containing a colon character is
    # invalid". Credentials are encoded in UTF-8, as the charset="UTF-8"
    # parameter of the challenge announces.
    if ":" in username:
        raise ValueError("username cannot contain a colon")
    user_pass = f"{username}:{password}"
    basic_credentials = base64.b64encode(user_pass.encode()).decode()
    return "Basic " + basic_credentials
