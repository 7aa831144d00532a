"""connect() through real SOCKS proxies: dante-server (SOCKS4 and SOCKS5)
and pproxy (SOCKS5 with username and password), with python-socks."""

from __future__ import annotations

import pathlib
import socket
import ssl
from collections.abc import Iterator
from typing import Tuple

import pytest

from websockets import connect
from websockets.exceptions import ProxyError

from .servers import ProxyServer, dante, pproxy
from .utils import echo_once, recording_server

TLSFiles = Tuple[pathlib.Path, pathlib.Path]

# A name that no resolver knows (RFC 6761): only an error tells who tried.
UNKNOWN_NAME = "websockets-proxy-test.invalid"


@pytest.fixture(scope="module")
def danted(module_dir: pathlib.Path) -> Iterator[ProxyServer]:
    server = dante(module_dir, blocked=["127.0.0.2/32"]).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pproxy_socks5(module_dir: pathlib.Path) -> Iterator[ProxyServer]:
    server = pproxy(module_dir, scheme="socks5", user_info="alice:s3cret").start()
    yield server
    server.stop()


@pytest.mark.parametrize("scheme", ["socks5", "socks5h"])
async def test_ws_through_socks5(danted: ProxyServer, scheme: str) -> None:
    async with (
        recording_server() as (_, port, recorded),
        connect(f"ws://localhost:{port}/", proxy=danted.url(scheme)) as ws,
    ):
        await echo_once(ws)
    assert recorded.hosts == [f"localhost:{port}"]
    assert "tcp/connect [: 127.0.0.1" in danted.output()


async def test_wss_through_socks5(
    danted: ProxyServer, tls_files: TLSFiles, client_ssl_context: ssl.SSLContext
) -> None:
    async with (
        recording_server(tls_files) as (_, port, recorded),
        connect(
            f"wss://localhost:{port}/",
            proxy=danted.url("socks5h"),
            ssl=client_ssl_context,
        ) as ws,
    ):
        await echo_once(ws)
    # TLS and the Host header are the WebSocket server's.
    assert recorded.server_names == ["localhost"]
    assert recorded.hosts == [f"localhost:{port}"]


async def test_wss_through_socks5_verifies_the_server(
    danted: ProxyServer, tls_files: TLSFiles
) -> None:
    # Without ssl=, Python's default context doesn't trust the test
    # certificate; the socket from python-socks is closed.
    async with recording_server(tls_files) as (_, port, recorded):
        with pytest.raises(ssl.SSLCertVerificationError):
            await connect(f"wss://localhost:{port}/", proxy=danted.url("socks5"))
    assert recorded.server_names == ["localhost"]
    assert recorded.hosts == []


async def test_ws_through_socks4(danted: ProxyServer) -> None:
    # SOCKS4 carries an IPv4 address: the client resolves localhost.
    async with (
        recording_server() as (_, port, recorded),
        connect(f"ws://localhost:{port}/", proxy=danted.url("socks4")) as ws,
    ):
        await echo_once(ws)
    assert recorded.hosts == [f"localhost:{port}"]


async def test_socks5h_proxy_resolves_the_name(danted: ProxyServer) -> None:
    # socks5h sends the name: the proxy fails to resolve it and says so.
    with pytest.raises(ProxyError, match="Host unreachable"):
        await connect(f"ws://{UNKNOWN_NAME}:8080/", proxy=danted.url("socks5h"))
    assert f'could not resolve hostname "{UNKNOWN_NAME}"' in danted.output()


async def test_socks5_client_resolves_the_name(danted: ProxyServer) -> None:
    # socks5 sends an address: the client fails to resolve the name.
    name = "other-" + UNKNOWN_NAME
    with pytest.raises(socket.gaierror):
        await connect(f"ws://{name}:8080/", proxy=danted.url("socks5"))
    assert name not in danted.output()


async def test_socks_proxy_refuses_target(danted: ProxyServer) -> None:
    async with recording_server() as (_, port, recorded):
        with pytest.raises(ProxyError, match="not allowed by ruleset") as raised:
            await connect(f"ws://127.0.0.2:{port}/", proxy=danted.url("socks5"))
    assert recorded.hosts == []
    assert str(raised.value).startswith("SOCKS proxy failed to connect")


async def test_socks_proxy_not_running() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        # Nothing listens: reaching the proxy fails like reaching a server.
        with pytest.raises(OSError):
            await connect("ws://localhost:1/", proxy=f"socks5://127.0.0.1:{port}")


async def test_socks5_environment(
    danted: ProxyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", danted.url("socks5h"))
    async with (
        recording_server() as (_, port, recorded),
        connect(f"ws://localhost:{port}/", proxy=True) as ws,
    ):
        await echo_once(ws)
    assert recorded.hosts == [f"localhost:{port}"]


async def test_socks5_with_password(pproxy_socks5: ProxyServer) -> None:
    async with recording_server() as (_, port, recorded):
        url = pproxy_socks5.url("socks5h", "alice:s3cret@")
        async with connect(f"ws://localhost:{port}/", proxy=url) as ws:
            await echo_once(ws)
    assert recorded.hosts == [f"localhost:{port}"]
    assert "socks5 127.0.0.1:" in pproxy_socks5.output()


@pytest.mark.parametrize("user_info", ["", "alice:wrong@", "bob:s3cret@"])
async def test_socks5_authentication_fails(
    pproxy_socks5: ProxyServer, user_info: str
) -> None:
    async with recording_server() as (_, port, recorded):
        url = pproxy_socks5.url("socks5h", user_info)
        with pytest.raises(ProxyError, match="SOCKS proxy failed to connect"):
            await connect(f"ws://localhost:{port}/", proxy=url)
    assert recorded.hosts == []
    assert "Unauthorized SOCKS" in pproxy_socks5.output()


async def test_socket_arguments_with_socks(danted: ProxyServer) -> None:
    with pytest.raises(ValueError, match="local_addr can't be used with a SOCKS"):
        await connect(
            "ws://localhost:1/",
            proxy=danted.url("socks5"),
            local_addr=("127.0.0.1", 0),
        )
