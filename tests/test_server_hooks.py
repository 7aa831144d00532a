"""The server's hooks, process_request() and process_response(), run only
when they're given or overridden; an override may call the default one."""

from __future__ import annotations

import asyncio
from typing import Any, Optional

from websockets.client import connect
from websockets.datastructures import Headers
from websockets.server import HTTPResponse, WebSocketServerProtocol

from .utils import TIMEOUT, serving, uri_of


class Hooked(WebSocketServerProtocol):
    """Overrides both hooks, and calls the default ones."""

    async def process_request(
        self, path: str, request_headers: Headers
    ) -> Optional[HTTPResponse]:
        request_headers["X-Seen"] = "yes"  # visible to process_response()
        return await super().process_request(path, request_headers)

    async def process_response(
        self, path: str, request_headers: Headers, response_headers: Headers
    ) -> Optional[HTTPResponse]:
        response_headers["X-Hooked"] = request_headers["X-Seen"]
        return await super().process_response(path, request_headers, response_headers)


async def test_overridden_hooks_call_the_default_ones() -> None:
    async with serving(create_protocol=Hooked) as server, connect(uri_of(server)) as ws:
        assert ws.response_headers["X-Hooked"] == "yes"
        await ws.send("hello")
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "hello"


async def test_default_hooks_return_none() -> None:
    protocol: Any = WebSocketServerProtocol(lambda ws, path: None, None)
    assert await protocol.process_request("/", Headers()) is None
    assert await protocol.process_response("/", Headers(), Headers()) is None
