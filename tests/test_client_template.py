"""connect() with the same plain arguments again and again.

Connect copies the checked arguments from a Connect made once with them
(websockets.client._template) instead of checking them each time. What it
gets must be what checking them gives, each Connect must own its mutable
state, and wrong arguments must fail every time.
"""

from __future__ import annotations

from typing import Any, Dict

import pytest

from websockets.client import Connect, WebSocketClientProtocol, _template


def checked(uri: str, **kwargs: Any) -> Connect:
    """A Connect made the usual way, without the template."""
    connect = object.__new__(Connect)
    args: Dict[str, Any] = dict(
        create_protocol=None,
        ping_interval=20,
        ping_timeout=20,
        close_timeout=10,
        max_size=2**20,
        max_queue=2**5,
        read_limit=2**16,
        write_limit=2**16,
        loop=None,
        compression="deflate",
        origin=None,
        extensions=None,
        subprotocols=None,
        extra_headers=None,
    )
    args.update(kwargs)
    connect._setup(uri, **args, kwds={})
    return connect


def state(connect: Connect) -> Dict[str, Any]:
    """Attributes with their types, extension factories by their settings."""
    result = {}
    for name, value in vars(connect).items():
        if name == "_protocol_kwargs":
            value = dict(value)
            factories = value.pop("extensions", None)
            if factories is not None:
                value["extensions"] = [
                    (type(factory), factory.get_request_params())
                    for factory in factories
                ]
            value = {key: (type(item), item) for key, item in value.items()}
        result[name] = (type(value), value)
    return result


@pytest.mark.parametrize(
    "uri, kwargs",
    [
        ("ws://localhost/", {}),
        ("wss://localhost:8443/path?q=1", {}),
        ("ws://localhost/", {"compression": None, "max_size": None}),
        ("ws://localhost/", {"ping_interval": 20.0, "close_timeout": 2.5}),
        ("ws://localhost/", {"max_size": 1e6, "max_queue": None}),
        ("ws://localhost/", {"origin": "https://example.com"}),
        ("ws://localhost/", {"create_protocol": WebSocketClientProtocol}),
    ],
)
def test_same_state_as_checking(uri: str, kwargs: Dict[str, Any]) -> None:
    for _ in range(2):  # a new template, then the cached one
        assert state(Connect(uri, **kwargs)) == state(checked(uri, **kwargs))


def test_each_connect_owns_its_state() -> None:
    first = Connect("wss://localhost/")
    second = Connect("wss://localhost/")
    assert first._kwds == second._kwds == {"ssl": True}
    assert first._kwds is not second._kwds
    assert first._protocol_kwargs is not second._protocol_kwargs
    extensions = first._protocol_kwargs["extensions"]
    assert extensions is not second._protocol_kwargs["extensions"]
    # A redirect changes one Connect, not the next ones.
    first._handle_redirect("wss://elsewhere/")
    first._protocol_kwargs["extensions"].clear()
    third = Connect("wss://localhost/")
    assert third._wsuri.host == "localhost"
    assert third._kwds == {"ssl": True}
    assert len(third._protocol_kwargs["extensions"]) == 1


def test_types_are_told_apart() -> None:
    # 1 == 1.0 == True: the template of one mustn't serve the others.
    assert Connect("ws://localhost/", max_queue=1)._protocol_kwargs["max_queue"] == 1
    with pytest.raises(TypeError, match="max_queue must be an int or None"):
        Connect("ws://localhost/", max_queue=True)
    connect = Connect("ws://localhost/", ping_interval=1.0)
    assert type(connect._protocol_kwargs["ping_interval"]) is float


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"max_size": -1}, ValueError),
        ({"ping_interval": "20"}, TypeError),
        ({"compression": "zstd"}, ValueError),
        ({"origin": ["unhashable"]}, None),
        ({"max_size": (1, True)}, TypeError),
    ],
)
def test_wrong_or_unhashable_arguments(kwargs: Dict[str, Any], error: Any) -> None:
    for _ in range(2):
        if error is None:
            Connect("ws://localhost/", **kwargs)
        else:
            with pytest.raises(error):
                Connect("ws://localhost/", **kwargs)


def test_uri_that_is_not_a_str() -> None:
    with pytest.raises(TypeError, match="uri must be a str"):
        Connect(["ws://localhost/"])  # type: ignore[arg-type]


def test_templates_are_bounded() -> None:
    _template.cache_clear()
    for port in range(1000, 1100):
        Connect(f"ws://localhost:{port}/")
    assert _template.cache_info().currsize == 64
