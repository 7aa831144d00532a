"""A small GraphQL-over-WebSocket server written with this library.

The "graphql-ws" subprotocol (Apollo's subscriptions-transport-ws, what gql
3.0's WebsocketsTransport speaks), executing a real schema with graphql-core.
Runs in the gql venv (which has graphql-core); reports "ready" and the port,
then "closed" with the code and reason for each connection.

Paths: /close-directly closes right after the opening handshake;
/close-after-ack closes right after acknowledging the connection;
/close-after-first-query closes after the first operation.
Operations: query { hello(name) }, query { fail } (a resolver error),
subscription { count(to) }, subscription { countThenClose(to, code) }: the
server closes the connection with that code after the last value.
"""

import asyncio
import json
import sys

import graphql
from graphql.execution.values import get_argument_values
from report import report, websockets_origin

import websockets

SCHEMA = graphql.build_schema(
    """
    type Query {
        hello(name: String = "world"): String!
        fail: String
    }
    type Subscription {
        count(to: Int!): Int!
        countThenClose(to: Int!, code: Int!): Int!
    }
    """
)


class Root:
    @staticmethod
    def hello(info, name):
        return f"hello {name}"

    @staticmethod
    def fail(info):
        raise ValueError("this field always fails")


async def count(root, info, to, code=None):
    for i in range(1, to + 1):
        yield i
        await asyncio.sleep(0)


def set_subscription(field, subscribe):
    field = SCHEMA.subscription_type.fields[field]
    field.subscribe = subscribe
    field.resolve = lambda value, info, **args: value


set_subscription("count", count)
set_subscription("countThenClose", count)


def result_payload(result):
    payload = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    return payload


def data_message(op_id, result):
    return json.dumps({"type": "data", "id": op_id, "payload": result_payload(result)})


def log_failure(task):
    if not task.cancelled() and task.exception() is not None:
        task.print_stack(file=sys.stderr)
        report("operation-failed", error=repr(task.exception()))


async def run_operation(ws, op_id, payload):
    document = graphql.parse(payload["query"])
    variables = payload.get("variables")
    operation = graphql.get_operation_ast(document, payload.get("operationName"))
    send = ws.send
    if operation.operation == graphql.OperationType.SUBSCRIPTION:
        results = await graphql.subscribe(
            SCHEMA, document, Root, variable_values=variables
        )
        if isinstance(results, graphql.ExecutionResult):
            await send(json.dumps({"type": "error", "id": op_id, "payload": {}}))
            return
        async for result in results:
            await send(
                json.dumps(
                    {"type": "data", "id": op_id, "payload": result_payload(result)}
                )
            )
        field = operation.selection_set.selections[0]
        if field.name.value == "countThenClose":
            args = get_argument_values(
                SCHEMA.subscription_type.fields["countThenClose"], field, variables
            )
            await ws.close(args["code"], "subscription over")
            return
    else:
        result = await graphql.graphql(
            SCHEMA, payload["query"], Root, variable_values=variables
        )
        await send(data_message(op_id, result))
    await send(json.dumps({"type": "complete", "id": op_id}))


async def handler(ws, path):
    operations = {}
    try:
        if path == "/close-directly":
            await ws.close()
            return
        async for message in ws:
            message = json.loads(message)
            kind = message["type"]
            if kind == "connection_init":
                await ws.send(json.dumps({"type": "connection_ack"}))
                if path == "/close-after-ack":
                    await ws.close()
                    return
                await ws.send(json.dumps({"type": "ka"}))
            elif kind == "start":
                task = asyncio.ensure_future(
                    run_operation(ws, message["id"], message["payload"])
                )
                task.add_done_callback(log_failure)
                operations[message["id"]] = task
                if path == "/close-after-first-query":
                    await task
                    await ws.close()
                    return
            elif kind == "stop":
                task = operations.pop(message["id"], None)
                if task is not None:
                    task.cancel()
                await ws.send(json.dumps({"type": "complete", "id": message["id"]}))
            elif kind == "connection_terminate":
                await ws.close()
    except websockets.ConnectionClosed:
        pass
    finally:
        for task in operations.values():
            task.cancel()
        await ws.wait_closed()
        report("closed", code=ws.close_code, reason=ws.close_reason)


def main():
    loop = asyncio.get_event_loop()
    server = loop.run_until_complete(
        websockets.serve(handler, "127.0.0.1", 0, subprotocols=["graphql-ws"])
    )
    report(
        "ready", port=server.sockets[0].getsockname()[1], websockets=websockets_origin()
    )
    loop.run_forever()


if __name__ == "__main__":
    main()
