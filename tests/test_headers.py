from __future__ import annotations

import base64
from typing import Any, Callable, List, Optional, Tuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from websockets import headers as headers_module
from websockets.exceptions import InvalidHeaderFormat, InvalidHeaderValue
from websockets.headers import (
    build_authorization_basic,
    build_extension,
    build_extension_list,
    build_quoted_string,
    build_subprotocol,
    build_subprotocol_list,
    build_www_authenticate_basic,
    parse_authorization_basic,
    parse_connection,
    parse_extension,
    parse_extension_list,
    parse_quoted_string,
    parse_subprotocol,
    parse_subprotocol_list,
    parse_upgrade,
)
from websockets.typing import ExtensionHeader, ExtensionName, Subprotocol


def test_aliases() -> None:
    assert parse_extension_list is parse_extension
    assert build_extension_list is build_extension
    assert parse_subprotocol_list is parse_subprotocol
    assert build_subprotocol_list is build_subprotocol


def test_all() -> None:
    for name in headers_module.__all__:
        assert hasattr(headers_module, name)


# Connection


@pytest.mark.parametrize(
    "header, parsed",
    [
        ("Upgrade", ["Upgrade"]),
        ("keep-alive, Upgrade", ["keep-alive", "Upgrade"]),
        ("keep-alive,Upgrade", ["keep-alive", "Upgrade"]),
        # RFC 7230, section 7: empty list elements and OWS are accepted.
        (", , Upgrade ,, keep-alive ,", ["Upgrade", "keep-alive"]),
        (",Upgrade", ["Upgrade"]),
        ("Upgrade,", ["Upgrade"]),
        (" \tUpgrade\t ", ["Upgrade"]),
        ("\t,\t,Upgrade", ["Upgrade"]),
    ],
)
def test_parse_connection(header: str, parsed: List[str]) -> None:
    assert parse_connection(header) == parsed


# Upgrade


@pytest.mark.parametrize(
    "header, parsed",
    [
        ("websocket", ["websocket"]),
        ("WebSocket", ["WebSocket"]),
        (
            "HTTP/2.0, SHTTP/1.3, IRC/6.9, RTA/x11",
            ["HTTP/2.0", "SHTTP/1.3", "IRC/6.9", "RTA/x11"],
        ),
        (",websocket,", ["websocket"]),
    ],
)
def test_parse_upgrade(header: str, parsed: List[str]) -> None:
    assert parse_upgrade(header) == parsed


# Sec-WebSocket-Extensions


@pytest.mark.parametrize(
    "header, parsed",
    [
        ("foo", [("foo", [])]),
        ("foo, bar", [("foo", []), ("bar", [])]),
        (
            'foo; name; token=token; quoted-string="quoted-string", bar; quux; quuux',
            [
                (
                    "foo",
                    [
                        ("name", None),
                        ("token", "token"),
                        ("quoted-string", "quoted-string"),
                    ],
                ),
                ("bar", [("quux", None), ("quuux", None)]),
            ],
        ),
        (
            "permessage-deflate; client_max_window_bits",
            [("permessage-deflate", [("client_max_window_bits", None)])],
        ),
        (
            'permessage-deflate; client_max_window_bits="10"',
            [("permessage-deflate", [("client_max_window_bits", "10")])],
        ),
        (
            "permessage-deflate ;client_max_window_bits = 10 "
            "; server_no_context_takeover",
            [
                (
                    "permessage-deflate",
                    [
                        ("client_max_window_bits", "10"),
                        ("server_no_context_takeover", None),
                    ],
                )
            ],
        ),
        # A quoted-pair is unescaped before checking that the value is a token.
        ('a; b="\\c"', [("a", [("b", "c")])]),
        (
            ", , permessage-deflate ,, x-webkit-deflate-frame ,",
            [("permessage-deflate", []), ("x-webkit-deflate-frame", [])],
        ),
    ],
)
def test_parse_extension(header: str, parsed: List[ExtensionHeader]) -> None:
    assert parse_extension(header) == parsed


@pytest.mark.parametrize(
    "extensions, header",
    [
        ([("foo", [])], "foo"),
        ([("foo", []), ("bar", [])], "foo, bar"),
        (
            [("foo", [("name", None), ("token", "token")]), ("bar", [("q", "1")])],
            "foo; name; token=token, bar; q=1",
        ),
        ([], ""),
    ],
)
def test_build_extension(extensions: List[ExtensionHeader], header: str) -> None:
    assert build_extension(extensions) == header


# Sec-WebSocket-Protocol


@pytest.mark.parametrize(
    "header, parsed",
    [
        ("chat", ["chat"]),
        ("chat, superchat", ["chat", "superchat"]),
        ("chat,superchat", ["chat", "superchat"]),
        (", chat , , superchat ,", ["chat", "superchat"]),
    ],
)
def test_parse_subprotocol(header: str, parsed: List[str]) -> None:
    assert parse_subprotocol(header) == parsed


@pytest.mark.parametrize(
    "protocols, header",
    [(["chat"], "chat"), (["chat", "superchat"], "chat, superchat")],
)
def test_build_subprotocol(protocols: List[Subprotocol], header: str) -> None:
    assert build_subprotocol(protocols) == header


# Errors of list parsers, with their position.

LIST_PARSERS: List[Tuple[Callable[[str], Any], str]] = [
    (parse_connection, "Connection"),
    (parse_upgrade, "Upgrade"),
    (parse_extension, "Sec-WebSocket-Extensions"),
    (parse_subprotocol, "Sec-WebSocket-Protocol"),
]


@pytest.mark.parametrize("parse, name", LIST_PARSERS)
@pytest.mark.parametrize(
    "header, error, pos",
    [
        ("", "expected token", 0),
        (",", "expected token", 1),
        (" , ,\t", "expected token", 5),
        ("a b", "expected comma", 2),
        ("a, b c", "expected comma", 5),
        ("(a)", None, 0),
        ("a, (b)", None, 3),
        ("a, é", None, 3),
    ],
)
def test_parse_list_invalid(
    parse: Callable[[str], Any], name: str, header: str, error: Optional[str], pos: int
) -> None:
    with pytest.raises(InvalidHeaderFormat) as raised:
        parse(header)
    exc = raised.value
    assert exc.name == name
    assert exc.header == header
    assert exc.pos == pos
    if error is not None:
        assert exc.error == error
    assert str(exc) == f"invalid {name} header: {exc.error} at {pos} in {header}"


@pytest.mark.parametrize(
    "header, error, pos",
    [
        ("websocket/", "expected comma", 9),
        ("/1", "expected protocol", 0),
        ("a, /1", "expected protocol", 3),
        ("a/b/c", "expected comma", 3),
        ("(a)", "expected protocol", 0),
    ],
)
def test_parse_upgrade_invalid(header: str, error: str, pos: int) -> None:
    with pytest.raises(InvalidHeaderFormat) as raised:
        parse_upgrade(header)
    assert (raised.value.error, raised.value.pos) == (error, pos)


@pytest.mark.parametrize(
    "header, error, pos",
    [
        ("foo;", "expected token", 4),
        ("foo; ", "expected token", 5),
        ("foo;;", "expected token", 4),
        ("foo; a=", "expected token", 7),
        ("foo; a=;", "expected token", 7),
        ("foo; a=b c", "expected comma", 9),
        ("foo; a=b=c", "expected comma", 8),
        ('foo; a="', "expected quoted string", 7),
        ('foo; a="b', "expected quoted string", 7),
        ('foo; a="b\\"', "expected quoted string", 7),
        ('foo; a="b c"', "invalid quoted header content", 7),
        ('foo; a=""', "invalid quoted header content", 7),
        ('foo; a="b\\""', "invalid quoted header content", 7),
        ('foo; a="é"', "expected quoted string", 7),
        ('foo; a="\x00"', "expected quoted string", 7),
        ('foo; "a"=b', "expected token", 5),
        ("foo, bar; a=b; ", "expected token", 15),
    ],
)
def test_parse_extension_invalid(header: str, error: str, pos: int) -> None:
    with pytest.raises(InvalidHeaderFormat) as raised:
        parse_extension(header)
    assert (raised.value.error, raised.value.pos) == (error, pos)


@pytest.mark.parametrize(
    "header, error, pos",
    [
        ("chat/1", "expected comma", 4),
        ('"chat"', "expected token", 0),
    ],
)
def test_parse_subprotocol_invalid(header: str, error: str, pos: int) -> None:
    with pytest.raises(InvalidHeaderFormat) as raised:
        parse_subprotocol(header)
    assert (raised.value.error, raised.value.pos) == (error, pos)


# Quoted strings


@pytest.mark.parametrize(
    "value, quoted",
    [
        ("", '""'),
        ("foo", '"foo"'),
        ("a b\tc", '"a b\tc"'),
        ('a"b', '"a\\"b"'),
        ("a\\b", '"a\\\\b"'),
        ('\\"', '"\\\\\\""'),
    ],
)
def test_quoted_string(value: str, quoted: str) -> None:
    assert build_quoted_string(value) == quoted
    assert parse_quoted_string(quoted, 0, "X") == (value, len(quoted))


def test_parse_quoted_string_position() -> None:
    assert parse_quoted_string('a="b", c', 2, "X") == ("b", 5)


@pytest.mark.parametrize("value", ["\x00", "a\r\nb", "\x7f", "\u0100", "\U0001f600"])
def test_build_quoted_string_invalid(value: str) -> None:
    with pytest.raises(ValueError, match="invalid characters"):
        build_quoted_string(value)


# HTTP Basic Auth


@pytest.mark.parametrize(
    "realm, header",
    [
        ("foo", 'Basic realm="foo", charset="UTF-8"'),
        ("", 'Basic realm="", charset="UTF-8"'),
        (
            'my "secret" \\ realm',
            'Basic realm="my \\"secret\\" \\\\ realm", charset="UTF-8"',
        ),
    ],
)
def test_build_www_authenticate_basic(realm: str, header: str) -> None:
    assert build_www_authenticate_basic(realm) == header


def test_build_www_authenticate_basic_invalid() -> None:
    with pytest.raises(ValueError):
        build_www_authenticate_basic("line\r\nbreak")


def test_build_authorization_basic() -> None:
    # RFC 7617, section 2.
    assert build_authorization_basic("Aladdin", "open sesame") == (
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    )


def test_build_authorization_basic_utf8() -> None:
    # RFC 7617, section 2.1: "test" and "123£" in UTF-8.
    assert build_authorization_basic("test", "123\u00a3") == "Basic dGVzdDoxMjPCow=="


def test_build_authorization_basic_colon_in_username() -> None:
    with pytest.raises(ValueError, match="colon"):
        build_authorization_basic("user:name", "password")


@pytest.mark.parametrize(
    "header, credentials",
    [
        ("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", ("Aladdin", "open sesame")),
        ("basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", ("Aladdin", "open sesame")),
        ("BASIC   QWxhZGRpbjpvcGVuIHNlc2FtZQ==", ("Aladdin", "open sesame")),
        ("Basic dGVzdDoxMjPCow==", ("test", "123\u00a3")),
        ("Basic Og==", ("", "")),
        ("Basic YTpiOmM=", ("a", "b:c")),
    ],
)
def test_parse_authorization_basic(header: str, credentials: Tuple[str, str]) -> None:
    assert parse_authorization_basic(header) == credentials


@pytest.mark.parametrize(
    "header, error, pos",
    [
        ("", "expected token", 0),
        (" Basic Og==", "expected token", 0),
        ("Basic", "expected space after scheme", 5),
        ("Basic\tOg==", "expected space after scheme", 5),
        ("Basic ", "expected token68", 6),
        ("Basic !!", "expected token68", 6),
        ("Basic Og== ", "trailing data", 10),
        ("Basic Og==, x", "trailing data", 10),
        ("Basic Og=x", "trailing data", 9),
        ("Basic realm=x", "trailing data", 12),
    ],
)
def test_parse_authorization_basic_invalid_format(
    header: str, error: str, pos: int
) -> None:
    with pytest.raises(InvalidHeaderFormat) as raised:
        parse_authorization_basic(header)
    exc = raised.value
    assert (exc.name, exc.error, exc.header, exc.pos) == (
        "Authorization",
        error,
        header,
        pos,
    )


@pytest.mark.parametrize(
    "header, message",
    [
        ("Bearer xyz", "unsupported scheme: Bearer"),
        ("Digest username=x", "unsupported scheme: Digest"),
        ("Basic Og", "expected base64-encoded credentials"),
        ("Basic O-g=", "expected base64-encoded credentials"),
        (
            "Basic " + base64.b64encode(b"\xff:\xff").decode(),
            "expected base64-encoded credentials",
        ),
        (
            "Basic " + base64.b64encode(b"nocolon").decode(),
            "expected username:password credentials",
        ),
    ],
)
def test_parse_authorization_basic_invalid_value(header: str, message: str) -> None:
    with pytest.raises(InvalidHeaderValue) as raised:
        parse_authorization_basic(header)
    assert type(raised.value) is InvalidHeaderValue
    assert raised.value.name == "Authorization"
    assert raised.value.value == message
    assert str(raised.value) == f"invalid Authorization header: {message}"


# Property tests


@pytest.mark.parametrize("parse, name", LIST_PARSERS)
@given(header=st.text(max_size=40))
def test_parse_list_arbitrary_text(
    parse: Callable[[str], Any], name: str, header: str
) -> None:
    try:
        parse(header)
    except InvalidHeaderFormat as exc:
        assert exc.name == name
        assert exc.header == header
        assert 0 <= exc.pos <= len(header)


header_alphabet = st.sampled_from(list(' \t,;="\\/abAB09-!é\x00'))


@pytest.mark.parametrize("parse, name", LIST_PARSERS)
@given(header=st.text(alphabet=header_alphabet, max_size=30))
def test_parse_list_arbitrary_grammar_text(
    parse: Callable[[str], Any], name: str, header: str
) -> None:
    try:
        parse(header)
    except InvalidHeaderFormat as exc:
        assert exc.name == name
        assert 0 <= exc.pos <= len(header)


@given(st.one_of(st.text(max_size=40), st.text(alphabet=header_alphabet, max_size=30)))
def test_parse_authorization_basic_arbitrary_text(header: str) -> None:
    try:
        parse_authorization_basic(header)
    except (InvalidHeaderFormat, InvalidHeaderValue) as exc:
        assert exc.name == "Authorization"


@given(st.text(alphabet=st.sampled_from(list("Basic Og=AZaz09+/-._~")), max_size=30))
def test_parse_authorization_basic_arbitrary_token68(header: str) -> None:
    try:
        parse_authorization_basic(header)
    except (InvalidHeaderFormat, InvalidHeaderValue) as exc:
        assert exc.name == "Authorization"


token = st.from_regex(r"[-!#$%&'*+.^_`|~0-9a-zA-Z]{1,12}", fullmatch=True)
extension = st.tuples(
    token.map(ExtensionName),
    st.lists(st.tuples(token, st.one_of(st.none(), token)), max_size=4),
)


@given(st.lists(extension, min_size=1, max_size=4))
def test_extension_round_trip(extensions: List[ExtensionHeader]) -> None:
    assert parse_extension(build_extension(extensions)) == extensions


@given(st.lists(token.map(Subprotocol), min_size=1, max_size=6))
def test_subprotocol_round_trip(protocols: List[Subprotocol]) -> None:
    assert parse_subprotocol(build_subprotocol(protocols)) == protocols


@given(st.text().filter(lambda s: ":" not in s), st.text())
def test_authorization_basic_round_trip(username: str, password: str) -> None:
    header = build_authorization_basic(username, password)
    assert parse_authorization_basic(header) == (username, password)


latin1 = st.characters(min_codepoint=0x20, max_codepoint=0xFF)


@given(st.text(alphabet=latin1.filter(lambda c: c != "\x7f")))
def test_quoted_string_round_trip(value: str) -> None:
    quoted = build_quoted_string(value)
    if value.isascii():
        assert parse_quoted_string(quoted, 0, "X") == (value, len(quoted))
