from __future__ import annotations

import base64
from typing import Callable, List, Optional, Tuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from websockets.datastructures import Headers
from websockets.exceptions import (
    InvalidHandshake,
    InvalidHeader,
    InvalidHeaderFormat,
    InvalidHeaderValue,
    InvalidUpgrade,
)
from websockets.handshake import (
    _is_base64_key,
    accept,
    build_request,
    build_response,
    check_request,
    check_response,
)

# RFC 6455, section 1.3 and 4.2.2.
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_accept_rfc_example() -> None:
    assert accept(KEY) == ACCEPT


def test_build_request() -> None:
    headers = Headers()
    key = build_request(headers)
    assert list(headers.raw_items()) == [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13"),
    ]
    assert len(base64.b64decode(key, validate=True)) == 16


def test_build_request_keeps_existing_headers() -> None:
    headers = Headers(Host="example.com")
    build_request(headers)
    assert headers["Host"] == "example.com"
    assert len(headers) == 5


def test_build_request_random_keys() -> None:
    keys = {build_request(Headers()) for _ in range(10)}
    assert len(keys) == 10


def test_build_response() -> None:
    headers = Headers()
    build_response(headers, KEY)
    assert list(headers.raw_items()) == [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", ACCEPT),
    ]


def test_round_trip() -> None:
    request_headers = Headers()
    client_key = build_request(request_headers)
    server_key = check_request(request_headers)
    assert server_key == client_key
    response_headers = Headers()
    build_response(response_headers, server_key)
    check_response(response_headers, client_key)


@given(st.binary(min_size=16, max_size=16))
def test_round_trip_any_key(raw_key: bytes) -> None:
    key = base64.b64encode(raw_key).decode()
    request_headers = Headers(
        [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", key),
            ("Sec-WebSocket-Version", "13"),
        ]
    )
    assert check_request(request_headers) == key
    response_headers = Headers()
    build_response(response_headers, key)
    check_response(response_headers, key)


# Alterations of valid headers, shared by requests and responses.

Alteration = Callable[[Headers], None]


def remove(name: str) -> Alteration:
    def alter(headers: Headers) -> None:
        del headers[name]

    return alter


def replace(name: str, *values: str) -> Alteration:
    def alter(headers: Headers) -> None:
        del headers[name]
        for value in values:
            headers[name] = value

    return alter


def add(name: str, value: str) -> Alteration:
    def alter(headers: Headers) -> None:
        headers[name] = value

    return alter


def make_request() -> Headers:
    return Headers(
        [
            ("Host", "server.example.com"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", KEY),
            ("Sec-WebSocket-Version", "13"),
        ]
    )


def make_response() -> Headers:
    return Headers(
        [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", ACCEPT),
        ]
    )


# Variants of the Connection and Upgrade headers that are accepted.
VALID_UPGRADES: List[Alteration] = [
    replace("Connection", "upgrade"),
    replace("Connection", "UPGRADE"),
    replace("Connection", "keep-alive, Upgrade"),
    replace("Connection", "keep-alive", "Upgrade"),
    replace("Connection", ", Upgrade ,"),
    replace("Upgrade", "WebSocket"),
    replace("Upgrade", "WEBSOCKET"),
    replace("Upgrade", ",websocket,"),
]

# Variants of the Connection and Upgrade headers that are rejected, with the
# expected exception class and string.
INVALID_UPGRADES: List[Tuple[Alteration, type, str]] = [
    (remove("Connection"), InvalidUpgrade, "missing Connection header"),
    (
        replace("Connection", "keep-alive"),
        InvalidUpgrade,
        "invalid Connection header: keep-alive",
    ),
    (
        replace("Connection", "keep-alive", "close"),
        InvalidUpgrade,
        "invalid Connection header: keep-alive, close",
    ),
    (
        replace("Connection", "Upgrade-Insecure-Requests"),
        InvalidUpgrade,
        "invalid Connection header: Upgrade-Insecure-Requests",
    ),
    (
        replace("Connection", "Up grade"),
        InvalidHeaderFormat,
        "invalid Connection header: expected comma at 3 in Up grade",
    ),
    (
        replace("Connection", ""),
        InvalidHeaderFormat,
        "invalid Connection header: expected token at 0 in ",
    ),
    (remove("Upgrade"), InvalidUpgrade, "missing Upgrade header"),
    (replace("Upgrade", "h2c"), InvalidUpgrade, "invalid Upgrade header: h2c"),
    (
        replace("Upgrade", "websocket/13"),
        InvalidUpgrade,
        "invalid Upgrade header: websocket/13",
    ),
    (
        replace("Upgrade", "websocket, h2c"),
        InvalidUpgrade,
        "invalid Upgrade header: websocket, h2c",
    ),
    (
        add("Upgrade", "websocket"),
        InvalidUpgrade,
        "invalid Upgrade header: websocket, websocket",
    ),
    (
        replace("Upgrade", "web socket"),
        InvalidHeaderFormat,
        "invalid Upgrade header: expected comma at 4 in web socket",
    ),
]


@pytest.mark.parametrize("alter", VALID_UPGRADES)
def test_check_request_valid_upgrade(alter: Alteration) -> None:
    headers = make_request()
    alter(headers)
    assert check_request(headers) == KEY


@pytest.mark.parametrize("alter", VALID_UPGRADES)
def test_check_response_valid_upgrade(alter: Alteration) -> None:
    headers = make_response()
    alter(headers)
    check_response(headers, KEY)


@pytest.mark.parametrize("alter, exc_type, message", INVALID_UPGRADES)
def test_check_request_invalid_upgrade(
    alter: Alteration, exc_type: type, message: str
) -> None:
    headers = make_request()
    alter(headers)
    with pytest.raises(InvalidHandshake) as raised:
        check_request(headers)
    assert type(raised.value) is exc_type
    assert str(raised.value) == message


@pytest.mark.parametrize("alter, exc_type, message", INVALID_UPGRADES)
def test_check_response_invalid_upgrade(
    alter: Alteration, exc_type: type, message: str
) -> None:
    headers = make_response()
    alter(headers)
    with pytest.raises(InvalidHandshake) as raised:
        check_response(headers, KEY)
    assert type(raised.value) is exc_type
    assert str(raised.value) == message


def test_check_request_missing_connection_attributes() -> None:
    headers = make_request()
    del headers["Connection"]
    with pytest.raises(InvalidUpgrade) as raised:
        check_request(headers)
    assert raised.value.name == "Connection"
    assert raised.value.value is None


def test_check_request_invalid_upgrade_attributes() -> None:
    headers = make_request()
    replace("Upgrade", "h2c")(headers)
    with pytest.raises(InvalidUpgrade) as raised:
        check_request(headers)
    assert raised.value.name == "Upgrade"
    assert raised.value.value == "h2c"


@pytest.mark.parametrize(
    "alter, exc_type, name, value",
    [
        (remove("Sec-WebSocket-Key"), InvalidHeader, "Sec-WebSocket-Key", None),
        (
            add("Sec-WebSocket-Key", KEY),
            InvalidHeader,
            "Sec-WebSocket-Key",
            "more than one Sec-WebSocket-Key header found",
        ),
        (
            replace("Sec-WebSocket-Key", "not base64!"),
            InvalidHeaderValue,
            "Sec-WebSocket-Key",
            "not base64!",
        ),
        (
            replace("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ"),
            InvalidHeaderValue,
            "Sec-WebSocket-Key",
            "dGhlIHNhbXBsZSBub25jZQ",
        ),
        (
            # 15 bytes
            replace("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAA"),
            InvalidHeaderValue,
            "Sec-WebSocket-Key",
            "AAAAAAAAAAAAAAAAAAAA",
        ),
        (
            # 17 bytes
            replace("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAAA="),
            InvalidHeaderValue,
            "Sec-WebSocket-Key",
            "AAAAAAAAAAAAAAAAAAAAAAA=",
        ),
        (
            replace("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==\udcff"),
            InvalidHeaderValue,
            "Sec-WebSocket-Key",
            "dGhlIHNhbXBsZSBub25jZQ==\udcff",
        ),
        (
            replace("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==é"),
            InvalidHeaderValue,
            "Sec-WebSocket-Key",
            "dGhlIHNhbXBsZSBub25jZQ==é",
        ),
        (
            replace("Sec-WebSocket-Key", ""),
            InvalidHeaderValue,
            "Sec-WebSocket-Key",
            "",
        ),
        (
            remove("Sec-WebSocket-Version"),
            InvalidHeader,
            "Sec-WebSocket-Version",
            None,
        ),
        (
            add("Sec-WebSocket-Version", "13"),
            InvalidHeader,
            "Sec-WebSocket-Version",
            "more than one Sec-WebSocket-Version header found",
        ),
        (
            replace("Sec-WebSocket-Version", "8"),
            InvalidHeaderValue,
            "Sec-WebSocket-Version",
            "8",
        ),
        (
            replace("Sec-WebSocket-Version", "13, 8"),
            InvalidHeaderValue,
            "Sec-WebSocket-Version",
            "13, 8",
        ),
    ],
)
def test_check_request_invalid(
    alter: Alteration, exc_type: type, name: str, value: Optional[str]
) -> None:
    headers = make_request()
    alter(headers)
    with pytest.raises(InvalidHeader) as raised:
        check_request(headers)
    assert type(raised.value) is exc_type
    assert raised.value.name == name
    assert raised.value.value == value


@pytest.mark.parametrize(
    "alter, exc_type, value",
    [
        (remove("Sec-WebSocket-Accept"), InvalidHeader, None),
        (
            add("Sec-WebSocket-Accept", ACCEPT),
            InvalidHeader,
            "more than one Sec-WebSocket-Accept header found",
        ),
        (replace("Sec-WebSocket-Accept", "wrong"), InvalidHeaderValue, "wrong"),
        (
            replace("Sec-WebSocket-Accept", accept("AAAAAAAAAAAAAAAAAAAAAA==")),
            InvalidHeaderValue,
            accept("AAAAAAAAAAAAAAAAAAAAAA=="),
        ),
        (replace("Sec-WebSocket-Accept", ""), InvalidHeaderValue, ""),
    ],
)
def test_check_response_invalid(
    alter: Alteration, exc_type: type, value: Optional[str]
) -> None:
    headers = make_response()
    alter(headers)
    with pytest.raises(InvalidHeader) as raised:
        check_response(headers, KEY)
    assert type(raised.value) is exc_type
    assert raised.value.name == "Sec-WebSocket-Accept"
    assert raised.value.value == value


def test_check_response_wrong_key() -> None:
    headers = Headers()
    build_response(headers, KEY)
    with pytest.raises(InvalidHeaderValue):
        check_response(headers, build_request(Headers()))


def test_check_request_ignores_other_headers() -> None:
    headers = make_request()
    headers["Origin"] = "http://example.com"
    headers["Sec-WebSocket-Protocol"] = "chat"
    assert check_request(headers) == KEY


@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "Connection",
                    "Upgrade",
                    "Sec-WebSocket-Key",
                    "Sec-WebSocket-Version",
                    "Sec-WebSocket-Accept",
                ]
            ),
            st.one_of(
                st.sampled_from(["Upgrade", "websocket", KEY, ACCEPT, "13"]),
                st.text(max_size=30),
            ),
        ),
        max_size=8,
    )
)
def test_check_arbitrary_headers(items: List[Tuple[str, str]]) -> None:
    headers = Headers(items)
    try:
        check_request(headers)
    except InvalidHeader:
        pass
    try:
        check_response(headers, KEY)
    except InvalidHeader:
        pass


extra_headers = st.lists(
    st.tuples(
        st.sampled_from(["Host", "Origin", "User-Agent", "Sec-WebSocket-Protocol"]),
        st.text(max_size=10),
    ),
    max_size=5,
)


@given(extra_headers, extra_headers)
def test_build_check_round_trip(
    request_items: List[Tuple[str, str]], response_items: List[Tuple[str, str]]
) -> None:
    # Other headers don't interfere with the handshake.
    request_headers = Headers(request_items)
    client_key = build_request(request_headers)
    assert check_request(request_headers) == client_key
    response_headers = Headers(response_items)
    build_response(response_headers, client_key)
    check_response(response_headers, client_key)


class RecordingHeaders(Headers):
    """A subclass that does more when a header is set."""

    def __init__(self) -> None:
        super().__init__()
        self.names: List[str] = []

    def __setitem__(self, key: str, value: str) -> None:
        self.names.append(key)
        super().__setitem__(key, value)


def test_build_request_and_response_set_headers_of_a_subclass() -> None:
    request = RecordingHeaders()
    key = build_request(request)
    assert request.names == [
        "Upgrade",
        "Connection",
        "Sec-WebSocket-Key",
        "Sec-WebSocket-Version",
    ]
    response = RecordingHeaders()
    build_response(response, key)
    assert response.names == ["Upgrade", "Connection", "Sec-WebSocket-Accept"]
    check_response(response, key)
    # The same headers as with Headers itself, which takes a faster path.
    plain = Headers()
    build_response(plain, key)
    assert list(plain.raw_items()) == list(response.raw_items())
    assert plain == response
    assert plain.get_all("connection") == ["Upgrade"]


class SlowPathHeaders(Headers):
    """check_request() and check_response() take their full checks on a
    subclass of Headers: the reference for their fast path."""


def outcome(check: Callable[[], Optional[str]]) -> Tuple[str, str]:
    try:
        return "ok", repr(check())
    except Exception as exc:
        return type(exc).__name__, str(exc)


handshake_items = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "Connection",
                "connection",
                "Upgrade",
                "Sec-WebSocket-Key",
                "Sec-WebSocket-Version",
                "Sec-WebSocket-Accept",
                "Host",
            ]
        ),
        st.one_of(
            st.sampled_from(
                [
                    "Upgrade",
                    "UPGRADE",
                    "keep-alive, Upgrade",
                    "websocket",
                    "WebSocket",
                    "websocket, h2c",
                    KEY,
                    KEY[:-2] + "=",
                    KEY.replace("=", "A"),
                    "\u00e9" * 24,
                    "!" * 22 + "==",
                    ACCEPT,
                    "13",
                    "8",
                ]
            ),
            st.text(max_size=30),
        ),
    ),
    max_size=8,
)


VALID_HANDSHAKE = [
    ("Connection", "Upgrade"),
    ("Upgrade", "websocket"),
    ("Sec-WebSocket-Key", KEY),
    ("Sec-WebSocket-Version", "13"),
    ("Sec-WebSocket-Accept", ACCEPT),
]
WRONG_VALUES = [
    "keep-alive, Upgrade",
    "UPGRADE",
    "WebSocket",
    "websocket, h2c",
    KEY[:-4] + "AA==",
    KEY[:-2] + "A=",
    KEY.replace("=", "A"),
    "!" * 22 + "==",
    "\u00e9" * 24,
    ACCEPT.lower(),
    "8",
    "",
]


def check_both_paths(items: List[Tuple[str, str]]) -> None:
    fast, slow = Headers(items), SlowPathHeaders(items)
    assert outcome(lambda: check_request(fast)) == outcome(lambda: check_request(slow))
    assert outcome(lambda: check_response(fast, KEY)) == outcome(
        lambda: check_response(slow, KEY)
    )


@given(
    st.lists(st.sampled_from(VALID_HANDSHAKE), max_size=6),
    handshake_items,
)
def test_fast_paths_of_checks_agree(
    valid: List[Tuple[str, str]], items: List[Tuple[str, str]]
) -> None:
    check_both_paths(valid + items)


@pytest.mark.parametrize("position", range(len(VALID_HANDSHAKE) + 1))
@pytest.mark.parametrize("value", WRONG_VALUES)
def test_fast_paths_of_checks_agree_on_one_wrong_value(
    position: int, value: str
) -> None:
    # A valid request and response but for one header, changed or missing.
    for missing in (False, True):
        items = list(VALID_HANDSHAKE)
        if position < len(items):
            if missing:
                del items[position]
            else:
                items[position] = (items[position][0], value)
        check_both_paths(items)


def test_unique_values() -> None:
    headers = Headers([("A", "1"), ("B", "2")])
    assert headers._unique() == {"a": "1", "b": "2"}
    headers["a"] = "3"
    assert headers._unique() is None


def reference_is_base64_key(key: str) -> bool:
    # RFC 6455, section 4.2.1, item 5, as the standard library's decoder
    # with validation reads it.
    try:
        return len(base64.b64decode(key.encode("ascii"), validate=True)) == 16
    except ValueError:
        return False


base64_like_keys = st.one_of(
    st.text(alphabet="ABCabc019+/=-_ \n\t\x00é", max_size=30),
    st.binary(min_size=14, max_size=18).map(lambda raw: base64.b64encode(raw).decode()),
    st.tuples(
        st.binary(min_size=16, max_size=16).map(
            lambda raw: base64.b64encode(raw).decode()
        ),
        st.integers(0, 24),
        st.text(alphabet="A=+/\n -é", max_size=2),
        st.integers(0, 2),
    ).map(lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + t[3] :]),
)


@given(base64_like_keys)
def test_key_check_agrees_with_b64decode(key: str) -> None:
    assert _is_base64_key(key) is reference_is_base64_key(key)


@pytest.mark.parametrize(
    "key",
    [
        KEY,
        "AAAAAAAAAAAAAAAAAAAAAB==",  # spare bits set: accepted, as by b64decode
        "AAAAAAAAAAAAAAAAAAAAAA=",
        "AAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAA==\n",
        "AAAAAAAAAAAAAAAAAAAA=AA=",
        "AAAAAAAAAAAAAAAAAAAAAA===",
        "AAAAAAAAAAAAAAAAAAAAA-==",
        "AAAAAAAAAAAAAAAAAAAAAé==",
        "AAAAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_key_check_examples(key: str) -> None:
    assert _is_base64_key(key) is reference_is_base64_key(key)
