"""Fixtures for the interop tests: third-party peers in subprocesses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Any, Callable, NoReturn

import pytest

from .utils import NodePeer, node_unavailable

# Reasons why a whole peer was skipped, repeated at the end of the run so
# that a missing browser or Node package can't go unnoticed in `pytest -q`.
LOUD_SKIPS: dict[str, str] = {}


def skip_loudly(peer: str, reason: str) -> NoReturn:
    LOUD_SKIPS[peer] = reason
    pytest.skip(f"{peer} interop SKIPPED: {reason}")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for peer, reason in LOUD_SKIPS.items():
        terminalreporter.write_sep("!", f"{peer} interop tests SKIPPED", red=True)
        terminalreporter.write_line(reason, red=True)


NodeFactory = Callable[..., Awaitable[NodePeer]]


@pytest.fixture
async def node_peer() -> AsyncIterator[NodeFactory]:
    """Start Node.js ``ws`` peers: ``await node_peer("server", {...})``.

    Every peer started through the fixture is stopped at teardown.
    """
    reason = node_unavailable()
    if reason is not None:
        skip_loudly("Node.js ws", reason)
    peers: list[NodePeer] = []

    async def start(mode: str, options: dict[str, Any]) -> NodePeer:
        peer = await NodePeer.start(mode, options)
        peers.append(peer)
        return peer

    try:
        yield start
    finally:
        for peer in peers:
            await peer.stop()
