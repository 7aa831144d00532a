"""Tests of automatic reconnection: ``async for websocket in connect(uri)``.

The restart tests run the server in a separate process (reconnect_server.py)
and kill or stop it for real."""

from __future__ import annotations

import asyncio
import http
import logging
import pathlib
import signal
import socket
import ssl
import sys
import time
from typing import Any, AsyncIterator, List, Optional, Tuple

import pytest

from websockets.client import WebSocketClientProtocol, connect
from websockets.datastructures import Headers
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidMessage,
    InvalidProxyStatus,
    InvalidStatusCode,
    InvalidURI,
    SecurityError,
)
from websockets.reconnecting import (
    BACKOFF_FACTOR,
    BACKOFF_INITIAL,
    BACKOFF_MAX,
    Backoff,
    Reconnecting,
    is_permanent,
    retry_after,
)
from websockets.server import WebSocketServerProtocol

from .conftest_server import *  # noqa: F403 - TLS fixtures
from .utils import TIMEOUT, canned_server, port_of, serving, uri_of

SERVER_SCRIPT = pathlib.Path(__file__).with_name("reconnect_server.py")

# Fast backoff for the tests: waits of 0.05-0.1 s, then up to 0.2-0.4 s.
FAST = dict(backoff_initial=0.1, backoff_factor=2.0, backoff_max=0.4)
# Time for a connection and an echo on a loaded 2-core machine.
MARGIN = 1.5


async def within(aw: Any, timeout: float = TIMEOUT) -> Any:
    return await asyncio.wait_for(aw, timeout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """The echo server of reconnect_server.py in a process of its own."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: Optional[asyncio.subprocess.Process] = None

    async def start(self) -> float:
        """Start the server; return the loop time when it's listening."""
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(SERVER_SCRIPT),
            str(self.port),
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.process.stdout is not None
        line = await within(self.process.stdout.readline(), 30)
        assert line == b"ready\n", line
        return asyncio.get_running_loop().time()

    async def stop(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)
        await within(self.process.wait(), 30)
        self.process = None

    async def cleanup(self) -> None:
        if self.process is not None:  # pragma: no cover - after a failure
            self.process.kill()
            await self.process.wait()


@pytest.fixture
async def server_process() -> AsyncIterator[ServerProcess]:
    server = ServerProcess(free_port())
    try:
        yield server
    finally:
        await server.cleanup()


class Client:
    """Runs ``async for websocket in connect(...)`` in a task; reports each
    connection with the loop time at which it opened."""

    def __init__(self, uri: str, **kwargs: Any) -> None:
        self.connections: asyncio.Queue[Tuple[float, WebSocketClientProtocol]]
        self.connections = asyncio.Queue()
        self.task = asyncio.ensure_future(self.run(uri, **kwargs))

    async def run(self, uri: str, **kwargs: Any) -> None:
        async for websocket in connect(uri, **kwargs):
            loop = asyncio.get_running_loop()
            try:
                # Check that the connection works before reporting it.
                await websocket.send("ping?")
                assert await within(websocket.recv()) == "ping?"
                await self.connections.put((loop.time(), websocket))
                await websocket.recv()
            except ConnectionClosed:
                continue

    async def next(self) -> Tuple[float, WebSocketClientProtocol]:
        result: Tuple[float, WebSocketClientProtocol]
        result = await within(self.connections.get(), 30)
        return result

    async def stop(self) -> None:
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task


async def test_resumes_after_server_process_is_killed(
    server_process: ServerProcess, caplog: pytest.LogCaptureFixture
) -> None:
    # SIGKILL: the connection drops without a close frame (1006). The
    # client retries while the server is down, with waits capped at
    # backoff_max, and resumes at most backoff_max after the server is back.
    await server_process.start()
    client = Client(f"ws://127.0.0.1:{server_process.port}/", **FAST)
    try:
        _, first = await client.next()
        with caplog.at_level(logging.INFO, logger="websockets.client"):
            await server_process.stop(signal.SIGKILL)
            await within(first.wait_closed())
            assert first.close_code == 1006
            # Down for a while: several attempts fail with connection refused.
            await asyncio.sleep(1.0)
            ready = await server_process.start()
            opened, second = await client.next()
        assert second is not first
        assert opened - ready < FAST["backoff_max"] + MARGIN
        messages = [r.getMessage() for r in caplog.records]
        assert messages[0].startswith("connection closed: code 1006; reconnecting in")
        failures = [m for m in messages if m.startswith("connection failed")]
        assert len(failures) >= 3
        # Waits grow, capped at backoff_max.
        delays = [float(m.split(" in ")[-1].split()[0]) for m in messages]
        assert max(delays) <= FAST["backoff_max"]
    finally:
        await client.stop()


async def test_resumes_after_server_process_restarts_gracefully(
    server_process: ServerProcess,
) -> None:
    # SIGTERM: the server closes connections with 1012 (service restart).
    await server_process.start()
    client = Client(f"ws://127.0.0.1:{server_process.port}/", **FAST)
    try:
        _, first = await client.next()
        await server_process.stop(signal.SIGTERM)
        await within(first.wait_closed())
        assert (first.close_code, first.close_reason) == (1012, "service restart")
        ready = await server_process.start()
        opened, second = await client.next()
        assert second is not first
        assert opened - ready < FAST["backoff_max"] + MARGIN
    finally:
        await client.stop()


async def test_each_iteration_closes_the_previous_connection() -> None:
    async with serving() as server:
        seen: List[WebSocketClientProtocol] = []
        async for websocket in connect(uri_of(server), **FAST):
            if seen:
                # The previous connection was closed normally, and the new
                # one opened without waiting.
                assert seen[-1].close_code == 1000
            seen.append(websocket)
            await websocket.send("hello")
            assert await within(websocket.recv()) == "hello"
            if len(seen) == 3:
                break
        # Breaking out leaves the last connection open.
        assert websocket.open
        await websocket.close()


async def test_normal_closure_reconnects_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def close_at_once(ws: WebSocketServerProtocol) -> None:
        await ws.close(1001)

    count = 0
    with caplog.at_level(logging.INFO, logger="websockets.client"):
        async with serving(close_at_once) as server:
            async for websocket in connect(uri_of(server), **FAST):
                count += 1
                await within(websocket.wait_closed())
                if count == 3:
                    break
    assert caplog.records == []


async def test_abnormal_closure_waits(caplog: pytest.LogCaptureFixture) -> None:
    async def crash(ws: WebSocketServerProtocol) -> None:
        raise RuntimeError("crash")

    opened: List[float] = []
    loop = asyncio.get_running_loop()
    with caplog.at_level(logging.INFO, logger="websockets.client"):
        async with serving(crash) as server:
            async for websocket in connect(uri_of(server), **FAST):
                opened.append(loop.time())
                await within(websocket.wait_closed())
                assert websocket.close_code == 1011
                if len(opened) == 3:
                    break
    messages = [r.getMessage() for r in caplog.records if r.name == "websockets.client"]
    assert len(messages) == 2
    assert all(m.startswith("connection closed: code 1011;") for m in messages)
    # 0.05-0.1 s, then 0.1-0.2 s.
    assert opened[1] - opened[0] >= 0.05
    assert opened[2] - opened[1] >= 0.1


async def test_long_lived_connection_resets_backoff() -> None:
    async def crash_later(ws: WebSocketServerProtocol) -> None:
        await ws.recv()
        raise RuntimeError("crash")

    async with serving(crash_later) as server:
        iterator = connect(uri_of(server), backoff_initial=0.05, backoff_max=0.2)
        reconnecting = iterator.__aiter__()
        assert isinstance(reconnecting, Reconnecting)
        assert reconnecting.__aiter__() is reconnecting
        websocket = await within(reconnecting.__anext__())
        # A short-lived connection: the next wait grows.
        await websocket.send("crash")
        await within(websocket.wait_closed())
        websocket = await within(reconnecting.__anext__())
        assert reconnecting._delay == pytest.approx(0.1)
        # Open longer than backoff_max: the sequence starts over.
        await asyncio.sleep(0.25)
        await websocket.send("crash")
        await within(websocket.wait_closed())
        websocket = await within(reconnecting.__anext__())
        assert reconnecting._delay == pytest.approx(0.1)
        await websocket.close()


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_4xx_raises_at_once(status: int) -> None:
    attempts = []

    def process_request(path: str, headers: Headers) -> Any:
        attempts.append(path)
        return http.HTTPStatus(status), [], b"no\n"

    async with serving(process_request=process_request) as server:
        with pytest.raises(InvalidStatusCode) as exc_info:
            async for _ in connect(uri_of(server), **FAST):
                pytest.fail("no connection expected")  # pragma: no cover
    assert exc_info.value.status_code == status
    assert attempts == ["/"]


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_429_and_5xx_are_retried(
    status: int, caplog: pytest.LogCaptureFixture
) -> None:
    attempts = []

    def process_request(path: str, headers: Headers) -> Any:
        attempts.append(path)
        if len(attempts) < 3:
            return http.HTTPStatus(status), [], b"later\n"
        return None

    with caplog.at_level(logging.INFO, logger="websockets.client"):
        async with serving(process_request=process_request) as server:
            async for websocket in connect(uri_of(server), **FAST):
                await websocket.send("finally")
                assert await within(websocket.recv()) == "finally"
                await websocket.close()
                break
    assert len(attempts) == 3
    messages = [r.getMessage() for r in caplog.records if r.name == "websockets.client"]
    assert len(messages) == 2
    assert f"HTTP {status}" in messages[0]


async def test_invalid_uri_raises_at_once() -> None:
    with pytest.raises(InvalidURI):
        async for _ in connect("http://localhost/"):
            pass  # pragma: no cover


async def test_invalid_redirect_raises_at_once() -> None:
    def respond(path: str, headers: Headers) -> bytes:
        return b"HTTP/1.1 302 Found\r\nLocation: ftp://nowhere/\r\n\r\n"

    async with canned_server(respond) as (port, paths):
        with pytest.raises(InvalidURI):
            async for _ in connect(f"ws://127.0.0.1:{port}/", **FAST):
                pass  # pragma: no cover
    assert paths == ["/"]


async def test_redirect_is_not_remembered() -> None:
    # Each attempt starts from the URI given to connect().
    async with serving() as server:
        target = uri_of(server, "/target")

        def respond(path: str, headers: Headers) -> bytes:
            return f"HTTP/1.1 302 Found\r\nLocation: {target}\r\n\r\n".encode()

        async with canned_server(respond) as (port, paths):
            count = 0
            async for websocket in connect(f"ws://127.0.0.1:{port}/", **FAST):
                assert websocket.path == "/target"
                count += 1
                if count == 2:
                    await websocket.close()
                    break
        assert paths == ["/", "/"]


async def test_tls_certificate_error_raises_at_once(
    server_ssl_context: ssl.SSLContext,
) -> None:
    attempts = []

    def process_request(path: str, headers: Headers) -> None:
        attempts.append(path)  # pragma: no cover

    async with serving(ssl=server_ssl_context) as server:
        # The default context doesn't trust the self-signed certificate.
        start = time.monotonic()
        with pytest.raises(ssl.SSLCertVerificationError):
            async for _ in connect(f"wss://localhost:{port_of(server)}/", **FAST):
                pass  # pragma: no cover
        assert time.monotonic() - start < FAST["backoff_initial"] + 1
    assert attempts == []


async def test_await_and_async_with_are_unchanged() -> None:
    # Without async for, a failure raises as in 8.1: no retry.
    port = free_port()
    with pytest.raises(OSError):
        await connect(f"ws://127.0.0.1:{port}/", **FAST)
    with pytest.raises(OSError):
        async with connect(f"ws://127.0.0.1:{port}/", **FAST):
            pass  # pragma: no cover


def test_sock_cant_reconnect() -> None:
    with socket.socket() as sock, pytest.raises(ValueError, match="can't reconnect"):
        connect("ws://localhost/", sock=sock).__aiter__()


def test_backoff_defaults_and_validation() -> None:
    assert (BACKOFF_INITIAL, BACKOFF_FACTOR, BACKOFF_MAX) == (1.0, 2.0, 60.0)
    assert Backoff() == Backoff(1.0, 2.0, 60.0)
    for kwargs in [
        dict(initial=0),
        dict(initial=2, max=1),
        dict(factor=0.5),
    ]:
        with pytest.raises(ValueError):
            Backoff(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        connect("ws://localhost/", backoff_initial=-1)


def test_is_permanent() -> None:
    assert is_permanent(InvalidStatusCode(403))
    assert not is_permanent(InvalidStatusCode(429))
    assert not is_permanent(InvalidStatusCode(503))
    assert not is_permanent(InvalidStatusCode(302))
    assert is_permanent(InvalidURI("x"))
    assert is_permanent(SecurityError("redirect from WSS to WS"))
    assert is_permanent(ssl.SSLCertVerificationError())
    assert not is_permanent(ssl.SSLError())
    assert not is_permanent(ConnectionRefusedError())
    assert not is_permanent(asyncio.TimeoutError())
    assert not is_permanent(InvalidMessage("timed out"))
    assert not is_permanent(InvalidHandshake("maximum redirects exceeded"))
    assert is_permanent(TypeError())
    assert is_permanent(InvalidProxyStatus(407, Headers()))
    assert not is_permanent(InvalidProxyStatus(502, Headers()))


def status_error(status: int, *headers: Tuple[str, str]) -> InvalidStatusCode:
    return InvalidStatusCode(status, Headers(list(headers)))


class TestRetryAfter:
    NOW = 784_111_777.0  # Sun, 06 Nov 1994 08:49:37 GMT

    @pytest.mark.parametrize("status", [429, 503])
    @pytest.mark.parametrize(
        "value, expected",
        [
            ("5", 5.0),
            (" 120 ", 120.0),
            ("0", 0.0),
            # RFC 9110 10.2.3: an HTTP date, relative to now.
            ("Sun, 06 Nov 1994 08:49:47 GMT", 10.0),
            ("Sun, 06 Nov 1994 08:49:27 GMT", 0.0),
        ],
    )
    def test_valid(self, status: int, value: str, expected: float) -> None:
        exc = status_error(status, ("Retry-After", value))
        assert retry_after(exc, now=self.NOW) == expected

    @pytest.mark.parametrize(
        "value",
        ["soon", "-5", "1.5", "\uff15", "", "Sun, 06 Nov 1994 08:49:47"],
    )
    def test_invalid(self, value: str) -> None:
        exc = status_error(429, ("Retry-After", value))
        assert retry_after(exc, now=self.NOW) is None

    def test_not_applicable(self) -> None:
        assert retry_after(status_error(500, ("Retry-After", "5"))) is None
        assert retry_after(status_error(429)) is None
        assert retry_after(InvalidStatusCode(429)) is None
        assert retry_after(OSError("refused")) is None
        two = status_error(429, ("Retry-After", "5"), ("Retry-After", "6"))
        assert retry_after(two) is None

    def test_date_uses_the_clock(self) -> None:
        exc = status_error(429, ("Retry-After", "Sun, 06 Nov 2994 08:49:37 GMT"))
        delay = retry_after(exc)
        assert delay is not None and delay > 10**10

    async def test_reconnection_waits_as_asked(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        attempts: List[float] = []

        def process_request(path: str, headers: Headers) -> Any:
            attempts.append(time.monotonic())
            if len(attempts) == 1:
                return http.HTTPStatus.TOO_MANY_REQUESTS, [("Retry-After", "1")], b""
            return None

        with caplog.at_level(logging.INFO, logger="websockets.client"):
            async with serving(process_request=process_request) as server:
                fast = dict(backoff_initial=0.01, backoff_factor=2.0, backoff_max=5.0)
                async for websocket in connect(uri_of(server), **fast):
                    await websocket.close()
                    break
        assert len(attempts) == 2
        # uvloop's timers have a 1 ms resolution.
        assert attempts[1] - attempts[0] >= 1.0 - 0.002
        messages = [r.getMessage() for r in caplog.records]
        assert any("reconnecting in 1.0 seconds" in m for m in messages)

    async def test_retry_after_is_capped_by_backoff_max(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        attempts = 0

        def process_request(path: str, headers: Headers) -> Any:
            nonlocal attempts
            attempts += 1
            if attempts == 1:
                return (
                    http.HTTPStatus.SERVICE_UNAVAILABLE,
                    [("Retry-After", "3600")],
                    b"",
                )
            return None

        with caplog.at_level(logging.INFO, logger="websockets.client"):
            async with serving(process_request=process_request) as server:
                async for websocket in connect(uri_of(server), **FAST):
                    await websocket.close()
                    break
        messages = [r.getMessage() for r in caplog.records]
        assert any("reconnecting in 0.4 seconds" in m for m in messages)


def test_invalid_status_code_carries_headers() -> None:
    headers = Headers([("Retry-After", "5")])
    assert InvalidStatusCode(429, headers).headers is headers
    # As in websockets 8.1, the status code alone is enough.
    assert InvalidStatusCode(500).headers is None
