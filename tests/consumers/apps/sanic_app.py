"""A Sanic 20.12.7 application with websocket routes.

Sanic builds this library's WebSocketCommonProtocol itself, sets is_client,
side and subprotocol on it, and drives connection_made()/connection_open()
and the data it receives. Runs in the sanic venv (on uvloop, as Sanic does
when it's installed, which it is on Linux).

    python sanic_app.py serve     serve on 127.0.0.1; report "ready" and port
    python sanic_app.py selftest  Sanic's own test client on each route

Routes:
- /echo (subprotocols chat.v2): reports "connected", echoes text and bytes;
  when the connection closes, reports "handler-closed" with the code and
  reason of the ConnectionClosed that the handler's recv() raised.
- /hello-and-close: sends "hello" and returns: Sanic closes with 1000.
- /close-4000: closes with 4000 "bye from sanic".
"""

import asyncio
import sys

import sanic
from report import bound_socket, report, websockets_origin
from sanic import Sanic
from sanic.response import text
from sanic.websocket import ConnectionClosed

app = Sanic("consumer", configure_logging=False)


@app.route("/")
async def index(request):
    return text("sanic")


@app.websocket("/echo", subprotocols=["chat.v2"])
async def echo(request, ws):
    report(
        "connected",
        subprotocol=ws.subprotocol,
        open=ws.open,
        side=ws.side,
        is_client=ws.is_client,
        loop=type(asyncio.get_event_loop()).__module__,
    )
    ending = "returned"
    try:
        while True:
            message = await ws.recv()
            await ws.send(message)
    except ConnectionClosed as exc:
        ending = f"ConnectionClosed {exc.code} {exc.reason}"
        raise
    except asyncio.CancelledError:
        # Sanic cancels the handler when the TCP connection is lost.
        ending = "CancelledError"
        raise
    finally:
        # Whatever ended the handler, the connection's close code and reason
        # are known there.
        report(
            "handler-closed",
            ending=ending,
            code=ws.close_code,
            reason=ws.close_reason,
        )


@app.websocket("/hello-and-close")
async def hello_and_close(request, ws):
    await ws.send("hello")


@app.websocket("/close-4000")
async def close_4000(request, ws):
    await ws.close(4000, "bye from sanic")


def selftest():
    # Sanic's test client runs the server, connects with websockets.connect()
    # and records `ws.open` right after connect() returned, as `opened`.
    for route in ["/hello-and-close", "/close-4000", "/echo"]:
        _, response = app.test_client.websocket(route)
        report("test-client", route=route, opened=response.opened)


def main():
    if sys.argv[1:] == ["selftest"]:
        report("ready", websockets=websockets_origin(), sanic=sanic.__version__)
        selftest()
        report("done")
        return
    sock = bound_socket()
    report(
        "ready",
        port=sock.getsockname()[1],
        websockets=websockets_origin(),
        sanic=sanic.__version__,
    )
    app.run(sock=sock, access_log=False)


if __name__ == "__main__":
    main()
