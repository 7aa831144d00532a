"""A peer written with the genuine websockets 8.1, its public API only.

Runs in the websockets81 venv (CPython 3.9), a black box on the other end of
a socket: nothing of websockets 8.1 is imported into the tests' process.
Compression is 8.1's default: permessage-deflate.

    python ws81_peer.py server       serve on 127.0.0.1; report "ready", port
    python ws81_peer.py client URL   connect to URL
    python ws81_peer.py client URL no-client-max-window-bits
        the same, offering permessage-deflate without client_max_window_bits

Either way, the peer echoes each message it receives, whole, in one frame,
except commands: text messages that start with "!" followed by JSON:
- {"send": [chunk, ...], "binary": bool}: send one message fragmented into
  these chunks (hexadecimal strings when binary), with send(iterable);
- {"close": code, "reason": reason}: close the connection with them;
- {"ping": data}: ping, wait for the pong, send "pong received".
It reports "connected" (with the extensions negotiated and the path), and
"closed" with the code and reason of the ConnectionClosed it saw.
"""

import asyncio
import json
import sys

from report import report

import websockets
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory


async def converse(ws, path):
    report(
        "connected",
        path=path,
        extensions=[extension.name for extension in ws.extensions],
        version=websockets.__version__,
    )
    try:
        while True:
            message = await ws.recv()
            if isinstance(message, str) and message.startswith("!"):
                command = json.loads(message[1:])
                if "send" in command:
                    chunks = command["send"]
                    if command["binary"]:
                        chunks = [bytes.fromhex(chunk) for chunk in chunks]
                    await ws.send(chunks)
                elif "close" in command:
                    await ws.close(command["close"], command["reason"])
                    await ws.wait_closed()
                    report("closed", code=ws.close_code, reason=ws.close_reason)
                    return
                elif "ping" in command:
                    await asyncio.wait_for(await ws.ping(command["ping"]), 10)
                    await ws.send("pong received")
            else:
                await ws.send(message)
    except websockets.ConnectionClosed as exc:
        report("closed", code=exc.code, reason=exc.reason)


async def client(url, offer):
    if offer == "default":
        # connect()'s default: compression="deflate".
        options = {}
    else:
        # An offer without client_max_window_bits.
        factory = ClientPerMessageDeflateFactory()
        options = {"extensions": [factory]}
    async with websockets.connect(url, **options) as ws:
        await converse(ws, None)


def main():
    loop = asyncio.get_event_loop()
    if sys.argv[1] == "client":
        offer = sys.argv[3] if len(sys.argv) > 3 else "default"
        loop.run_until_complete(client(sys.argv[2], offer))
        report("done")
        return
    # The style of 8.1's documentation.
    server = loop.run_until_complete(websockets.serve(converse, "127.0.0.1", 0))
    report(
        "ready",
        port=server.sockets[0].getsockname()[1],
        version=websockets.__version__,
        websockets=websockets.__file__,
    )
    loop.run_forever()


if __name__ == "__main__":
    main()
