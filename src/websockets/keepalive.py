"""Pings, pongs, keepalive and latency: RFC 6455, sections 5.5.2 and 5.5.3.

:class:`KeepaliveMixin` holds the methods of
:class:`~websockets.protocol.WebSocketCommonProtocol` that deal with Ping and
Pong frames: :meth:`~KeepaliveMixin.ping` and :meth:`~KeepaliveMixin.pong`
for the application, the acknowledgement of pings by pongs, the keepalive
that pings the peer every ``ping_interval`` seconds, and
:attr:`~KeepaliveMixin.latency`. The connection's state lives in the
protocol; this module has no state of its own.

The keepalive works like websockets 8.1's: send a ping, wait up to
``ping_timeout`` seconds for its pong, send the next ping ``ping_interval``
seconds after the pong. There's at most one keepalive ping waiting for its
pong. Unlike 8.1, any data received while it waits proves that the peer is
alive: a peer that is busy sending a large message, which delays its pong
behind that message, isn't closed with 1011; a silent peer still is.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING, Any, Awaitable, Dict, Optional

from . import deadlines
from .attributes import ConnectionAttributes
from .framing import OP_PING, OP_PONG, encode_data
from .state import State
from .typing import Data

if TYPE_CHECKING:
    pass

__all__ = ["KeepaliveMixin"]

logger = logging.getLogger("websockets.protocol")


def _random_payload() -> bytes:
    return os.urandom(4)


def _consume_exception(future: asyncio.Future[Any]) -> None:
    # Nobody is obliged to await the future returned by ping(): don't let
    # asyncio log "exception was never retrieved" when the connection drops.
    if not future.cancelled():
        future.exception()


class KeepaliveMixin(ConnectionAttributes):
    """Ping and Pong frames of a WebSocket connection.

    A mixin of :class:`~websockets.protocol.WebSocketCommonProtocol`;
    :class:`~websockets.attributes.ConnectionAttributes` declares what it
    uses of the others.
    """

    __slots__ = (
        "_data_seen",
        "_keepalive_handle",
        "_keepalive_pong_at",
        "_ping_sent_at",
        "latency",
        "pings",
    )

    def _init_keepalive(self) -> None:
        #: Round-trip time in seconds of the last ping acknowledged by a
        #: pong, keepalive or :meth:`ping`; ``0`` before any.
        self.latency: float = 0
        #: Pings waiting for their pong, in the order they were sent.
        self.pings: Dict[bytes, asyncio.Future[float]] = {}
        # When each ping was sent, for the round-trip time.
        self._ping_sent_at: Dict[bytes, float] = {}
        self._keepalive_handle: Optional[deadlines.Timer] = None
        # When the pong of the last keepalive ping arrived.
        self._keepalive_pong_at: Optional[float] = None
        # Whether data arrived since the keepalive ping was sent.
        self._data_seen = False

    # Pings and pongs for the application.

    async def ping(self, data: Optional[Data] = None) -> Awaitable[float]:
        """Send a ping.

        Return a :class:`~asyncio.Future` that will be completed when the
        corresponding pong is received. You can ignore it if you don't
        intend to wait::

            pong_waiter = await ws.ping()
            await pong_waiter   # only if you want to wait for the pong

        The future's result is the round-trip time in seconds, a
        :class:`float` (new in this version; it was ``None`` in 8.1): the
        time between sending the ping and receiving its pong. It's also
        stored in :attr:`latency`.

        By default, the ping contains four random bytes. This payload may be
        overridden with the optional ``data`` argument, a string (encoded to
        UTF-8) or a bytes-like object. A pong acknowledges every earlier ping
        too. Canceling the future returned by :meth:`ping` has no effect.

        :raises ValueError: if a ping with the same payload is waiting for
            its pong
        :raises ~websockets.exceptions.ConnectionClosed: when the connection
            is closed
        """
        await self.ensure_open()
        if data is not None:
            payload = encode_data(data)
            if payload in self.pings:
                raise ValueError("already waiting for a pong with the same data")
        else:
            payload = self._new_ping_payload()
        waiter = self._send_ping(payload)
        if self._paused_writing:
            await self._drain()
        pong_waiter = asyncio.shield(waiter)
        # The caller may ignore the returned future: don't let asyncio log
        # "exception was never retrieved" when the connection is lost.
        pong_waiter.add_done_callback(_consume_exception)
        return pong_waiter

    async def pong(self, data: Data = b"") -> None:
        """Send a pong.

        An unsolicited pong may serve as a unidirectional heartbeat. The
        payload may be set with the optional ``data`` argument, a string
        (encoded to UTF-8) or a bytes-like object.

        :raises ~websockets.exceptions.ConnectionClosed: when the connection
            is closed
        """
        await self.ensure_open()
        self._write_frame(True, OP_PONG, encode_data(data))
        if self._paused_writing:
            await self._drain()

    def _new_ping_payload(self) -> bytes:
        payload = _random_payload()
        while payload in self.pings:
            payload = _random_payload()
        return payload

    def _send_ping(self, payload: bytes) -> asyncio.Future[float]:
        waiter: asyncio.Future[float] = self.loop.create_future()
        waiter.add_done_callback(_consume_exception)
        self.pings[payload] = waiter
        self._ping_sent_at[payload] = self.loop.time()
        self._write_frame(True, OP_PING, payload)
        return waiter

    def _acknowledge_pings(self, data: bytes) -> None:
        # RFC 6455 5.5.3: a pong answers the ping with the same payload. It
        # also acknowledges every earlier ping. An unsolicited pong is ignored.
        pings = self.pings
        if data not in pings:
            return
        now = self.loop.time()
        sent_at = self._ping_sent_at
        ping_ids = list(pings)
        for ping_id in ping_ids[: ping_ids.index(data) + 1]:
            waiter = pings.pop(ping_id)
            latency = now - sent_at.pop(ping_id)
            # The future may have been cancelled through self.pings.
            if not waiter.done():
                waiter.set_result(latency)
        # The round-trip time of the ping that this pong answers.
        self.latency = latency
        if not pings:
            # An emptied dict keeps its hash table: free it, for idle
            # connections after keepalive pings.
            pings.clear()
            sent_at.clear()

    def _abort_pings(self) -> None:
        # The connection is closed: no pong will come.
        if not self.pings:
            # The usual case: no exception to build.
            return
        exc = self.connection_closed_exc()
        for waiter in self.pings.values():
            if not waiter.done():
                waiter.set_exception(exc)
        self.pings.clear()
        self._ping_sent_at.clear()

    # Keepalive

    def _schedule_keepalive(self) -> None:
        if self.ping_interval is not None and self.state is State.OPEN:
            self._keepalive_handle = deadlines.call_later(
                self.loop, self.ping_interval, self._keepalive
            )

    def _keepalive(self) -> None:
        # Send a ping, wait up to ping_timeout for the pong, then send the
        # next ping ping_interval after the pong. There's at most one
        # keepalive ping waiting for its pong, so its timeout can't be
        # postponed by later pings.
        self._keepalive_handle = None
        if self.state is not State.OPEN:
            return
        waiter = self._send_ping(self._new_ping_payload())
        if self.ping_timeout is None:
            self._schedule_keepalive()
            return
        self._keepalive_pong_at = None
        self._data_seen = False
        waiter.add_done_callback(self._keepalive_pong)
        self._arm_keepalive_check(self.loop.time(), waiter)

    def _arm_keepalive_check(self, sent: float, waiter: asyncio.Future[float]) -> None:
        # Look for the pong every ping_interval, until ping_timeout. A timer
        # is never cancelled: on a busy loop, cancelled timers linger in its
        # heap until they're due, and with ping_timeout > ping_interval that
        # would be several per connection, idle connections included.
        assert self.ping_interval is not None and self.ping_timeout is not None
        deadline = sent + self.ping_timeout
        when = self.loop.time() + self.ping_interval
        final = when >= deadline
        self._keepalive_handle = self.loop.call_at(
            deadline if final else when, self._keepalive_check, sent, waiter, final
        )

    def _keepalive_pong(self, waiter: asyncio.Future[float]) -> None:
        # The pong arrived, or the connection was lost.
        self._keepalive_pong_at = self.loop.time()

    def _keepalive_check(
        self, sent: float, waiter: asyncio.Future[float], final: bool
    ) -> None:
        self._keepalive_handle = None
        if self.state is not State.OPEN:
            return
        assert self.ping_interval is not None
        if waiter.done():
            # The pong arrived at most ping_interval ago: the next ping goes
            # out ping_interval after it. Its callback may not have run yet.
            pong_at = self._keepalive_pong_at
            if pong_at is None:
                pong_at = self.loop.time()
            self._keepalive_pong_at = None
            self._keepalive_handle = self.loop.call_at(
                pong_at + self.ping_interval, self._keepalive
            )
        elif not final:
            self._arm_keepalive_check(sent, waiter)
        elif self._data_seen:
            # No pong yet, but the peer sent data since the ping (or since
            # the last extension): it's alive, its pong may be queued behind
            # a large message. Wait up to ping_timeout more.
            self._data_seen = False
            self._arm_keepalive_check(self.loop.time(), waiter)
        else:
            self._log(logger).info("%s ! no pong received in time: closing", self.side)
            self.fail_connection(1011, "keepalive ping timeout")
