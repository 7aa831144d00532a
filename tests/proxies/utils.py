"""WebSocket servers that record what the client sent through the proxy."""

from __future__ import annotations

import contextlib
import pathlib
import ssl
from collections.abc import AsyncIterator
from typing import Any, List, Optional, Tuple

from websockets.datastructures import Headers
from websockets.server import WebSocketServer

from ..utils import port_of, serving

__all__ = ["Recorded", "echo_once", "recording_server"]


class Recorded:
    """What a server saw: ``Host`` headers, TLS server names (SNI)."""

    def __init__(self) -> None:
        self.hosts: List[str] = []
        self.server_names: List[Optional[str]] = []


@contextlib.asynccontextmanager
async def recording_server(
    tls_files: Optional[Tuple[pathlib.Path, pathlib.Path]] = None,
    host: str = "127.0.0.1",
) -> AsyncIterator[Tuple[WebSocketServer, int, Recorded]]:
    """Run an echo server, with TLS if ``tls_files`` is given.

    Yield the server, its port and what it recorded.
    """
    recorded = Recorded()

    def process_request(path: str, headers: Headers) -> Any:
        recorded.hosts.append(headers["Host"])
        return None

    kwargs: dict[str, Any] = {}
    if tls_files is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls_files)

        def sni_callback(
            sslobj: ssl.SSLObject, name: Optional[str], ctx: ssl.SSLContext
        ) -> None:
            recorded.server_names.append(name)

        context.sni_callback = sni_callback  # type: ignore[assignment]
        kwargs["ssl"] = context
    async with serving(host=host, process_request=process_request, **kwargs) as server:
        yield server, port_of(server), recorded


async def echo_once(ws: Any, message: str = "hello through the proxy") -> None:
    """Check that a message goes to the server and back."""
    await ws.send(message)
    assert await ws.recv() == message
