"""gql 3.0.0a5's WebsocketsTransport against a GraphQL-over-WebSocket server.

gql's transport uses websockets.connect(), recv()/send() and the
ConnectionClosed exceptions, and relies on when they're raised. It runs
unmodified, in its own venv (consumers/.venvs/gql, CPython 3.9), with this
library installed from the tree in place of PyPI's websockets. The server,
tests/consumers/apps/gql_server.py, is the test's own: written with this
library, it speaks the "graphql-ws" subprotocol and executes a real schema
with graphql-core, in another process of the same venv. The client,
tests/consumers/apps/gql_client.py, runs queries, an erroring query,
subscriptions (also concurrent ones), and the scenarios of gql's own test
suite where the server closes the connection: right after the handshake,
right after acknowledging, in the middle of a subscription (with 1000 and
4000), and while the client is idle; gql's expectations there are those of
its own tests (ConnectionClosed first, then TransportClosed).

Pinned dependencies (consumers/requirements/gql.txt), releases of early
2021: gql 3.0.0a5 requires graphql-core>=3.1,<3.2 (3.2 changed the APIs it
calls); yarl 1.6.3, multidict 5.1.0, idna 3.1.
"""

from __future__ import annotations

from typing import Any

import pytest

from .utils import ROOT, run_consumer

pytestmark = pytest.mark.timeout(120)

HELLO = {"hello": "hello world"}
TRANSPORT_CLOSED = {"type": "TransportClosed", "code": None}


async def test_gql() -> None:
    async with run_consumer("gql", "gql_server.py") as server:
        ready = await server.report()
        assert ready["event"] == "ready", ready
        assert ready["websockets"].startswith(str(ROOT / "src")), ready
        url = f"ws://127.0.0.1:{ready['port']}"
        async with run_consumer("gql", "gql_client.py", [url]) as client:
            ready = await client.report()
            assert ready["gql"] == "3.0.0a5"
            assert ready["websockets"].startswith(str(ROOT / "src")), ready
            try:
                reports = await client.reports_until("done")
            except AssertionError as exc:
                raise AssertionError(f"{exc}\nserver:\n{server.output()}") from None
            assert await client.wait() == 0, client.output()
        closed = [await server.report() for _ in range(6)]

    context = f"{reports}\nclient:\n{client.output()}\nserver:\n{server.output()}"
    expected: list[dict[str, Any]] = [
        {"event": "subprotocol", "subprotocol": "graphql-ws"},
        {"event": "hello", "result": HELLO},
        {"event": "hello-gql", "result": {"hello": "hello gql"}},
        {"event": "fail", "errors": ["this field always fails"]},
        {"event": "count", "results": [{"count": 1}, {"count": 2}, {"count": 3}]},
        {
            "event": "concurrent",
            "results": [[{"count": 1}, {"count": 2}, {"count": 3}], HELLO],
        },
        {"event": "client-closed", "websocket": True},
    ]
    for code, exception in [
        (1000, "ConnectionClosedOK"),
        (4000, "ConnectionClosedError"),
    ]:
        expected += [
            {
                "event": "server-closed",
                "results": [{"countThenClose": 1}, {"countThenClose": 2}],
                "exception": exception,
                "code": code,
                "reason": "subscription over",
            },
            {
                "event": "after-close",
                "scenario": f"server-closed-{code}",
                "exception": TRANSPORT_CLOSED,
            },
        ]
    expected += [
        {
            "event": "close-directly",
            "exception": {"type": "ConnectionClosedOK", "code": 1000},
        },
        {
            "event": "close-after-ack",
            "exception": {"type": "ConnectionClosedOK", "code": 1000},
        },
        {
            "event": "after-close",
            "scenario": "close-after-ack",
            "exception": TRANSPORT_CLOSED,
        },
        {"event": "first-query", "result": HELLO},
        {
            "event": "after-close",
            "scenario": "close-after-first-query",
            "exception": TRANSPORT_CLOSED,
        },
        {"event": "done"},
    ]
    assert len(reports) == len(expected), context
    for report, want in zip(reports, expected):
        assert report == want, context

    # What the server saw of each connection's closing handshake (in the
    # order the handlers finished: the client doesn't wait for them).
    assert sorted((c["event"], c["code"]) for c in closed) == [
        ("closed", 1000),
        ("closed", 1000),
        ("closed", 1000),
        ("closed", 1000),
        ("closed", 1000),
        ("closed", 4000),
    ], f"{closed}\n{context}"
