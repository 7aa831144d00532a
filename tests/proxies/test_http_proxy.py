"""connect() through real HTTP proxies: tinyproxy, and tinyproxy behind
stunnel for an https:// proxy."""

from __future__ import annotations

import asyncio
import pathlib
import ssl
import sys
from typing import Tuple

import pytest

from websockets import connect
from websockets.exceptions import (
    InvalidMessage,
    InvalidProxyStatus,
    ProxyError,
)

from .conftest import StartProxy
from .servers import stunnel, tinyproxy
from .utils import echo_once, recording_server

TLSFiles = Tuple[pathlib.Path, pathlib.Path]


async def test_ws_through_http_proxy(
    tmp_path: pathlib.Path, start_proxy: StartProxy
) -> None:
    proxy = start_proxy(tinyproxy(tmp_path))
    async with recording_server() as (_, port, recorded):
        uri = f"ws://localhost:{port}/"
        async with connect(uri, proxy=proxy.url("http")) as ws:
            await echo_once(ws)
    # The Host header is the WebSocket server's, never the proxy's.
    assert recorded.hosts == [f"localhost:{port}"]
    assert f"CONNECT localhost:{port} HTTP/1.1" in proxy.output()


async def test_wss_through_http_proxy(
    tmp_path: pathlib.Path,
    start_proxy: StartProxy,
    tls_files: TLSFiles,
    client_ssl_context: ssl.SSLContext,
) -> None:
    proxy = start_proxy(tinyproxy(tmp_path))
    async with recording_server(tls_files) as (_, port, recorded):
        uri = f"wss://localhost:{port}/"
        async with connect(uri, proxy=proxy.url("http"), ssl=client_ssl_context) as ws:
            await echo_once(ws)
    # TLS and the Host header are the WebSocket server's: the proxy is
    # 127.0.0.1, the server localhost.
    assert recorded.server_names == ["localhost"]
    assert recorded.hosts == [f"localhost:{port}"]
    assert f"CONNECT localhost:{port} HTTP/1.1" in proxy.output()


async def test_wss_through_http_proxy_verifies_the_server(
    tmp_path: pathlib.Path, start_proxy: StartProxy, tls_files: TLSFiles
) -> None:
    # Without ssl=, Python's default context doesn't trust the test
    # certificate: the server's certificate is checked inside the tunnel.
    proxy = start_proxy(tinyproxy(tmp_path))
    async with recording_server(tls_files) as (_, port, recorded):
        with pytest.raises(ssl.SSLCertVerificationError):
            await connect(f"wss://localhost:{port}/", proxy=proxy.url("http"))
    assert recorded.server_names == ["localhost"]
    assert recorded.hosts == []


async def test_proxy_authentication(
    tmp_path: pathlib.Path, start_proxy: StartProxy
) -> None:
    proxy = start_proxy(tinyproxy(tmp_path, basic_auth=("alice", "s3cret")))
    async with recording_server() as (_, port, recorded):
        uri = f"ws://localhost:{port}/"
        async with connect(uri, proxy=proxy.url("http", "alice:s3cret@")) as ws:
            await echo_once(ws)
    assert recorded.hosts == [f"localhost:{port}"]


async def test_proxy_authentication_required(
    tmp_path: pathlib.Path, start_proxy: StartProxy
) -> None:
    proxy = start_proxy(tinyproxy(tmp_path, basic_auth=("alice", "s3cret")))
    async with recording_server() as (_, port, recorded):
        uri = f"ws://localhost:{port}/"
        with pytest.raises(InvalidProxyStatus) as raised:
            await connect(uri, proxy=proxy.url("http"))
    exc = raised.value
    assert exc.status_code == 407
    assert str(exc) == "proxy authentication failed: HTTP 407"
    assert exc.headers["Proxy-Authenticate"] == 'Basic realm="Tinyproxy"'
    assert isinstance(exc, ProxyError)
    assert recorded.hosts == []


@pytest.mark.parametrize("user_info", ["alice:wrong@", "bob:s3cret@"])
async def test_proxy_authentication_fails(
    tmp_path: pathlib.Path, start_proxy: StartProxy, user_info: str
) -> None:
    proxy = start_proxy(tinyproxy(tmp_path, basic_auth=("alice", "s3cret")))
    async with recording_server() as (_, port, recorded):
        uri = f"ws://localhost:{port}/"
        with pytest.raises(InvalidProxyStatus) as raised:
            await connect(uri, proxy=proxy.url("http", user_info))
    exc = raised.value
    # tinyproxy answers wrong credentials with 401 rather than 407.
    assert exc.status_code == 401
    assert str(exc) == "proxy authentication failed: HTTP 401"
    assert recorded.hosts == []


async def test_proxy_refuses_target(
    tmp_path: pathlib.Path, start_proxy: StartProxy
) -> None:
    async with (
        recording_server() as (_, allowed, _),
        recording_server() as (
            _,
            refused,
            recorded,
        ),
    ):
        proxy = start_proxy(tinyproxy(tmp_path, connect_ports=[allowed]))
        async with connect(f"ws://localhost:{allowed}/", proxy=proxy.url("http")):
            pass
        with pytest.raises(InvalidProxyStatus) as raised:
            await connect(f"ws://localhost:{refused}/", proxy=proxy.url("http"))
    assert raised.value.status_code == 403
    assert str(raised.value) == "proxy rejected connection: HTTP 403"
    assert recorded.hosts == []


async def test_proxy_closes_mid_handshake(
    tmp_path: pathlib.Path, start_proxy: StartProxy
) -> None:
    # The server accepts the TCP connection and never answers the opening
    # handshake: tinyproxy closes the idle tunnel after one second.
    async def silent(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        proxy = start_proxy(tinyproxy(tmp_path, timeout=1))
        with pytest.raises(InvalidMessage) as raised:
            await connect(f"ws://127.0.0.1:{port}/", proxy=proxy.url("http"))
        assert isinstance(raised.value.__cause__, EOFError)
    finally:
        server.close()
        await server.wait_closed()


async def test_proxy_cannot_reach_target(
    tmp_path: pathlib.Path, start_proxy: StartProxy
) -> None:
    async with recording_server() as (_server, port, _):
        pass  # now nothing listens on port
    proxy = start_proxy(tinyproxy(tmp_path))
    with pytest.raises(InvalidProxyStatus) as raised:
        await connect(f"ws://127.0.0.1:{port}/", proxy=proxy.url("http"))
    assert raised.value.status_code >= 500


async def test_open_timeout_covers_proxy(
    tmp_path: pathlib.Path, start_proxy: StartProxy
) -> None:
    # The proxy answers CONNECT, the server never answers the handshake.
    async def silent(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        proxy = start_proxy(tinyproxy(tmp_path))
        with pytest.raises(InvalidMessage, match="timed out"):
            await connect(
                f"ws://127.0.0.1:{port}/", proxy=proxy.url("http"), open_timeout=0.5
            )
    finally:
        server.close()
        await server.wait_closed()


# Environment variables: proxy=True


async def test_environment_http_proxy(
    tmp_path: pathlib.Path, start_proxy: StartProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = start_proxy(tinyproxy(tmp_path))
    for name in ("https_proxy", "all_proxy", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", proxy.url("http"))
    async with recording_server() as (_, port, _):
        async with connect(f"ws://localhost:{port}/", proxy=True) as ws:
            await echo_once(ws)
        # The default is proxy=None: the environment is ignored, as in 8.1.
        async with connect(f"ws://localhost:{port}/x") as ws:
            await echo_once(ws)
    output = proxy.output()
    assert output.count(f"CONNECT localhost:{port} HTTP/1.1") == 1


async def test_environment_https_proxy(
    tmp_path: pathlib.Path,
    start_proxy: StartProxy,
    tls_files: TLSFiles,
    client_ssl_context: ssl.SSLContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy = start_proxy(tinyproxy(tmp_path))
    for name in ("http_proxy", "all_proxy", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    # Without a scheme, the value is an HTTP proxy.
    monkeypatch.setenv("HTTPS_PROXY", f"127.0.0.1:{proxy.port}")
    async with recording_server(tls_files) as (_, port, recorded):
        uri = f"wss://localhost:{port}/"
        async with connect(uri, proxy=True, ssl=client_ssl_context) as ws:
            await echo_once(ws)
    assert recorded.server_names == ["localhost"]
    assert f"CONNECT localhost:{port} HTTP/1.1" in proxy.output()


@pytest.mark.parametrize(
    "no_proxy", ["localhost", ".localhost", "LOCALHOST.", "localhost:{port}"]
)
async def test_no_proxy_bypass(
    tmp_path: pathlib.Path,
    start_proxy: StartProxy,
    monkeypatch: pytest.MonkeyPatch,
    no_proxy: str,
) -> None:
    proxy = start_proxy(tinyproxy(tmp_path))
    for name in ("https_proxy", "all_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", proxy.url("http"))
    async with recording_server() as (_, port, recorded):
        monkeypatch.setenv("no_proxy", f"example.com,{no_proxy.format(port=port)}")
        async with connect(f"ws://localhost:{port}/", proxy=True) as ws:
            await echo_once(ws)
        # 127.0.0.1 isn't in no_proxy: that connection goes through the proxy.
        async with connect(f"ws://127.0.0.1:{port}/", proxy=True) as ws:
            await echo_once(ws)
    assert recorded.hosts == [f"localhost:{port}", f"127.0.0.1:{port}"]
    output = proxy.output()
    assert f"CONNECT localhost:{port}" not in output
    assert f"CONNECT 127.0.0.1:{port} HTTP/1.1" in output


# https:// proxy: tinyproxy behind stunnel


async def test_ws_through_https_proxy(
    tmp_path: pathlib.Path,
    start_proxy: StartProxy,
    tls_files: TLSFiles,
    client_ssl_context: ssl.SSLContext,
) -> None:
    backend = start_proxy(tinyproxy(tmp_path))
    cert, key = tls_files
    proxy = start_proxy(
        stunnel(tmp_path, backend_port=backend.port, cert=cert, key=key)
    )
    async with recording_server() as (_, port, recorded):
        url = f"https://localhost:{proxy.port}"
        async with connect(
            f"ws://127.0.0.1:{port}/", proxy=url, proxy_ssl=client_ssl_context
        ) as ws:
            await echo_once(ws)
    assert recorded.hosts == [f"127.0.0.1:{port}"]
    assert f"CONNECT 127.0.0.1:{port} HTTP/1.1" in backend.output()


async def test_https_proxy_is_verified(
    tmp_path: pathlib.Path, start_proxy: StartProxy, tls_files: TLSFiles
) -> None:
    # Without proxy_ssl, Python's default context doesn't trust the proxy.
    backend = start_proxy(tinyproxy(tmp_path))
    cert, key = tls_files
    proxy = start_proxy(
        stunnel(tmp_path, backend_port=backend.port, cert=cert, key=key)
    )
    async with recording_server() as (_, port, recorded):
        with pytest.raises(ssl.SSLCertVerificationError):
            await connect(
                f"ws://127.0.0.1:{port}/", proxy=f"https://localhost:{proxy.port}"
            )
    assert recorded.hosts == []


@pytest.mark.skipif(
    sys.version_info < (3, 11), reason="TLS in TLS needs Python 3.11 (see below)"
)
async def test_wss_through_https_proxy(
    tmp_path: pathlib.Path,
    start_proxy: StartProxy,
    tls_files: TLSFiles,
    client_ssl_context: ssl.SSLContext,
) -> None:
    backend = start_proxy(tinyproxy(tmp_path))
    cert, key = tls_files
    proxy = start_proxy(
        stunnel(tmp_path, backend_port=backend.port, cert=cert, key=key)
    )
    async with (
        recording_server(tls_files) as (_, port, recorded),
        connect(
            f"wss://localhost:{port}/",
            proxy=f"https://127.0.0.1:{proxy.port}",
            ssl=client_ssl_context,
            proxy_ssl=client_ssl_context,
        ) as ws,
    ):
        await echo_once(ws)
    # The server name inside the tunnel is the WebSocket server's.
    assert recorded.server_names == ["localhost"]
    assert recorded.hosts == [f"localhost:{port}"]
    assert f"CONNECT localhost:{port} HTTP/1.1" in backend.output()


@pytest.mark.skipif(sys.version_info >= (3, 11), reason="Python 3.11 does TLS in TLS")
async def test_wss_through_https_proxy_before_python_3_11(
    tmp_path: pathlib.Path, client_ssl_context: ssl.SSLContext
) -> None:
    with pytest.raises(ProxyError, match="TLS in TLS"):
        await connect(
            "wss://localhost:1/",
            proxy="https://127.0.0.1:1",
            ssl=client_ssl_context,
            proxy_ssl=client_ssl_context,
        )


async def test_no_proxy_star(
    tmp_path: pathlib.Path, start_proxy: StartProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = start_proxy(tinyproxy(tmp_path))
    monkeypatch.setenv("http_proxy", proxy.url("http"))
    monkeypatch.setenv("no_proxy", "*")
    async with (
        recording_server() as (_, port, recorded),
        connect(f"ws://127.0.0.1:{port}/", proxy=True) as ws,
    ):
        await echo_once(ws)
    assert recorded.hosts == [f"127.0.0.1:{port}"]
    # (tinyproxy logs connections at a level named CONNECT, too.)
    assert f"CONNECT 127.0.0.1:{port}" not in proxy.output()
