"""serve() and connect() check their arguments when they're called."""

from __future__ import annotations

import asyncio
import inspect
import logging
import warnings
from typing import Any, Callable, Dict, Type

import pytest

from websockets.arguments import (
    _keyword_defaults,
    check_max_size,
    check_sequence,
    check_size,
)
from websockets.client import WebSocketClientProtocol, connect, unix_connect
from websockets.server import WebSocketServerProtocol, serve, unix_serve


async def handler(ws: Any, path: str) -> None:  # pragma: no cover
    pass


def make_server(**kwargs: Any) -> Any:
    return serve(handler, "127.0.0.1", 0, **kwargs)


def make_client(**kwargs: Any) -> Any:
    return connect("ws://127.0.0.1:1/", **kwargs)


def server_keywords(server: Any) -> Dict[str, Any]:
    """What the server's protocols get: the factory's arguments, with the
    defaults of the protocol class for those it leaves out
    (test_arguments_defaults checks that the protocols are the same)."""
    defaults = dict(_keyword_defaults(WebSocketServerProtocol), open_timeout=10)
    return {**defaults, **server._factory.keywords}


def client_keywords(client: Any) -> Dict[str, Any]:
    """Likewise for a client's protocol."""
    return {**_keyword_defaults(WebSocketClientProtocol), **client._protocol_kwargs}


FACTORIES = [
    pytest.param(make_server, id="serve"),
    pytest.param(make_client, id="connect"),
]

INVALID = [
    # Sizes.
    ("max_size", (1, 2, 3), TypeError, "max_size must be an int, None, or a ("),
    ("max_size", (1,), TypeError, "max_size must be an int, None, or a ("),
    ("max_size", ("1", 2), TypeError, "max_size[0] must be an int or None, got str"),
    ("max_size", (None, -2), ValueError, "max_size[1] must be at least 0, got -2"),
    ("max_size", "1", TypeError, "max_size must be an int or None, got str"),
    ("max_size", 1.5, TypeError, "max_size must be an int or None, got float"),
    ("max_size", float("inf"), TypeError, "max_size must be an int or None, got"),
    ("max_size", True, TypeError, "max_size must be an int or None, got bool"),
    ("max_size", -1, ValueError, "max_size must be at least 0, got -1"),
    ("max_queue", 0, ValueError, "max_queue must be at least 1, got 0"),
    ("max_queue", "32", TypeError, "max_queue must be an int or None, got str"),
    ("read_limit", None, TypeError, "read_limit must be an int, got NoneType"),
    ("read_limit", 0, ValueError, "read_limit must be at least 1, got 0"),
    ("write_limit", -1, ValueError, "write_limit must be at least 0, got -1"),
    ("write_limit", 2.5, TypeError, "write_limit must be an int, got float"),
    # Timeouts.
    ("ping_interval", 0, ValueError, "ping_interval must be positive, got 0"),
    ("ping_interval", "5", TypeError, "ping_interval must be a number of seconds"),
    ("ping_timeout", -1, ValueError, "ping_timeout must be positive or 0, got -1"),
    ("ping_timeout", False, TypeError, "ping_timeout must be a number of seconds"),
    ("close_timeout", float("nan"), ValueError, "close_timeout must be positive"),
    ("close_timeout", [], TypeError, "close_timeout must be a number of seconds"),
    ("open_timeout", -0.5, ValueError, "open_timeout must be positive or 0"),
    # Compression.
    ("compression", "gzip", ValueError, "unsupported compression: gzip"),
    ("compression", True, TypeError, "compression must be a str or None, got bool"),
    # Subprotocols.
    ("subprotocols", "chat", TypeError, "subprotocols must be a list of str, got a"),
    ("subprotocols", [b"chat"], TypeError, "subprotocols must contain str, got bytes"),
    ("subprotocols", [None], TypeError, "subprotocols must contain str, got NoneType"),
    ("subprotocols", [""], ValueError, "subprotocols must not contain an empty string"),
    ("subprotocols", 42, TypeError, "subprotocols must be a list of str, got int"),
]


@pytest.mark.parametrize("factory", FACTORIES)
@pytest.mark.parametrize("name, value, exc_type, message", INVALID)
def test_invalid_argument(
    factory: Callable[..., Any],
    name: str,
    value: Any,
    exc_type: Type[Exception],
    message: str,
) -> None:
    with pytest.raises(exc_type) as raised:
        factory(**{name: value})
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize(
    "value, exc_type, message",
    [
        ("https://example.com", TypeError, "origins must be a list of str, got a"),
        ([b"https://example.com"], TypeError, "origins must contain str, got bytes"),
        (42, TypeError, "origins must be a list of str, got int"),
    ],
)
def test_invalid_origins(value: Any, exc_type: Type[Exception], message: str) -> None:
    with pytest.raises(exc_type) as raised:
        make_server(origins=value)
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize("factory", FACTORIES)
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(max_size=None, max_queue=None),
        dict(max_size=(None, 2**16)),
        dict(max_size=(2**20, None)),
        dict(max_size=(1e6, 2**16)),
        dict(max_size=0, max_queue=1, read_limit=1, write_limit=0),
        dict(ping_interval=None, ping_timeout=None, close_timeout=None),
        dict(ping_interval=0.5, ping_timeout=0, close_timeout=0, open_timeout=None),
        dict(compression=None),
        dict(compression="deflate"),
        dict(subprotocols=["chat", "superchat"]),
        dict(subprotocols=("chat",)),
        dict(subprotocols=iter(["chat"])),
    ],
)
def test_valid_arguments(factory: Callable[..., Any], kwargs: Any) -> None:
    factory(**kwargs)


def test_integral_floats_are_sizes() -> None:
    # websockets 8.1 accepted max_size=1e6; the protocol gets an int.
    server = make_server(max_size=1e6, read_limit=4096.0)
    assert server._factory.keywords["max_size"] == 1_000_000
    assert type(server._factory.keywords["read_limit"]) is int
    client = make_client(max_queue=8.0, write_limit=1e5)
    assert client._protocol_kwargs["max_queue"] == 8
    assert client._protocol_kwargs["write_limit"] == 100_000


def test_valid_origins() -> None:
    make_server(origins=["https://example.com", None])
    make_server(origins=None)


def test_deprecated_arguments_still_work() -> None:
    # timeout= and klass= are aliases; loop= is accepted.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        make_server(timeout=5, loop=None)
        make_client(timeout=5)
        # "" in origins was how websockets < 7 accepted a missing Origin.
        make_server(origins=[""])
    raises = pytest.raises(ValueError, match="close_timeout must be positive")
    with raises, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        make_server(timeout=-1)


def next_line() -> int:
    """Return the number of the line after the caller's."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno + 1


@pytest.mark.parametrize("side", ["serve", "connect"])
@pytest.mark.parametrize(
    "alias, message",
    [
        ("timeout", "rename timeout to close_timeout"),
        ("klass", "rename klass to create_protocol"),
    ],
)
def test_deprecation_warnings_point_at_the_caller(
    side: str, alias: str, message: str
) -> None:
    if alias == "timeout":
        kwargs: Any = dict(timeout=5)
    elif side == "serve":
        kwargs = dict(klass=WebSocketServerProtocol)
    else:
        kwargs = dict(klass=WebSocketClientProtocol)
    with pytest.warns(DeprecationWarning, match=message) as record:
        if side == "serve":
            line = next_line()
            serve(handler, "127.0.0.1", 0, **kwargs)
        else:
            line = next_line()
            connect("ws://127.0.0.1:1/", **kwargs)
    assert len(record) == 1
    assert (record[0].filename, record[0].lineno) == (__file__, line)


@pytest.mark.parametrize("side", ["unix_serve", "unix_connect"])
def test_deprecation_warnings_of_unix_variants_point_at_the_caller(
    side: str,
) -> None:
    # One more level of calls inside websockets than serve() and connect().
    with pytest.warns(DeprecationWarning, match="rename timeout") as record:
        if side == "unix_serve":
            line = next_line()
            unix_serve(handler, "/tmp/nowhere.sock", timeout=5)
        else:
            line = next_line()
            unix_connect("/tmp/nowhere.sock", timeout=5)
    assert len(record) == 1
    assert (record[0].filename, record[0].lineno) == (__file__, line)


@pytest.mark.parametrize("factory", FACTORIES)
def test_deprecated_aliases_are_applied(factory: Callable[..., Any]) -> None:
    with pytest.warns(DeprecationWarning):
        obj = factory(timeout=7, legacy_recv=True)
    kwargs = server_keywords(obj) if factory is make_server else client_keywords(obj)
    assert kwargs["close_timeout"] == 7
    assert kwargs["legacy_recv"] is True


def test_protocol_arguments_shared_by_serve_and_connect() -> None:
    # The protocol gets the same checked arguments from serve() and
    # connect(); logger and loop only when given (protocol classes written
    # for websockets 8.1 don't take logger).
    server_kwargs = server_keywords(make_server())
    client_kwargs = client_keywords(make_client())
    shared = [
        "ping_interval",
        "ping_timeout",
        "close_timeout",
        "max_size",
        "max_queue",
        "read_limit",
        "write_limit",
        "subprotocols",
    ]
    for name in shared:
        assert server_kwargs[name] == client_kwargs[name], name
    for kwargs in [make_server()._factory.keywords, make_client()._protocol_kwargs]:
        assert not {"legacy_recv", "logger", "loop"} & set(kwargs)
        assert [ext.name for ext in kwargs["extensions"]] == ["permessage-deflate"]
    assert server_keywords(make_server(compression=None))["extensions"] is None
    assert client_keywords(make_client(compression=None))["extensions"] is None

    logger = logging.getLogger("test")
    loop = asyncio.new_event_loop()
    try:
        server_kwargs = make_server(logger=logger, loop=loop)._factory.keywords
        client_kwargs = make_client(logger=logger, loop=loop)._protocol_kwargs
    finally:
        loop.close()
    for kwargs in [server_kwargs, client_kwargs]:
        assert kwargs["logger"] is logger
        assert kwargs["loop"] is loop


def test_open_timeout_defaults() -> None:
    assert server_keywords(make_server())["open_timeout"] == 10
    assert make_client().open_timeout == 10
    assert server_keywords(make_server(open_timeout=None))["open_timeout"] is None
    assert make_client(open_timeout=3).open_timeout == 3


def test_check_size_helpers() -> None:
    # The pieces issue 13 builds a (message_limit, fragment_limit) pair on.
    check_size("limit", 5, optional=False, minimum=1)
    check_max_size(None)
    check_sequence("names", None, none_items=False)
    with pytest.raises(TypeError, match="limit must be an int, got NoneType"):
        check_size("limit", None, optional=False, minimum=1)
