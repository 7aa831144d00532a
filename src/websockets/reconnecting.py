"""Automatic reconnection: ``async for websocket in connect(uri)``.

New in this version. :func:`~websockets.client.connect` used as an
asynchronous iterator opens a connection, yields it, and opens a new one at
each iteration, waiting between attempts with a capped, jittered exponential
backoff. ``await connect(...)`` and ``async with connect(...)`` are
unchanged.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import email.utils
import logging
import random
import ssl
import time
from typing import TYPE_CHECKING, Any, Dict, Optional

from .datastructures import MultipleValuesError
from .exceptions import (
    InvalidProxyStatus,
    InvalidStatusCode,
    InvalidURI,
    SecurityError,
    WebSocketException,
)

if TYPE_CHECKING:  # pragma: no cover
    from .client import Connect, WebSocketClientProtocol

__all__ = ["Backoff", "Reconnecting"]

logger = logging.getLogger("websockets.client")

# Defaults of the backoff between reconnection attempts, in seconds.
BACKOFF_INITIAL = 1.0
BACKOFF_FACTOR = 2.0
BACKOFF_MAX = 60.0


@dataclasses.dataclass
class Backoff:
    """Delays between reconnection attempts.

    The first wait is drawn at random between ``initial / 2`` and
    ``initial`` seconds; each following wait doubles that range (``factor``)
    up to ``max / 2`` and ``max`` seconds. A connection that stayed open at
    least ``max`` seconds starts the sequence over.
    """

    initial: float = BACKOFF_INITIAL
    factor: float = BACKOFF_FACTOR
    max: float = BACKOFF_MAX

    def __post_init__(self) -> None:
        if not 0 < self.initial <= self.max:
            raise ValueError("backoff_initial must be > 0 and <= backoff_max")
        if self.factor < 1:
            raise ValueError("backoff_factor must be >= 1")

    @classmethod
    def pop_arguments(cls, kwds: Dict[str, Any]) -> Backoff:
        """Take the ``backoff_*`` arguments of
        :func:`~websockets.client.connect` out of ``kwds``."""
        return cls(
            initial=kwds.pop("backoff_initial", BACKOFF_INITIAL),
            factor=kwds.pop("backoff_factor", BACKOFF_FACTOR),
            max=kwds.pop("backoff_max", BACKOFF_MAX),
        )


def retry_after(exc: BaseException, now: Optional[float] = None) -> Optional[float]:
    """Return how long a 429 or 503 response asks to wait, in seconds.

    RFC 9110, section 10.2.3: ``Retry-After`` is a number of seconds or an
    HTTP date. Anything else, or another exception, gives ``None``.

    :param now: current time, as :func:`time.time` returns it, for a date
    """
    if not isinstance(exc, InvalidStatusCode) or exc.status_code not in (429, 503):
        return None
    if exc.headers is None:
        return None
    try:
        value = exc.headers.get("Retry-After")
    except MultipleValuesError:
        return None
    if value is None:
        return None
    value = value.strip()
    if value.isdigit() and value.isascii():
        return float(value)
    try:
        date = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if date.tzinfo is None:
        return None  # HTTP dates are in GMT: a date without a zone isn't one
    if now is None:
        now = time.time()
    return max(0.0, date.timestamp() - now)


def is_permanent(exc: BaseException) -> bool:
    """Tell whether retrying can't fix the error that failed an opening."""
    if isinstance(exc, (InvalidStatusCode, InvalidProxyStatus)):
        # 4xx: the request is wrong (401, 403, 404, 407 from a proxy...),
        # except 429, which asks to come back later. 5xx and others may go
        # away (a proxy answers 502 or 503 while the server restarts).
        return 400 <= exc.status_code < 500 and exc.status_code != 429
    if isinstance(exc, (InvalidURI, SecurityError, ssl.SSLCertVerificationError)):
        return True
    # Network errors, timeouts and other handshake failures (a server that
    # is restarting may answer garbage or close the connection) are retried;
    # anything else is a bug or a wrong argument.
    return not isinstance(exc, (OSError, asyncio.TimeoutError, WebSocketException))


class Reconnecting:
    """Asynchronous iterator returned by ``connect(...).__aiter__()``.

    Each iteration closes the previous connection if it's still open, then
    opens a new one and returns it:

    * after the previous connection closed with code 1000 (OK) or 1001
      (going away), the new one is opened right away;
    * after any other closure (1006 without a close frame, 1011 unexpected
      error, 1012 service restart, 1013 try again later...), the iterator
      waits first, as after a failed opening;
    * an opening that fails with an error that a retry may fix (network
      errors, timeouts, HTTP 5xx and 429, other handshake failures) is
      retried after a wait, forever, until the caller stops iterating; the
      failure is logged at INFO level on the ``websockets.client`` logger;
      a 429 or 503 response's ``Retry-After`` header (seconds or an HTTP
      date) makes the wait at least that long, up to ``backoff_max``;
    * an error that a retry can't fix is raised at once: an HTTP 4xx status
      other than 429 (:exc:`~websockets.exceptions.InvalidStatusCode`, or
      :exc:`~websockets.exceptions.InvalidProxyStatus` from a proxy), an
      invalid URI, including in a redirect
      (:exc:`~websockets.exceptions.InvalidURI`), a redirect from ``wss://``
      to ``ws://`` (:exc:`~websockets.exceptions.SecurityError`), a TLS
      certificate that doesn't verify
      (:exc:`ssl.SSLCertVerificationError`), and errors that aren't about
      the network or the protocol (:exc:`TypeError`...).

    Waits follow :class:`Backoff`: 0.5-1 s, 1-2 s, 2-4 s... up to 30-60 s
    with the defaults of :func:`~websockets.client.connect`.

    Each attempt starts from the arguments given to
    :func:`~websockets.client.connect`: a redirect followed by one attempt
    doesn't change the next.
    """

    def __init__(self, connect: Connect) -> None:
        if connect._kwds.get("sock") is not None:
            raise ValueError("connect(sock=...) can't reconnect: pass a URI")
        self._connect = connect
        self._backoff: Backoff = connect._backoff
        self._delay = self._backoff.initial
        self._websocket: Optional[WebSocketClientProtocol] = None
        self._opened_at = 0.0

    def __aiter__(self) -> Reconnecting:
        return self

    async def __anext__(self) -> WebSocketClientProtocol:
        loop = asyncio.get_running_loop()
        websocket = self._websocket
        if websocket is not None:
            self._websocket = None
            await websocket.close()
            if loop.time() - self._opened_at >= self._backoff.max:
                self._delay = self._backoff.initial
            if websocket.close_code not in (1000, 1001):
                await self._wait(f"connection closed: code {websocket.close_code}")
        while True:
            # A fresh copy: redirects change the state of a Connect.
            attempt = copy.copy(self._connect)
            attempt._kwds = dict(self._connect._kwds)
            try:
                websocket = await attempt
            except Exception as exc:
                if is_permanent(exc):
                    raise
                await self._wait(f"connection failed: {exc!r}", retry_after(exc))
            else:
                break
        self._websocket = websocket
        self._opened_at = loop.time()
        return websocket

    async def _wait(self, why: str, asked: Optional[float] = None) -> None:
        delay = self._delay * random.uniform(0.5, 1.0)
        self._delay = min(self._backoff.max, self._delay * self._backoff.factor)
        if asked is not None:
            # The server's Retry-After, up to backoff_max: a server can't
            # hold a client off longer than its own backoff would.
            delay = max(delay, min(asked, self._backoff.max))
        logger.info("%s; reconnecting in %.1f seconds", why, delay)
        await asyncio.sleep(delay)
