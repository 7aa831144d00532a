"""What the consumer programs share: reporting to the test, one JSON a line."""

import json
import socket
import sys
from typing import Any


def report(event: str, **data: Any) -> None:
    """Tell the test about ``event``: a JSON object on standard output."""
    print(json.dumps(dict(data, event=event)), flush=True)


def bound_socket() -> socket.socket:
    """A listening socket on 127.0.0.1 and a free port, for a server."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(100)
    return sock


def websockets_origin() -> str:
    """Where this process imports websockets from (checked by the tests)."""
    import websockets

    return str(websockets.__file__)


def fail(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
    sys.exit(1)
