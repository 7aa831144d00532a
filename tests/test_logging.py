"""Logging per connection: logger=, connection ids, records' extra
attributes, TCP probes logged at DEBUG. Over loopback."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from typing import Any, List

import pytest

from websockets.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.log import ConnectionLogger
from websockets.server import WebSocketServerProtocol, serve

from .protocol_helpers import open_protocol


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    async def wait_for(self, predicate: Any, timeout: float = 10) -> logging.LogRecord:
        async def poll() -> logging.LogRecord:
            while True:
                for record in self.records:
                    if predicate(record):
                        return record
                await asyncio.sleep(0.01)

        return await asyncio.wait_for(poll(), timeout)


@pytest.fixture
def handler() -> Any:
    list_handler = ListHandler()
    yield list_handler


def custom_logger(name: str, handler: ListHandler) -> logging.Logger:
    custom = logging.getLogger(name)
    custom.setLevel(logging.DEBUG)
    custom.addHandler(handler)
    custom.propagate = False
    return custom


async def crashing(ws: Any, path: str) -> None:
    raise RuntimeError("boom")


def port_of(server: Any) -> int:
    port: int = server.sockets[0].getsockname()[1]
    return port


async def test_records_carry_the_connection(handler: ListHandler) -> None:
    server_logger = logging.getLogger("websockets.server")
    server_logger.addHandler(handler)
    try:
        async with serve(crashing, "127.0.0.1", 0) as server:
            async with connect(f"ws://127.0.0.1:{port_of(server)}") as ws:
                with pytest.raises(ConnectionClosed):
                    await ws.recv()
                local = ws.local_address
            record = await handler.wait_for(
                lambda r: r.getMessage() == "Error in connection handler"
            )
    finally:
        server_logger.removeHandler(handler)
    assert record.levelno == logging.ERROR
    assert record.name == "websockets.server"
    assert isinstance(record.websocket, WebSocketServerProtocol)  # type: ignore[attr-defined]
    assert record.connection_id == record.websocket.id  # type: ignore[attr-defined]
    assert isinstance(record.connection_id, uuid.UUID)  # type: ignore[attr-defined]
    assert record.remote_address == local  # type: ignore[attr-defined]


async def test_logger_argument_of_serve(handler: ListHandler) -> None:
    custom = custom_logger("test.custom.server", handler)
    async with serve(crashing, "127.0.0.1", 0, logger=custom) as server:
        async with connect(f"ws://127.0.0.1:{port_of(server)}") as ws:
            with pytest.raises(ConnectionClosed):
                await ws.recv()
        record = await handler.wait_for(
            lambda r: r.getMessage() == "Error in connection handler"
        )
    assert record.name == "test.custom.server"
    # Debug records of the protocol go there too.
    assert any(r.getMessage() == "server - state = OPEN" for r in handler.records)
    ids = {r.connection_id for r in handler.records}  # type: ignore[attr-defined]
    assert len(ids) == 1


async def test_logger_argument_of_connect(handler: ListHandler) -> None:
    custom = custom_logger("test.custom.client", handler)

    async def echo(ws: Any, path: str) -> None:
        async for message in ws:
            await ws.send(message)

    async with serve(echo, "127.0.0.1", 0) as server:
        uri = f"ws://127.0.0.1:{port_of(server)}"
        ws = await connect(uri, logger=custom)
        await ws.send("hello")
        assert await ws.recv() == "hello"
        assert ws.logger.logger is custom
        await ws.close()
    messages = [r.getMessage() for r in handler.records]
    assert "client > GET / HTTP/1.1" in messages
    assert "client - state = OPEN" in messages
    assert all(r.websocket is ws for r in handler.records)  # type: ignore[attr-defined]


async def test_logger_adapter_keeps_its_extra(handler: ListHandler) -> None:
    class Prefix(logging.LoggerAdapter):  # type: ignore[type-arg]
        def process(self, msg: Any, kwargs: Any) -> Any:
            msg, kwargs = super().process(msg, kwargs)
            return f"[app] {msg}", kwargs

    base = custom_logger("test.custom.adapter", handler)
    adapter = Prefix(base, {"tenant": "acme"})
    protocol, _ = open_protocol(logger=adapter)
    protocol.logger.info("hello %s", "world", extra={"more": 1})
    [record] = [r for r in handler.records if "hello" in r.getMessage()]
    assert record.getMessage() == "[app] hello world"
    assert record.tenant == "acme"  # type: ignore[attr-defined]
    assert record.more == 1  # type: ignore[attr-defined]
    assert record.websocket is protocol  # type: ignore[attr-defined]
    assert record.connection_id == protocol.id  # type: ignore[attr-defined]


async def test_disabled_levels_are_skipped(handler: ListHandler) -> None:
    base = custom_logger("test.custom.quiet", handler)
    base.setLevel(logging.WARNING)
    protocol, _ = open_protocol(logger=base)
    protocol.logger.info("not logged")
    protocol.logger.warning("logged")
    assert [r.getMessage() for r in handler.records] == ["logged"]
    assert not protocol._debug


async def test_connection_ids_are_unique_and_stable() -> None:
    first, _ = open_protocol()
    second, _ = open_protocol()
    assert isinstance(first.id, uuid.UUID)
    assert first.id == first.id
    assert first.id != second.id


async def test_logger_can_be_set_like_frameworks_do(handler: ListHandler) -> None:
    # uvicorn-style subclasses assign self.logger.
    protocol, _ = open_protocol()
    assert isinstance(protocol.logger, ConnectionLogger)
    assert protocol.logger.logger is logging.getLogger("websockets.protocol")
    protocol.logger = custom_logger("test.custom.framework", handler)
    assert protocol._debug
    protocol.logger.debug("from the framework")
    [record] = handler.records
    assert record.name == "test.custom.framework"
    assert record.websocket is protocol  # type: ignore[attr-defined]


def test_invalid_logger() -> None:
    async def noop(ws: Any, path: str) -> None:
        pass

    with pytest.raises(TypeError, match="logger must be a logging"):
        serve(noop, "127.0.0.1", 0, logger="websockets")
    with pytest.raises(TypeError, match="logger must be a logging"):
        connect("ws://127.0.0.1:1/", logger=print)


async def test_tcp_probe_is_logged_at_debug(handler: ListHandler) -> None:
    # A load balancer's health check connects and closes without a request.
    custom = custom_logger("test.custom.probe", handler)

    async def noop(ws: Any, path: str) -> None:
        pass

    async with serve(noop, "127.0.0.1", 0, logger=custom) as server:
        loop = asyncio.get_running_loop()
        for _ in range(3):
            sock = socket.create_connection(("127.0.0.1", port_of(server)))
            await loop.run_in_executor(None, sock.close)
        records = []
        for _ in range(3):
            records.append(
                await handler.wait_for(
                    lambda r: (
                        r.getMessage() == "Connection closed before sending a request"
                        and r not in records
                    )
                )
            )
    assert all(r.levelno == logging.DEBUG for r in records)
    assert [r for r in handler.records if r.levelno > logging.DEBUG] == []


async def test_garbage_request_is_still_logged_at_info(handler: ListHandler) -> None:
    custom = custom_logger("test.custom.garbage", handler)

    async def noop(ws: Any, path: str) -> None:
        pass

    async with serve(noop, "127.0.0.1", 0, logger=custom) as server:
        loop = asyncio.get_running_loop()
        sock = socket.create_connection(("127.0.0.1", port_of(server)))
        try:
            sock.sendall(b"GARBAGE\r\n\r\n")
            response = await loop.run_in_executor(None, sock.recv, 4096)
        finally:
            sock.close()
        record = await handler.wait_for(lambda r: r.levelno == logging.INFO)
    assert response.startswith(b"HTTP/1.1 400")
    assert record.getMessage().startswith("Opening handshake failed: HTTP 400")
