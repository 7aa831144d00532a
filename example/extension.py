#!/usr/bin/env python
"""A custom extension that counts the bytes of frames on the wire.

Run it with::

    python example/extension.py

It starts a server and a client in the same process, on a free port of
localhost, exchanges a few compressible messages, and prints how many
payload bytes each side sent and received after compression.

The "x-frame-stats" extension doesn't change frames: it only looks at them.
Extensions apply to outgoing frames in the order in which they were
negotiated and to incoming frames in the reverse order, so, negotiated after
permessage-deflate, it sees compressed payloads.
"""

import asyncio

import websockets
from websockets.exceptions import NegotiationError
from websockets.extensions.base import (
    ClientExtensionFactory,
    Extension,
    ServerExtensionFactory,
)
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)

# Names of extensions that aren't registered with IANA start with "x-".
NAME = "x-frame-stats"


class FrameStats(Extension):
    """Count frames and payload bytes in each direction on one connection."""

    name = NAME

    def __init__(self):
        self.frames_in = self.bytes_in = 0
        self.frames_out = self.bytes_out = 0

    def decode(self, frame, *, max_size=None):
        self.frames_in += 1
        self.bytes_in += len(frame.data)
        return frame

    def encode(self, frame):
        self.frames_out += 1
        self.bytes_out += len(frame.data)
        return frame

    def __str__(self):
        return (
            f"sent {self.frames_out} frames, {self.bytes_out} bytes; "
            f"received {self.frames_in} frames, {self.bytes_in} bytes"
        )


class ClientFrameStatsFactory(ClientExtensionFactory):
    """Offer the extension, without parameters, and accept the answer."""

    name = NAME

    def get_request_params(self):
        return []

    def process_response_params(self, params, accepted_extensions):
        if params:
            raise NegotiationError(f"unexpected parameters: {params}")
        return FrameStats()


class ServerFrameStatsFactory(ServerExtensionFactory):
    """Accept offers without parameters; decline anything else."""

    name = NAME

    def process_request_params(self, params, accepted_extensions):
        if params:
            raise NegotiationError(f"unexpected parameters: {params}")
        return [], FrameStats()


def frame_stats(websocket):
    """Return the FrameStats extension of a connection."""
    for extension in websocket.extensions:
        if isinstance(extension, FrameStats):
            return extension
    raise LookupError("x-frame-stats wasn't negotiated")


async def echo(websocket, path):
    async for message in websocket:
        await websocket.send(message)
    # The client closed the connection and the server answered: the stats
    # are final. They include the close frames; extensions see every frame.
    print(f"server: {frame_stats(websocket)}")


async def main():
    async with websockets.serve(
        echo,
        "localhost",
        0,
        # The server accepts extensions in the order of the client's offer.
        extensions=[ServerPerMessageDeflateFactory(), ServerFrameStatsFactory()],
    ) as server:
        port = server.sockets[0].getsockname()[1]
        async with websockets.connect(
            f"ws://localhost:{port}/",
            # Offer permessage-deflate first, so that it encodes outgoing
            # frames before x-frame-stats counts them.
            extensions=[ClientPerMessageDeflateFactory(), ClientFrameStatsFactory()],
        ) as websocket:
            names = [extension.name for extension in websocket.extensions]
            print(f"client: negotiated {', '.join(names)}")
            message = "Spam! " * 1000
            for _ in range(3):
                await websocket.send(message)
                assert await websocket.recv() == message
            print(f"client: sent 3 messages of {len(message)} bytes")
        print(f"client: {frame_stats(websocket)}")


if __name__ == "__main__":
    asyncio.run(main())
