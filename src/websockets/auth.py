"""HTTP Basic Authentication for the server: RFC 7235 and RFC 7617."""

from __future__ import annotations

import functools
import hmac
import http
from typing import (
    Any,
    Awaitable,
    Callable,
    Iterable,
    List,
    Optional,
    Tuple,
    Type,
    Union,
    cast,
)

from .datastructures import Headers
from .exceptions import InvalidHeader
from .headers import build_www_authenticate_basic, parse_authorization_basic
from .server import HTTPResponse, WebSocketServerProtocol

__all__ = ["BasicAuthWebSocketServerProtocol", "basic_auth_protocol_factory"]

Credentials = Tuple[str, str]


def is_credentials(value: Any) -> bool:
    """Tell whether ``value`` is a ``(username, password)`` pair."""
    # A two-character string would unpack into two strings.
    if isinstance(value, str):
        return False
    try:
        username, password = value
    except (TypeError, ValueError):
        return False
    return isinstance(username, str) and isinstance(password, str)


class BasicAuthWebSocketServerProtocol(WebSocketServerProtocol):
    """WebSocket server protocol that enforces HTTP Basic Auth.

    :param realm: scope of protection, sent in the ``WWW-Authenticate``
        header
    :param check_credentials: coroutine ``check_credentials(username,
        password)`` returning whether the credentials are authorized

    Other arguments are passed to
    :class:`~websockets.server.WebSocketServerProtocol`.
    """

    __slots__ = ("check_credentials", "realm", "username")

    def __init__(
        self,
        *args: Any,
        realm: str,
        check_credentials: Callable[[str, str], Awaitable[bool]],
        **kwargs: Any,
    ) -> None:
        self.realm = realm
        self.check_credentials = check_credentials
        #: Name of the authenticated user, set by :meth:`process_request`.
        self.username: Optional[str] = None
        super().__init__(*args, **kwargs)

    def _unauthorized(self, message: str) -> HTTPResponse:
        headers = Headers(
            [("WWW-Authenticate", build_www_authenticate_basic(self.realm))]
        )
        return http.HTTPStatus.UNAUTHORIZED, headers, f"{message}\n".encode()

    async def process_request(
        self, path: str, request_headers: Headers
    ) -> Optional[HTTPResponse]:
        """Check HTTP Basic Auth and return an HTTP 401 response if needed.

        The response body says "Missing credentials", "Unsupported
        credentials" (not the Basic scheme, or malformed) or "Invalid
        credentials". If authentication succeeds, the username of the
        authenticated user is stored in the :attr:`username` attribute and
        the request goes on to any ``process_request`` given to
        :func:`~websockets.server.serve`.
        """
        try:
            authorization = request_headers["Authorization"]
        except KeyError:
            return self._unauthorized("Missing credentials")
        except LookupError:  # MultipleValuesError
            return self._unauthorized("Unsupported credentials")

        try:
            username, password = parse_authorization_basic(authorization)
        except InvalidHeader:
            return self._unauthorized("Unsupported credentials")

        if not await self.check_credentials(username, password):
            return self._unauthorized("Invalid credentials")

        self.username = username
        return await super().process_request(path, request_headers)


def basic_auth_protocol_factory(
    realm: str,
    credentials: Optional[Union[Credentials, Iterable[Credentials]]] = None,
    check_credentials: Optional[Callable[[str, str], Awaitable[bool]]] = None,
    create_protocol: Type[
        BasicAuthWebSocketServerProtocol
    ] = BasicAuthWebSocketServerProtocol,
) -> Callable[..., BasicAuthWebSocketServerProtocol]:
    """Protocol factory that enforces HTTP Basic Auth.

    It's designed to integrate with :func:`~websockets.server.serve`::

        websockets.serve(
            ...,
            create_protocol=websockets.basic_auth_protocol_factory(
                realm="my dev server",
                credentials=("hello", "iloveyou"),
            )
        )

    ``realm`` indicates the scope of protection. It should contain only
    ASCII characters because the encoding of non-ASCII characters is
    undefined. Refer to section 2.2 of RFC 7235 for details.

    ``credentials`` defines hard coded authorized credentials: a
    ``(username, password)`` pair or a list of such pairs. Passwords are
    compared in constant time.

    ``check_credentials`` defines a coroutine that checks whether
    credentials are authorized. It receives ``username`` and ``password``
    arguments and returns a :class:`bool`.

    One of ``credentials`` or ``check_credentials`` must be provided, but
    not both.

    By default, the factory builds
    :class:`BasicAuthWebSocketServerProtocol` instances; override this with
    ``create_protocol``.

    :param realm: scope of protection
    :param credentials: hard coded credentials
    :param check_credentials: coroutine that verifies credentials
    :param create_protocol: protocol class to instantiate
    :raises TypeError: if the credentials argument has the wrong type
    :raises ValueError: if ``realm`` can't be sent in a header (control
        characters, characters outside of Latin-1)
    """
    if (credentials is None) == (check_credentials is None):
        raise TypeError("provide either credentials or check_credentials")

    # Fail now rather than with an HTTP 500 on every request.
    build_www_authenticate_basic(realm)

    if credentials is not None:
        if isinstance(credentials, str) or not isinstance(credentials, Iterable):
            raise TypeError(f"invalid credentials argument: {credentials}")
        # Materialize iterators first: is_credentials() would consume them.
        items = list(credentials)
        if is_credentials(items):
            credentials_list = [cast(Credentials, tuple(items))]
        else:
            credentials_list = cast(List[Credentials], items)
            if not all(is_credentials(item) for item in credentials_list):
                raise TypeError(f"invalid credentials argument: {credentials}")

        credentials_dict = dict(credentials_list)

        async def check_credentials(username: str, password: str) -> bool:
            try:
                expected_password = credentials_dict[username]
            except KeyError:
                # Compare anyway, so that the time taken doesn't tell
                # whether the username exists.
                hmac.compare_digest(password.encode(errors="surrogateescape"), b"")
                return False
            # Constant-time comparison: see CVE-2021-33880.
            return hmac.compare_digest(
                expected_password.encode(errors="surrogateescape"),
                password.encode(errors="surrogateescape"),
            )

    assert check_credentials is not None
    return functools.partial(
        create_protocol,
        realm=realm,
        check_credentials=check_credentials,
    )
