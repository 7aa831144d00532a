"""Loopback tests of HTTP Basic Auth: basic_auth_protocol_factory() and
BasicAuthWebSocketServerProtocol."""

from __future__ import annotations

import asyncio
import base64
import http
import urllib.parse
from typing import Any, List, Optional, Tuple

import pytest

from websockets.auth import (
    BasicAuthWebSocketServerProtocol,
    basic_auth_protocol_factory,
    is_credentials,
)
from websockets.client import connect
from websockets.datastructures import Headers
from websockets.exceptions import InvalidStatusCode
from websockets.headers import build_authorization_basic
from websockets.server import WebSocketServerProtocol

from .utils import (
    TIMEOUT,
    check_error_response,
    echo,
    error_records,
    handshake_request,
    port_of,
    raw_request,
    serving,
    uri_of,
)

REALM = "my dev server"
CHALLENGE = 'Basic realm="my dev server", charset="UTF-8"'


async def within(aw: Any) -> Any:
    return await asyncio.wait_for(aw, TIMEOUT)


class UserRecorder:
    """Connection handler recording the authenticated user name."""

    def __init__(self) -> None:
        self.usernames: List[Optional[str]] = []

    async def __call__(self, ws: WebSocketServerProtocol, path: str) -> None:
        assert isinstance(ws, BasicAuthWebSocketServerProtocol)
        self.usernames.append(ws.username)
        await echo(ws, path)


def basic(credentials: str) -> List[Tuple[str, str]]:
    """Authorization header with the base64 of arbitrary text."""
    encoded = base64.b64encode(credentials.encode()).decode()
    return [("Authorization", f"Basic {encoded}")]


async def request_401(port: int, headers: List[Tuple[str, str]], body: bytes) -> None:
    """Check that a request with ``headers`` gets a 401 with ``body``."""
    response = await raw_request(port, handshake_request(extra=headers))
    check_error_response(response, 401, body)
    assert response.body == body
    assert response.reason == "Unauthorized"
    assert response.headers["WWW-Authenticate"] == CHALLENGE


# Over the wire


async def test_good_credentials() -> None:
    recorder = UserRecorder()
    factory = basic_auth_protocol_factory(REALM, credentials=("hello", "iloveyou"))
    async with serving(recorder, create_protocol=factory) as server:
        authorization = build_authorization_basic("hello", "iloveyou")
        async with connect(
            uri_of(server), extra_headers={"Authorization": authorization}
        ) as ws:
            await ws.send("authenticated")
            assert await within(ws.recv()) == "authenticated"
    assert recorder.usernames == ["hello"]


async def test_good_credentials_in_uri() -> None:
    recorder = UserRecorder()
    factory = basic_auth_protocol_factory(REALM, credentials=("hello", "iloveyou"))
    async with serving(recorder, create_protocol=factory) as server:
        uri = f"ws://hello:iloveyou@127.0.0.1:{port_of(server)}/"
        async with connect(uri) as ws:
            await ws.send("authenticated")
            assert await within(ws.recv()) == "authenticated"
    assert recorder.usernames == ["hello"]


@pytest.mark.parametrize(
    "username, password",
    [("hello", "wrong"), ("nobody", "iloveyou"), ("hello", ""), ("", "iloveyou")],
)
async def test_invalid_credentials(username: str, password: str) -> None:
    factory = basic_auth_protocol_factory(REALM, credentials=("hello", "iloveyou"))
    async with serving(create_protocol=factory) as server:
        port = port_of(server)
        headers = [("Authorization", build_authorization_basic(username, password))]
        await request_401(port, headers, b"Invalid credentials\n")
        user_info = f"{urllib.parse.quote(username)}:{urllib.parse.quote(password)}"
        with pytest.raises(InvalidStatusCode) as exc_info:
            await connect(f"ws://{user_info}@127.0.0.1:{port}/")
        assert exc_info.value.status_code == 401


async def test_missing_credentials() -> None:
    factory = basic_auth_protocol_factory(REALM, credentials=("hello", "iloveyou"))
    async with serving(create_protocol=factory) as server:
        await request_401(port_of(server), [], b"Missing credentials\n")
        with pytest.raises(InvalidStatusCode) as exc_info:
            await connect(uri_of(server))
        assert exc_info.value.status_code == 401


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer abcdef",  # not Basic
        "Digest username=hello",
        "Basic",  # no credentials
        "Basic !!!",  # not base64
        "Basic aGVsbG8=x",  # trailing data
        "Basic aGVsbG8",  # bad padding
        "Basic aGVsbG8=",  # base64 of "hello": no colon
        "Basic /w==",  # base64 of b"\xff": not UTF-8
    ],
)
async def test_malformed_credentials(authorization: str) -> None:
    factory = basic_auth_protocol_factory(REALM, credentials=("hello", "iloveyou"))
    async with serving(create_protocol=factory) as server:
        await request_401(
            port_of(server),
            [("Authorization", authorization)],
            b"Unsupported credentials\n",
        )


async def test_several_authorization_headers() -> None:
    factory = basic_auth_protocol_factory(REALM, credentials=("hello", "iloveyou"))
    good = build_authorization_basic("hello", "iloveyou")
    async with serving(create_protocol=factory) as server:
        await request_401(
            port_of(server),
            [("Authorization", good), ("Authorization", good)],
            b"Unsupported credentials\n",
        )


async def test_basic_scheme_is_case_insensitive() -> None:
    recorder = UserRecorder()
    factory = basic_auth_protocol_factory(REALM, credentials=("hello", "iloveyou"))
    authorization = build_authorization_basic("hello", "iloveyou").replace(
        "Basic", "bAsIc"
    )
    async with (
        serving(recorder, create_protocol=factory) as server,
        connect(uri_of(server), extra_headers=[("Authorization", authorization)]),
    ):
        pass
    assert recorder.usernames == ["hello"]


async def test_non_ascii_credentials() -> None:
    recorder = UserRecorder()
    factory = basic_auth_protocol_factory(REALM, credentials=("jérôme", "mötörhead€"))
    async with serving(recorder, create_protocol=factory) as server:
        port = port_of(server)
        authorization = build_authorization_basic("jérôme", "mötörhead€")
        async with connect(
            uri_of(server), extra_headers={"Authorization": authorization}
        ):
            pass
        # Percent-encoded UTF-8 in the URI.
        user_info = f"{urllib.parse.quote('jérôme')}:{urllib.parse.quote('mötörhead€')}"
        async with connect(f"ws://{user_info}@127.0.0.1:{port}/"):
            pass
        # The same password encoded in Latin-1 doesn't match.
        latin1 = base64.b64encode("jérôme:mötörhead".encode("latin-1")).decode()
        await request_401(
            port, [("Authorization", f"Basic {latin1}")], b"Unsupported credentials\n"
        )
        await request_401(port, basic("jérôme:motorhead€"), b"Invalid credentials\n")
    assert recorder.usernames == ["jérôme", "jérôme"]


async def test_password_with_colon() -> None:
    recorder = UserRecorder()
    factory = basic_auth_protocol_factory(REALM, credentials=("u", "a:b:c"))
    async with serving(recorder, create_protocol=factory) as server:
        authorization = build_authorization_basic("u", "a:b:c")
        async with connect(
            uri_of(server), extra_headers={"Authorization": authorization}
        ):
            pass
    assert recorder.usernames == ["u"]


async def test_several_credentials() -> None:
    recorder = UserRecorder()
    factory = basic_auth_protocol_factory(
        REALM, credentials=[("alice", "a-pass"), ("bob", "b-pass"), ("eve", "e")]
    )
    async with serving(recorder, create_protocol=factory) as server:
        port = port_of(server)
        for username, password in [("alice", "a-pass"), ("bob", "b-pass")]:
            async with connect(f"ws://{username}:{password}@127.0.0.1:{port}/"):
                pass
        # Passwords belong to their user.
        await request_401(
            port,
            [("Authorization", build_authorization_basic("alice", "b-pass"))],
            b"Invalid credentials\n",
        )
    assert recorder.usernames == ["alice", "bob"]


async def test_credentials_from_a_generator() -> None:
    recorder = UserRecorder()
    pairs = [("alice", "a-pass"), ("bob", "b-pass")]
    factory = basic_auth_protocol_factory(REALM, credentials=(p for p in pairs))
    async with serving(recorder, create_protocol=factory) as server:
        port = port_of(server)
        async with connect(f"ws://bob:b-pass@127.0.0.1:{port}/"):
            pass
    assert recorder.usernames == ["bob"]


async def test_check_credentials() -> None:
    calls: List[Tuple[str, str]] = []

    async def check_credentials(username: str, password: str) -> bool:
        calls.append((username, password))
        return password == username[::-1]

    recorder = UserRecorder()
    factory = basic_auth_protocol_factory(REALM, check_credentials=check_credentials)
    async with serving(recorder, create_protocol=factory) as server:
        port = port_of(server)
        async with connect(f"ws://abc:cba@127.0.0.1:{port}/"):
            pass
        await request_401(
            port,
            [("Authorization", build_authorization_basic("abc", "abc"))],
            b"Invalid credentials\n",
        )
    assert calls == [("abc", "cba"), ("abc", "abc")]
    assert recorder.usernames == ["abc"]


async def test_check_credentials_exception_gives_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def check_credentials(username: str, password: str) -> bool:
        raise RuntimeError("credentials store unavailable")

    factory = basic_auth_protocol_factory(REALM, check_credentials=check_credentials)
    async with serving(create_protocol=factory) as server:
        response = await raw_request(
            port_of(server), handshake_request(extra=basic("a:b"))
        )
    check_error_response(response, 500, b"See server log")
    [record] = error_records(caplog.records)
    assert "credentials store unavailable" in str(record.exc_info[1])  # type: ignore[index]


async def test_realm_is_quoted() -> None:
    factory = basic_auth_protocol_factory('say "hi" \\o/', credentials=("a", "b"))
    async with serving(create_protocol=factory) as server:
        response = await raw_request(port_of(server), handshake_request())
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == (
        'Basic realm="say \\"hi\\" \\\\o/", charset="UTF-8"'
    )


def test_realm_that_cannot_be_sent() -> None:
    with pytest.raises(ValueError, match="invalid characters"):
        basic_auth_protocol_factory("line\r\nbreak", credentials=("a", "b"))


async def test_username_attribute() -> None:
    factory = basic_auth_protocol_factory(REALM, credentials=("a", "b"))
    protocol = factory(echo, None)
    assert isinstance(protocol, BasicAuthWebSocketServerProtocol)
    assert protocol.username is None
    assert protocol.realm == REALM
    # Failed authentication leaves it unset.
    assert await protocol.process_request("/", Headers(basic("a:x"))) is not None
    assert protocol.username is None
    assert await protocol.process_request("/", Headers(basic("a:b"))) is None
    assert protocol.username == "a"


async def test_create_protocol() -> None:
    class MyAuth(BasicAuthWebSocketServerProtocol):
        pass

    seen: List[Any] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        seen.append(ws)

    factory = basic_auth_protocol_factory(
        REALM, credentials=("a", "b"), create_protocol=MyAuth
    )
    async with (
        serving(handler, create_protocol=factory) as server,
        connect(f"ws://a:b@127.0.0.1:{port_of(server)}/") as ws,
    ):
        await within(ws.wait_closed())
    [protocol] = seen
    assert isinstance(protocol, MyAuth)
    assert protocol.username == "a"


async def test_process_request_runs_after_authentication() -> None:
    calls: List[str] = []

    def process_request(path: str, request_headers: Headers) -> Any:
        calls.append(path)
        if path == "/health":
            return http.HTTPStatus.OK, [], b"OK\n"
        return None

    factory = basic_auth_protocol_factory(REALM, credentials=("a", "b"))
    async with serving(create_protocol=factory, process_request=process_request) as s:
        port = port_of(s)
        # Unauthenticated: process_request isn't reached.
        response = await raw_request(port, handshake_request("/health"))
        assert response.status == 401
        assert calls == []
        response = await raw_request(
            port, handshake_request("/health", extra=basic("a:b"))
        )
        assert (response.status, response.body) == (200, b"OK\n")
        async with connect(f"ws://a:b@127.0.0.1:{port}/ws"):
            pass
    assert calls == ["/health", "/ws"]


async def test_failed_authentication_logs_no_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    factory = basic_auth_protocol_factory(REALM, credentials=("a", "b"))
    async with serving(create_protocol=factory) as server:
        await request_401(port_of(server), basic("a:x"), b"Invalid credentials\n")
        await request_401(port_of(server), [], b"Missing credentials\n")
    assert error_records(caplog.records) == []


# Arguments of basic_auth_protocol_factory()


@pytest.mark.parametrize(
    "credentials",
    [
        42,
        ("a",),
        ("a", "b", "c"),
        ("a", 1),
        [("a", 1)],
        [("a", "b"), ("c",)],
        [("a", "b"), 42],
        "ab",  # a two-character string isn't a pair of strings
        ["ab"],
        {"a": "b"},
        b"ab",
    ],
)
def test_invalid_credentials_argument(credentials: Any) -> None:
    with pytest.raises(TypeError, match="invalid credentials argument"):
        basic_auth_protocol_factory(REALM, credentials=credentials)


def test_credentials_and_check_credentials() -> None:
    async def check_credentials(username: str, password: str) -> bool:
        return True  # pragma: no cover

    with pytest.raises(TypeError, match="either credentials or check_credentials"):
        basic_auth_protocol_factory(
            REALM, credentials=("a", "b"), check_credentials=check_credentials
        )
    with pytest.raises(TypeError, match="either credentials or check_credentials"):
        basic_auth_protocol_factory(REALM)


def test_valid_credentials_arguments() -> None:
    basic_auth_protocol_factory(REALM, credentials=("a", "b"))
    basic_auth_protocol_factory(REALM, credentials=["a", "b"])
    basic_auth_protocol_factory(REALM, credentials=[("a", "b")])
    basic_auth_protocol_factory(REALM, credentials=[["a", "b"], ("c", "d")])
    basic_auth_protocol_factory(REALM, credentials=[])


def test_is_credentials() -> None:
    assert is_credentials(("a", "b"))
    assert is_credentials(["a", "b"])
    assert not is_credentials("ab")
    assert not is_credentials(("a", 1))
    assert not is_credentials(42)
    assert not is_credentials(("a", "b", "c"))
