"""Which proxy a client connection goes through.

:func:`parse_proxy` parses a proxy URL, :func:`get_proxy` picks the proxy
for a WebSocket URI: the one given to :func:`~websockets.client.connect`, or
with ``proxy=True`` the one named by the environment variables that most
HTTP clients read (``https_proxy``, ``http_proxy``, ``all_proxy``,
``no_proxy``, in lower or upper case).

How a connection goes through the proxy is in ``websockets.proxy_tunnel``.
Nothing here touches the network.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Mapping, NamedTuple, Optional, Tuple, Union

from .exceptions import InvalidURI
from .headers import build_authorization_basic
from .uri import WebSocketURI, parse_host_port, parse_user_info

__all__ = ["Proxy", "get_proxy", "parse_proxy", "proxy_bypass"]

# Default ports: 1080 is the SOCKS port assigned by IANA; HTTP proxies listen
# on all kinds of ports, the URL's scheme gives the only sensible default.
DEFAULT_PORTS = {
    "http": 80,
    "https": 443,
    "socks5": 1080,
    "socks5h": 1080,
    "socks4": 1080,
    "socks4a": 1080,
}

SOCKS_SCHEMES = frozenset({"socks5", "socks5h", "socks4", "socks4a"})


class Proxy(NamedTuple):
    """Proxy server.

    :param str scheme: ``http``, ``https`` (TLS to the proxy), ``socks5``,
        ``socks5h`` (the proxy resolves the server's name), ``socks4`` or
        ``socks4a`` (the proxy resolves the server's name)
    :param str host: lower-case host, without brackets for IPv6 literals
    :param int port: port, always set even if it's the default
    :param user_info: ``(username, password)`` tuple when the URL contains
        credentials, else ``None``
    """

    scheme: str
    host: str
    port: int
    user_info: Optional[Tuple[str, str]]

    @property
    def is_socks(self) -> bool:
        """``True`` for a SOCKS proxy, ``False`` for an HTTP proxy."""
        return self.scheme in SOCKS_SCHEMES

    def __repr__(self) -> str:
        # Never show the password, which would end up in logs.
        user = "" if self.user_info is None else f"{self.user_info[0]}:***@"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"Proxy({self.scheme}://{user}{host}:{self.port})"


def _redact(url: str) -> str:
    # Error messages quote the URL without the password.
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    if at:
        authority = f"{userinfo.partition(':')[0]}:***@{hostport}"
    return f"{scheme}{sep}{authority}{slash}{path}"


def parse_proxy(url: str) -> Proxy:
    """Parse and validate a proxy URL.

    The URL is ``scheme://[user:password@]host[:port][/]``, where scheme is
    ``http``, ``https``, ``socks5``, ``socks5h``, ``socks4`` or ``socks4a``.
    The user name and password are percent-decoded.

    :param url: proxy URL, e.g. ``http://user:pass@proxy.example:3128``
    :raises ~websockets.exceptions.InvalidURI: if ``url`` isn't a valid proxy
        URL; the message never contains the password
    """
    redacted = _redact(url)
    if any(char <= " " or char == "\x7f" for char in url):
        raise InvalidURI(redacted, "contains whitespace or control characters")

    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in DEFAULT_PORTS:
        schemes = ", ".join(DEFAULT_PORTS)
        raise InvalidURI(redacted, f"proxy scheme isn't one of {schemes}")

    authority, _, path = rest.partition("/")
    if path:
        raise InvalidURI(redacted, "a proxy URL has no path, query or fragment")
    if "?" in authority or "#" in authority:
        raise InvalidURI(redacted, "a proxy URL has no path, query or fragment")

    userinfo, at, hostport = authority.rpartition("@")
    user_info = None
    if at:
        user_info = parse_user_info(redacted, userinfo)
        if scheme in ("socks4", "socks4a"):
            # SOCKS4 has a user id but no password (and no authentication).
            raise InvalidURI(redacted, "SOCKS4 proxies don't support passwords")
        try:
            # RFC 7617, section 2: the user-id cannot contain a colon.
            build_authorization_basic(*user_info)
        except ValueError as exc:
            raise InvalidURI(redacted, str(exc)) from None
    host, port = parse_host_port(redacted, hostport, DEFAULT_PORTS[scheme])
    return Proxy(scheme, host, port, user_info)


def _split_entry(entry: str) -> Tuple[str, Optional[int]]:
    """Split a ``no_proxy`` entry into host and optional port.

    Accepts ``host``, ``host:port``, ``[v6]``, ``[v6]:port`` and a bare IPv6
    address or network, which has several colons and no port.

    :raises ValueError: if the port isn't a number
    """
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        colon, port_str = rest[:1], rest[1:]
    elif entry.count(":") == 1:
        host, colon, port_str = entry.partition(":")
    else:
        host, colon, port_str = entry, "", ""
    if not colon:
        return host, None
    if not (port_str.isascii() and port_str.isdigit()):
        raise ValueError(f"invalid port in no_proxy: {entry}")
    return host, int(port_str)


IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]


def _ip_address(host: str) -> Optional[IPAddress]:
    try:
        return ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return None


def proxy_bypass(host: str, port: int, no_proxy: str) -> bool:
    """Tell whether a connection to ``host`` and ``port`` skips the proxy.

    ``no_proxy`` follows the usual conventions of HTTP clients (curl, Python
    requests, Go): entries separated by commas or whitespace, where

    * ``*`` matches every host;
    * ``example.com``, ``.example.com`` and ``*.example.com`` match
      ``example.com`` and its subdomains;
    * an IP address matches that address, a CIDR network (``10.0.0.0/8``,
      ``fd00::/8``) the addresses in it; names aren't resolved;
    * a ``:port`` suffix (``example.com:8080``, ``[::1]:8080``) restricts
      an entry to that port.

    Entries that don't fit these rules are ignored.

    Matching is case-insensitive and ignores a trailing dot.

    :param host: host of the WebSocket URI, as in
        :class:`~websockets.uri.WebSocketURI`
    :param port: port of the WebSocket URI
    :param no_proxy: value of the ``no_proxy`` environment variable
    """
    host = host.lower().rstrip(".")
    address = _ip_address(host)
    for entry in no_proxy.replace(",", " ").split():
        if entry == "*":
            return True
        try:
            entry_host, entry_port = _split_entry(entry.lower())
        except ValueError:
            continue
        if entry_port is not None and entry_port != port:
            continue
        if address is not None:
            try:
                network = ipaddress.ip_network(entry_host, strict=False)
            except ValueError:
                continue
            if address in network:
                return True
            continue
        entry_host = entry_host.lstrip("*").lstrip(".").rstrip(".")
        if entry_host and (host == entry_host or host.endswith("." + entry_host)):
            return True
    return False


def _getenv(environ: Mapping[str, str], name: str) -> str:
    # Lower case first, as curl does; an empty value counts as unset.
    for variant in (name, name.upper()):
        # httpoxy: in a CGI script, HTTP_PROXY comes from the client's Proxy
        # header; Python's urllib ignores it too.
        if variant == "HTTP_PROXY" and "REQUEST_METHOD" in environ:
            continue
        value = environ.get(variant, "").strip()
        if value:
            return value
    return ""


def proxy_from_environment(
    wsuri: WebSocketURI, environ: Optional[Mapping[str, str]] = None
) -> Optional[str]:
    """Return the proxy URL that the environment sets for ``wsuri``, if any.

    ``https_proxy`` applies to ``wss://`` URIs, ``http_proxy`` to ``ws://``
    URIs, ``all_proxy`` to both when the former isn't set; each may be in
    upper case, the lower-case variable wins. ``no_proxy`` lists the hosts
    reached directly, see :func:`proxy_bypass`. A value without a scheme
    (``proxy.example:3128``) is an HTTP proxy.

    :param wsuri: WebSocket URI to connect to
    :param environ: environment variables; defaults to :data:`os.environ`
    """
    if environ is None:
        environ = os.environ
    url = _getenv(environ, "https_proxy" if wsuri.secure else "http_proxy")
    url = url or _getenv(environ, "all_proxy")
    if not url:
        return None
    if proxy_bypass(wsuri.host, wsuri.port, _getenv(environ, "no_proxy")):
        return None
    if "://" not in url:
        url = f"http://{url}"
    return url


ProxyArgument = Union[None, bool, str]


def check_proxy_argument(proxy: object) -> Optional[Proxy]:
    """Validate the ``proxy`` argument of :func:`~websockets.client.connect`.

    Return the parsed proxy for a URL, ``None`` for ``None``, ``True`` and
    ``False``.

    :raises TypeError: if ``proxy`` isn't ``None``, a boolean or a string
    :raises ~websockets.exceptions.InvalidURI: if the URL is invalid
    """
    if proxy is None or isinstance(proxy, bool):
        return None
    if not isinstance(proxy, str):
        raise TypeError(f"proxy must be None, True or a URL, got {proxy!r}")
    return parse_proxy(proxy)


def get_proxy(
    proxy: ProxyArgument,
    wsuri: WebSocketURI,
    environ: Optional[Mapping[str, str]] = None,
) -> Optional[Proxy]:
    """Return the proxy to use to connect to ``wsuri``, or ``None``.

    :param proxy: ``None`` or ``False`` connects directly; ``True`` reads the
        environment, see :func:`proxy_from_environment`; a string is a
        proxy URL, see :func:`parse_proxy`
    :param wsuri: WebSocket URI to connect to
    :param environ: environment variables; defaults to :data:`os.environ`
    :raises ~websockets.exceptions.InvalidURI: if the proxy URL is invalid
    """
    if proxy is None or proxy is False:
        return None
    if proxy is True:
        url = proxy_from_environment(wsuri, environ)
        if url is None:
            return None
        return parse_proxy(url)
    return parse_proxy(proxy)
