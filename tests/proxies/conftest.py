"""Fixtures for the tests against real proxy servers."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from ..conftest_server import *  # noqa: F403 - TLS fixtures
from .servers import LOUD_SKIPS, ProxyServer

StartProxy = Callable[[ProxyServer], ProxyServer]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for component, reason in LOUD_SKIPS.items():
        terminalreporter.write_sep(
            "!", f"proxy tests with {component} SKIPPED", red=True
        )
        terminalreporter.write_line(reason, red=True)


@pytest.fixture
def start_proxy() -> Iterator[StartProxy]:
    """Start proxy servers: ``start_proxy(tinyproxy(tmp_path))``.

    Every server started through the fixture is stopped at teardown; its
    output is shown if the test fails.
    """
    servers: list[ProxyServer] = []

    def start(server: ProxyServer) -> ProxyServer:
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return tmp_path_factory.mktemp("proxies")
