"""gql 3.0.0a5's WebsocketsTransport, against gql_server.py.

Runs in the gql venv:  python gql_client.py URL
Reports, for each scenario, what gql returned or raised, then "done".
"""

import asyncio
import sys

import gql
from gql import Client
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from report import report, websockets_origin

import websockets

HELLO = gql.gql("query Hello($name: String) { hello(name: $name) }")
FAIL = gql.gql("query { fail }")
COUNT = gql.gql("subscription { count(to: 3) }")
COUNT_THEN_CLOSE = gql.gql(
    "subscription Close($code: Int!) { countThenClose(to: 2, code: $code) }"
)


async def queries(url):
    transport = WebsocketsTransport(url=url)
    async with Client(transport=transport, fetch_schema_from_transport=True) as session:
        report("subprotocol", subprotocol=transport.websocket.subprotocol)
        report("hello", result=await session.execute(HELLO))
        result = await session.execute(HELLO, variable_values={"name": "gql"})
        report("hello-gql", result=result)
        try:
            await session.execute(FAIL)
        except TransportQueryError as exc:
            report("fail", errors=[error["message"] for error in exc.errors])
        counted = [result async for result in session.subscribe(COUNT)]
        report("count", results=counted)
        # Two subscriptions at once on the same connection.
        both = await asyncio.gather(
            collect(session.subscribe(COUNT)), session.execute(HELLO)
        )
        report("concurrent", results=both)
    # Leaving the session closed the transport cleanly.
    report("client-closed", websocket=transport.websocket is None)


async def collect(results):
    return [result async for result in results]


async def server_closes(url, code):
    transport = WebsocketsTransport(url=url)
    async with Client(transport=transport) as session:
        received = []
        try:
            async for result in session.subscribe(
                COUNT_THEN_CLOSE, variable_values={"code": code}
            ):
                received.append(result)
        except websockets.ConnectionClosed as exc:
            report(
                "server-closed",
                results=received,
                exception=type(exc).__name__,
                code=exc.code,
                reason=exc.reason,
            )
        else:
            report("server-closed", results=received, exception=None)
        await asyncio.wait_for(session.transport.wait_closed(), 10)
        await after_close(session, f"server-closed-{code}")


async def close_directly(url):
    # gql's own test_websocket_server_closing_directly.
    try:
        async with Client(transport=WebsocketsTransport(url=url)):
            pass
    except Exception as exc:
        report("close-directly", exception=describe(exc))
    else:
        report("close-directly", exception=None)


async def close_after_ack(url):
    # gql's own test_websocket_server_closing_after_ack.
    async with Client(transport=WebsocketsTransport(url=url)) as session:
        try:
            await session.execute(HELLO)
        except Exception as exc:
            report("close-after-ack", exception=describe(exc))
        else:
            report("close-after-ack", exception=None)
        await asyncio.wait_for(session.transport.wait_closed(), 10)
        await after_close(session, "close-after-ack")


async def close_after_first_query(url):
    # gql's own test_websocket_server_closing_after_first_query.
    async with Client(transport=WebsocketsTransport(url=url)) as session:
        report("first-query", result=await session.execute(HELLO))
        # Meanwhile, the server closes the connection.
        await asyncio.sleep(0.1)
        await after_close(session, "close-after-first-query")


async def after_close(session, scenario):
    try:
        await asyncio.wait_for(session.execute(HELLO), 10)
    except Exception as exc:
        report("after-close", scenario=scenario, exception=describe(exc))
    else:
        report("after-close", scenario=scenario, exception=None)


def describe(exc):
    code = getattr(exc, "code", None)
    return {"type": type(exc).__name__, "code": code}


def main():
    url = sys.argv[1]
    report("ready", websockets=websockets_origin(), gql=gql.__version__)
    loop = asyncio.get_event_loop()
    loop.run_until_complete(queries(url))
    loop.run_until_complete(server_closes(url, 1000))
    loop.run_until_complete(server_closes(url, 4000))
    loop.run_until_complete(close_directly(url + "/close-directly"))
    loop.run_until_complete(close_after_ack(url + "/close-after-ack"))
    loop.run_until_complete(close_after_first_query(url + "/close-after-first-query"))
    report("done")


if __name__ == "__main__":
    main()
