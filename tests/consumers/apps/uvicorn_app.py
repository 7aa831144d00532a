"""An ASGI application served by uvicorn 0.13.4 with ws="websockets".

uvicorn's WebSocket implementation subclasses this library's
WebSocketServerProtocol. Runs in the uvicorn venv; reports to the test:
"ready" with the port, then "disconnect" with the code each time the
application receives websocket.disconnect.

Routes:
- /echo: accepts with the subprotocol "chat.v2" if offered, echoes text and
  bytes; on the text "close CODE", sends websocket.close with CODE.
- /reject: websocket.close before websocket.accept: uvicorn answers 403.
- /crash, /crash-after-send, /crash-after-receive: accepts, then (sends
  "crashing" or receives a message, and) raises: uvicorn closes the
  transport, the client must see 1006.
"""

import uvicorn
from report import bound_socket, report, websockets_origin


async def app(scope, receive, send):
    assert scope["type"] == "websocket", scope["type"]
    path = scope["path"]
    message = await receive()
    assert message["type"] == "websocket.connect", message

    if path == "/reject":
        await send({"type": "websocket.close"})
        return

    if path.startswith("/crash"):
        await send({"type": "websocket.accept"})
        if path == "/crash-after-send":
            await send({"type": "websocket.send", "text": "crashing"})
        elif path == "/crash-after-receive":
            await receive()
        raise RuntimeError("the application crashed after accepting")

    assert path == "/echo", path
    subprotocol = "chat.v2" if "chat.v2" in scope["subprotocols"] else None
    await send({"type": "websocket.accept", "subprotocol": subprotocol})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            report("disconnect", path=path, code=message["code"])
            return
        text = message.get("text")
        if text is not None and text.startswith("close "):
            await send({"type": "websocket.close", "code": int(text.split()[1])})
            report("closed", path=path, code=int(text.split()[1]))
            return
        if text is not None:
            await send({"type": "websocket.send", "text": text})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"]})


def main():
    sock = bound_socket()
    config = uvicorn.Config(
        app,
        ws="websockets",
        http="h11",
        loop="asyncio",
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    report(
        "ready",
        port=sock.getsockname()[1],
        websockets=websockets_origin(),
        uvicorn=uvicorn.__version__,
    )
    # What `uvicorn.run()` does, with a socket bound beforehand.
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
