"""serve() and connect() pass the library's own protocol classes only the
arguments that differ from their defaults (arguments.without_defaults): the
protocol must be the same as with every argument."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Dict, List

import pytest

from websockets import client, serving
from websockets.arguments import without_defaults
from websockets.client import Connect, WebSocketClientProtocol
from websockets.server import WebSocketServerProtocol

CONFIG = [
    "ping_interval",
    "ping_timeout",
    "close_timeout",
    "max_size",
    "_max_message",
    "_max_fragment",
    "max_queue",
    "read_limit",
    "write_limit",
    "host",
    "port",
    "secure",
    "legacy_recv",
    "loop",
    "_logger",
    "_debug",
    "available_extensions",
    "available_subprotocols",
    "extra_headers",
]
SERVER_CONFIG = [
    *CONFIG,
    "origins",
    "_process_request",
    "_select_subprotocol",
    "_process_response",
    "open_timeout",
    "ws_server",
]
CLIENT_CONFIG = [*CONFIG, "origin"]


def config(protocol: Any, names: List[str]) -> Dict[str, Any]:
    result = {}
    for name in names:
        value = getattr(protocol, name)
        if isinstance(value, list):
            value = [(type(item), repr(item)) for item in value]
        result[name] = (type(value), value)
    return result


def every_argument(
    create_protocol: Any, default: type, kwargs: Dict[str, Any], more: Any = None
) -> Dict[str, Any]:
    return kwargs


async def handler(ws: Any, path: str) -> None:
    pass  # pragma: no cover


SERVE_ARGUMENTS = [
    {},
    {"compression": None, "max_size": None},
    {"ping_interval": 20.0, "ping_timeout": None, "close_timeout": 1},
    {"max_size": (2**20, 2**10), "max_queue": 1, "open_timeout": 10},
    {"open_timeout": 10.0, "read_limit": 2**16, "write_limit": 0},
    {"origins": ["https://a"], "subprotocols": ["chat"], "extra_headers": {"A": "b"}},
    {"process_request": lambda path, headers: None, "process_response": print},
    {"logger": logging.getLogger("test"), "legacy_recv": True},
]


@pytest.mark.parametrize("kwargs", SERVE_ARGUMENTS)
async def test_server_protocol_is_the_same(
    kwargs: Dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    warns = kwargs.get("legacy_recv")
    with pytest.warns(DeprecationWarning) if warns else contextlib.nullcontext():
        pruned = serving.Serve(handler, "localhost", 0, **kwargs)._factory()
        monkeypatch.setattr(serving, "without_defaults", every_argument)
        full = serving.Serve(handler, "localhost", 0, **kwargs)._factory()
    assert len(pruned.__class__.__mro__) == len(full.__class__.__mro__)
    expected = config(full, SERVER_CONFIG)
    actual = config(pruned, SERVER_CONFIG)
    # Each Serve has its own WebSocketServer.
    expected.pop("ws_server")
    actual.pop("ws_server")
    assert actual == expected


CONNECT_ARGUMENTS = [
    {},
    {"compression": None, "max_size": None},
    {"ping_interval": 20.0, "ping_timeout": None, "close_timeout": 1},
    {"max_size": (2**20, 2**10), "max_queue": 1, "open_timeout": 5},
    {"origin": "https://a", "subprotocols": ["chat"], "extra_headers": {"A": "b"}},
    {"logger": logging.getLogger("test")},
]


@pytest.mark.parametrize("kwargs", CONNECT_ARGUMENTS)
async def test_client_protocol_is_the_same(
    kwargs: Dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    pruned = Connect("ws://localhost/", **kwargs)._factory()
    client._template.cache_clear()
    monkeypatch.setattr(client, "without_defaults", every_argument)
    full = Connect("ws://localhost/", **kwargs)._factory()
    client._template.cache_clear()
    assert config(pruned, CLIENT_CONFIG) == config(full, CLIENT_CONFIG)


class MyProtocol(WebSocketServerProtocol):
    def __init__(self, *args: Any, ping_interval: Any = 5, **kwargs: Any) -> None:
        super().__init__(*args, ping_interval=ping_interval, **kwargs)


def test_a_class_of_the_application_gets_every_argument() -> None:
    # serve() passes ping_interval=20, as 8.1 did: MyProtocol's default
    # doesn't apply.
    kwargs = {"ping_interval": 20, "max_queue": 32}
    assert without_defaults(MyProtocol, WebSocketServerProtocol, kwargs) == kwargs
    assert (
        without_defaults(WebSocketServerProtocol, WebSocketServerProtocol, kwargs) == {}
    )


def test_types_are_told_apart() -> None:
    kwargs = {"ping_interval": 20.0, "max_queue": True, "read_limit": 2**16}
    assert without_defaults(
        WebSocketClientProtocol, WebSocketClientProtocol, kwargs
    ) == {
        "ping_interval": 20.0,
        "max_queue": True,
    }
    assert without_defaults(
        WebSocketClientProtocol,
        WebSocketClientProtocol,
        {"open_timeout": 10, "unknown": None},
        {"open_timeout": 10},
    ) == {"unknown": None}


async def test_serve_still_works() -> None:
    async def echo(ws: Any, path: str) -> None:
        async for message in ws:
            await ws.send(message)

    async with serving.serve(echo, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        async with client.connect(f"ws://127.0.0.1:{port}/", compression=None) as ws:
            await ws.send("hello")
            assert await asyncio.wait_for(ws.recv(), 5) == "hello"
