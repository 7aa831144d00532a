""":class:`Close`: the code and reason of a close frame, RFC 6455 5.5.1.

New in this version: :exc:`~websockets.exceptions.ConnectionClosed` tells
which close frames were received and sent with two of these.
"""

from __future__ import annotations

import dataclasses

__all__ = ["CLOSE_CODES", "Close", "explain_close_code"]

# Close codes and their meaning: RFC 6455 section 7.4.1 and the IANA
# "WebSocket Close Code Number Registry".
CLOSE_CODES = {
    1000: "OK",
    1001: "going away",
    1002: "protocol error",
    1003: "unsupported type",
    # 1004 is reserved
    1005: "no status code [internal]",
    1006: "connection closed abnormally [internal]",
    1007: "invalid data",
    1008: "policy violation",
    1009: "message too big",
    1010: "extension required",
    1011: "unexpected error",
    1012: "service restart",
    1013: "try again later",
    1014: "bad gateway",
    1015: "TLS failure [internal]",
}


def explain_close_code(code: int) -> str:
    """Return the meaning of a close code, for humans."""
    if 3000 <= code < 4000:
        return "registered"
    if 4000 <= code < 5000:
        return "private use"
    return CLOSE_CODES.get(code, "unknown")


@dataclasses.dataclass(frozen=True)
class Close:
    """A close frame, received or sent.

    ``str()`` gives the code, its meaning and the reason, if any:
    ``1001 (going away) server restarting``. An empty close frame, without
    a status code, is ``Close(1005, "")``.

    New in this version.
    """

    #: Close code.
    code: int
    #: Close reason, possibly empty.
    reason: str

    def __str__(self) -> str:
        result = f"{self.code} ({explain_close_code(self.code)})"
        if self.reason:
            result += f" {self.reason}"
        return result
