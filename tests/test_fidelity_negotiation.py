"""permessage-deflate negotiation as websockets 8.1 did it.

A server configured with ``client_max_window_bits`` declines an offer that
doesn't include ``client_max_window_bits``: RFC 7692, section 7.1.2.2
forbids answering with it, so the server's memory limit couldn't apply. The
connection proceeds without compression. The default configuration of
``serve()`` (``compression="deflate"``) accepts such offers, like 8.1's
default, which had no limit.
"""

from __future__ import annotations

from typing import Any, List, Optional

import pytest

from websockets.client import connect
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)

from .utils import serving, uri_of


@pytest.mark.parametrize(
    ("client_max_window_bits", "expected"),
    [(None, None), (True, 10), (12, 10), (9, 9)],
)
async def test_server_with_client_max_window_bits(
    client_max_window_bits: Any, expected: Optional[int]
) -> None:
    server_factory = ServerPerMessageDeflateFactory(client_max_window_bits=10)
    client_factory = ClientPerMessageDeflateFactory(
        client_max_window_bits=client_max_window_bits
    )
    async with serving(compression=None, extensions=[server_factory]) as server:
        ws = await connect(
            uri_of(server), compression=None, extensions=[client_factory]
        )
        try:
            if expected is None:
                # Declined: no compression, and no header in the response.
                assert ws.extensions == []
                assert "Sec-WebSocket-Extensions" not in ws.response_headers
            else:
                (extension,) = ws.extensions
                assert isinstance(extension, PerMessageDeflate)
                assert extension.local_max_window_bits == expected
            await ws.send("x" * 1000)
            assert await ws.recv() == "x" * 1000
        finally:
            await ws.close()


async def test_server_tries_next_factory_after_declining() -> None:
    # Declining lets a later, less demanding configuration accept.
    factories: List[ServerPerMessageDeflateFactory] = [
        ServerPerMessageDeflateFactory(client_max_window_bits=10),
        ServerPerMessageDeflateFactory(server_max_window_bits=11),
    ]
    async with serving(compression=None, extensions=factories) as server:
        ws = await connect(
            uri_of(server),
            compression=None,
            extensions=[ClientPerMessageDeflateFactory()],
        )
        try:
            (extension,) = ws.extensions
            assert isinstance(extension, PerMessageDeflate)
            assert extension.remote_max_window_bits == 11
            assert extension.local_max_window_bits == 15
        finally:
            await ws.close()


async def test_default_server_accepts_offer_without_client_max_window_bits() -> None:
    async with serving() as server:
        ws = await connect(
            uri_of(server),
            compression=None,
            extensions=[ClientPerMessageDeflateFactory()],
        )
        try:
            (extension,) = ws.extensions
            assert isinstance(extension, PerMessageDeflate)
            assert extension.local_max_window_bits == 15
            await ws.send(b"y" * 1000)
            assert await ws.recv() == b"y" * 1000
        finally:
            await ws.close()
