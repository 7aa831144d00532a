"""Parse WebSocket URIs: RFC 6455, section 3.

The grammar of URIs comes from RFC 3986. Only the subset that makes sense for
``ws`` and ``wss`` URIs is accepted::

    ws-URI = "ws:" "//" host [ ":" port ] path [ "?" query ]
    wss-URI = "wss:" "//" host [ ":" port ] path [ "?" query ]

plus an optional ``userinfo@`` prefix before the host, which provides
credentials for HTTP Basic Auth.

Internationalized URIs (IRIs) are converted to URIs: non-ASCII characters in
the path and query are percent-encoded as UTF-8 (RFC 3987, section 3.1) and
non-ASCII host names are converted with IDNA.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from typing import NamedTuple, Optional, Tuple

from .exceptions import InvalidURI

__all__ = ["WebSocketURI", "parse_uri"]


class WebSocketURI(NamedTuple):
    """WebSocket URI.

    :param bool secure: secure flag, ``True`` for ``wss`` URIs
    :param str host: lower-case host, without brackets for IPv6 literals
    :param int port: port, always set even if it's the default
    :param str resource_name: path and optional query
    :param user_info: ``(username, password)`` tuple when the URI contains
        User Information, else ``None``.
    """

    secure: bool
    host: str
    port: int
    resource_name: str
    user_info: Optional[Tuple[str, str]]


# RFC 6455, section 3: default ports.
DEFAULT_PORTS = {"ws": 80, "wss": 443}

# RFC 3986, section 2.2 and 2.3.
UNRESERVED = "A-Za-z0-9\\-._~"
SUB_DELIMS = "!$&'()*+,;="

# RFC 3986, section 3.2.2: reg-name = *( unreserved / pct-encoded / sub-delims )
# Percent-encoded host names aren't supported: they're meant for non-ASCII
# names, which must be written as such and get converted with IDNA.
_reg_name_re = re.compile(f"[{UNRESERVED}{re.escape(SUB_DELIMS)}]+")

# RFC 3986, section 3.2.1: userinfo = *( unreserved / pct-encoded
# / sub-delims / ":" ). Non-ASCII characters are accepted, as in IRIs,
# except lone surrogates, which cannot be encoded.
_userinfo_re = re.compile(
    f"(?:[{UNRESERVED}{re.escape(SUB_DELIMS)}:"
    "\\u0080-\\ud7ff\\ue000-\\U0010ffff]|%[0-9A-Fa-f]{2})*"
)

# RFC 3986, section 3.2.3: port = *DIGIT
_port_re = re.compile("[0-9]*")

# Characters left untouched when percent-encoding the path and query: the
# characters allowed by RFC 3986, section 3.3 and 3.4, and "%", so that
# existing percent-encoded octets are preserved.
_PATH_SAFE = "-._~" + SUB_DELIMS + ":@/?%"

# Whitespace and control characters are never allowed in a URI.
_forbidden_re = re.compile("[\\x00-\\x20\\x7f]")

# What urllib.parse.urlsplit() removes (WHATWG URL standard): C0 control
# characters and space at both ends, tab, CR and LF anywhere.
_STRIPPED = "".join(map(chr, range(0x21)))
_UNSAFE_BYTES = str.maketrans("", "", "\t\r\n")


def parse_uri(uri: str) -> WebSocketURI:
    """Parse and validate a WebSocket URI.

    Like in websockets 8.1, which relied on :func:`urllib.parse.urlparse`,
    leading and trailing whitespace and C0 control characters are removed,
    and so are tabs, carriage returns and line feeds anywhere: a URI read
    from a line of text, newline included, works. Any other whitespace or
    control character makes the URI invalid.

    :param uri: WebSocket URI, e.g. ``ws://example.com/chat?room=1``
    :raises InvalidURI: if ``uri`` isn't a valid WebSocket URI; this is also
        a :exc:`ValueError`
    """
    original = uri
    uri = uri.strip(_STRIPPED).translate(_UNSAFE_BYTES)
    if uri != original:
        try:
            return parse_uri(uri)
        except InvalidURI as exc:
            # Report the URI as the caller wrote it.
            raise InvalidURI(original, exc.msg) from None
    if _forbidden_re.search(uri):
        raise InvalidURI(uri, "contains whitespace or control characters")

    # RFC 3986, section 3.1: schemes are case-insensitive.
    scheme, colon, rest = uri.partition(":")
    scheme = scheme.lower()
    if not colon or scheme not in DEFAULT_PORTS:
        raise InvalidURI(uri, "scheme isn't ws or wss")
    secure = scheme == "wss"

    if not rest.startswith("//"):
        raise InvalidURI(uri, "missing authority")
    rest = rest[2:]

    # RFC 6455, section 3: fragment identifiers MUST NOT be used.
    if "#" in rest:
        raise InvalidURI(uri, "fragments aren't allowed")

    # RFC 3986, section 3.2: the authority ends at the next "/" or "?".
    end = len(rest)
    for delimiter in "/?":
        index = rest.find(delimiter)
        if index != -1:
            end = min(end, index)
    authority, path_query = rest[:end], rest[end:]

    userinfo, at, hostport = authority.rpartition("@")
    user_info = parse_user_info(uri, userinfo) if at else None
    host, port = parse_host_port(uri, hostport, DEFAULT_PORTS[scheme])
    resource_name = parse_resource_name(uri, path_query)

    return WebSocketURI(secure, host, port, resource_name, user_info)


def parse_user_info(uri: str, userinfo: str) -> Tuple[str, str]:
    """Parse the User Information subcomponent of a URI.

    :param uri: whole URI, for error messages
    :param userinfo: part of the authority before ``@``
    :raises InvalidURI: if ``userinfo`` isn't a ``username:password`` pair
    """
    if not _userinfo_re.fullmatch(userinfo):
        raise InvalidURI(uri, "invalid user info")
    username, colon, password = userinfo.partition(":")
    if not colon:
        raise InvalidURI(uri, "user info must contain a username and a password")
    try:
        return (
            urllib.parse.unquote(username, errors="strict"),
            urllib.parse.unquote(password, errors="strict"),
        )
    except UnicodeDecodeError:
        raise InvalidURI(uri, "user info isn't valid UTF-8") from None


def parse_host_port(uri: str, hostport: str, default_port: int) -> Tuple[str, int]:
    """Parse the host and port subcomponents of a URI.

    :param uri: whole URI, for error messages
    :param hostport: part of the authority after the optional ``userinfo@``
    :param default_port: port to return when the URI doesn't contain one
    :raises InvalidURI: if the host or the port is invalid
    """
    # RFC 3986, section 3.2.2: IP-literal = "[" IPv6address "]"
    if hostport.startswith("["):
        host, bracket, port_str = hostport[1:].partition("]")
        if not bracket:
            raise InvalidURI(uri, "unterminated IPv6 address")
        # RFC 6874: the zone identifier is introduced by a "%25".
        address, pct, zone = host.partition("%25")
        try:
            # ipaddress accepts a zone identifier after a bare "%".
            if "%" in address:
                raise ValueError
            ipaddress.IPv6Address(address)
        except ValueError:
            raise InvalidURI(uri, "invalid IPv6 address") from None
        if pct:
            if not _reg_name_re.fullmatch(zone):
                raise InvalidURI(uri, "invalid IPv6 zone identifier")
            # Use the form of IPv6 scoped addresses that socket APIs accept.
            # Zone identifiers may be case-sensitive: don't lower them.
            host = f"{address.lower()}%{zone}"
        else:
            host = address.lower()
        if port_str and not port_str.startswith(":"):
            raise InvalidURI(uri, "invalid characters after IPv6 address")
        port_str = port_str[1:]
    else:
        host, _, port_str = hostport.partition(":")
        if not host:
            raise InvalidURI(uri, "missing host")
        if not host.isascii():
            # RFC 3987, section 3.1: convert internationalized host names.
            try:
                host = host.encode("idna").decode()
            except UnicodeError:
                raise InvalidURI(uri, "invalid internationalized host") from None
        if not _reg_name_re.fullmatch(host):
            raise InvalidURI(uri, "invalid host")
        host = host.lower()

    if not _port_re.fullmatch(port_str):
        raise InvalidURI(uri, "invalid port")
    if port_str:
        port = int(port_str)
        if not 0 < port < 65536:
            raise InvalidURI(uri, "port out of range")
    else:
        # RFC 3986, section 3.2.3: an empty port means the default port.
        port = default_port

    return host, port


def parse_resource_name(uri: str, path_query: str) -> str:
    """Build the resource name from the path and query of a URI.

    :param uri: whole URI, for error messages
    :param path_query: part of the URI after the authority
    :raises InvalidURI: if the path or query cannot be encoded
    """
    path, _, query = path_query.partition("?")
    # RFC 6455, section 3: the resource name is "/" when the path is empty,
    # followed by "?" and the query when the query is not empty.
    resource_name = path or "/"
    if query:
        resource_name += "?" + query
    try:
        return urllib.parse.quote(resource_name, safe=_PATH_SAFE)
    except UnicodeEncodeError:  # lone surrogates
        raise InvalidURI(uri, "invalid characters in resource name") from None
