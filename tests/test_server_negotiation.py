"""The server's handshake negotiates origin, extensions and subprotocol
itself in the usual case (each request header once, default hooks): the
result must be what process_origin(), process_extensions() and
process_subprotocol() give."""

from __future__ import annotations

import asyncio
from typing import Any, List, Optional, Sequence, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from websockets.datastructures import Headers
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.server import WebSocketServerProtocol

from .protocol_helpers import FakeTransport

KEY = "dGhlIHNhbXBsZSBub25jZQ=="


class Server:
    """What a connection needs of its WebSocketServer during the handshake."""

    closing = False

    def is_serving(self) -> bool:
        return True


class Delegating(WebSocketServerProtocol):
    """Overrides that call the defaults: handshake() calls each of them."""

    @staticmethod
    def process_origin(headers: Headers, origins: Any = None) -> Any:
        return WebSocketServerProtocol.process_origin(headers, origins)

    @staticmethod
    def process_extensions(headers: Headers, available_extensions: Any) -> Any:
        return WebSocketServerProtocol.process_extensions(headers, available_extensions)

    def process_subprotocol(
        self, headers: Headers, available_subprotocols: Optional[Sequence[str]]
    ) -> Any:
        return super().process_subprotocol(headers, available_subprotocols)


def handshake(cls: type, extra: List[Tuple[str, str]], options: Any) -> Tuple[Any, ...]:
    return asyncio.run(run_handshake(cls, extra, options))


async def run_handshake(
    cls: type, extra: List[Tuple[str, str]], options: Any
) -> Tuple[Any, ...]:
    protocol = cls(None, Server(), **options)
    transport = FakeTransport(protocol)
    # Not connection_made(): no handler task, no registration with a server.
    protocol.transport = transport
    request = (
        "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in extra)
        + "\r\n"
    )
    protocol.data_received(request.encode())
    try:
        await protocol.handshake(
            origins=protocol.origins,
            available_extensions=protocol.available_extensions,
            available_subprotocols=protocol.available_subprotocols,
        )
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))
    response = b"".join(transport.writes)
    # The Date header may change between the two handshakes.
    lines = [line for line in response.split(b"\r\n") if not line.startswith(b"Date:")]
    return (
        protocol.origin,
        [type(extension).__name__ for extension in protocol.extensions],
        protocol.subprotocol,
        lines,
    )


extra_headers = st.lists(
    st.tuples(
        st.sampled_from(
            ["Origin", "Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol", "X-Other"]
        ),
        st.sampled_from(
            [
                "https://a",
                "https://b",
                "",
                "permessage-deflate",
                "permessage-deflate; client_max_window_bits",
                "x-unknown",
                "chat",
                "chat, superchat",
                "superchat",
                ",",
            ]
        ),
    ),
    max_size=4,
)
options = st.fixed_dictionaries(
    {
        "origins": st.sampled_from([None, ["https://a"], ["https://a", None]]),
        "subprotocols": st.sampled_from([None, ["chat"], ["superchat", "chat"]]),
        "extensions": st.sampled_from([None, [ServerPerMessageDeflateFactory()]]),
    }
)


@settings(max_examples=200, deadline=None)
@given(extra=extra_headers, options=options)
def test_same_as_the_hooks(extra: List[Tuple[str, str]], options: Any) -> None:
    assert handshake(WebSocketServerProtocol, extra, options) == handshake(
        Delegating, extra, options
    )


@pytest.mark.parametrize(
    "extra, options",
    [
        ([], {}),
        ([("Origin", "https://a")], {"origins": ["https://a"]}),
        ([("Origin", "https://b")], {"origins": ["https://a"]}),
        ([], {"origins": ["https://a"]}),
        ([], {"origins": ["https://a", None]}),
        ([("Origin", "https://a"), ("Origin", "https://a")], {}),
        ([("Sec-WebSocket-Protocol", "chat")], {"subprotocols": ["chat"]}),
        ([("Sec-WebSocket-Protocol", "chat")], {}),
        (
            [("Sec-WebSocket-Extensions", "permessage-deflate")],
            {"extensions": [ServerPerMessageDeflateFactory()]},
        ),
    ],
)
def test_same_as_the_hooks_on_examples(
    extra: List[Tuple[str, str]], options: Any
) -> None:
    fast = handshake(WebSocketServerProtocol, extra, options)
    assert fast == handshake(Delegating, extra, options)
