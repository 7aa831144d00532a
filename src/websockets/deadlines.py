"""Timers with a fixed delay, sharing one event-loop timer per delay.

A connection arms several timers, nearly all of them cancelled before they
expire: ``open_timeout`` during the opening handshake, the keepalive every
``ping_interval`` seconds, ``close_timeout`` during the closing handshake.
On the standard library's event loops, each :meth:`~asyncio.loop.call_later`
creates a :class:`~asyncio.TimerHandle` and pushes it on a heap whose
comparisons run in Python, and a cancelled timer stays on that heap until
it's due, or until cancelled timers make up half of it: with many short
connections, that's about 30 Python calls per connection for timers that
never fire.

Timers armed with the same delay expire in the order they were armed, since
the loop's clock is monotonic. :func:`call_later` keeps them in a
first-in, first-out :class:`DeadlineQueue` per loop and delay, with a single
loop timer for the earliest of them: arming and cancelling cost a few
operations, and each timer still fires at its own deadline, as if it had
been armed with :meth:`~asyncio.loop.call_later`. Loops that aren't the
standard library's (uvloop's timers are compiled code) get plain
:meth:`~asyncio.loop.call_later` timers.

Arming and cancelling run in the C accelerator when it's built
(:class:`Deadline` and the base class of :class:`DeadlineQueue`), in their
pure-Python twins otherwise. The queues of a loop are an attribute of the
loop: see :func:`call_later`.
"""

from __future__ import annotations

import asyncio
import collections
import time
from typing import TYPE_CHECKING, Callable, Deque, Dict, Optional, Protocol

try:
    from .speedups import Deadline as _CDeadline
    from .speedups import DeadlineQueueBase as _CQueueBase
except ImportError:  # pragma: no cover (the C accelerator wasn't built)
    # Or was built from older sources, without these types.
    _CQueueBase = None  # type: ignore[assignment, misc]

__all__ = ["Deadline", "DeadlineQueue", "Timer", "call_later"]

# What asyncio's loops add to the current time to decide which timers are
# due: see BaseEventLoop._clock_resolution.
_RESOLUTION = time.get_clock_info("monotonic").resolution

# Cancelled timers are dropped from the head of a queue at once, from the
# middle when they outnumber the live ones (and there are more than this).
_COMPACT_AFTER = 64

# Where a loop keeps its queues, by delay.
_ATTRIBUTE = "_websockets_deadline_queues"


class Timer(Protocol):
    """A timer that can be cancelled: :class:`~asyncio.TimerHandle` or
    :class:`Deadline`."""

    def cancel(self) -> None: ...  # pragma: no cover


class _PyDeadline:
    """A timer of a :class:`DeadlineQueue`: pure-Python twin of the C
    accelerator's ``Deadline``."""

    __slots__ = ("callback", "queue", "when")

    #: When the timer expires, in the loop's time.
    when: float
    #: What to call then; ``None`` once cancelled or fired.
    callback: Optional[Callable[[], object]]
    #: The queue it belongs to.
    queue: _PyQueueBase

    def cancel(self) -> None:
        """Cancel the timer; no effect once it fired or was cancelled."""
        if self.callback is None:
            return
        self.callback = None
        queue = self.queue
        queue.dead += 1
        entries = queue.entries
        # Short connections close in about the order they opened: their
        # timers usually leave from the head.
        if entries[0] is self:
            while entries and entries[0].callback is None:
                entries.popleft()
                queue.dead -= 1
        elif queue.dead > _COMPACT_AFTER and 2 * queue.dead > len(entries):
            # Bound what cancelled timers hold, whatever the order. In place:
            # _fire() may be iterating on the queue.
            live = [entry for entry in entries if entry.callback is not None]
            entries.clear()
            entries.extend(live)
            queue.dead = 0


_new_deadline = object.__new__


class _PyQueueBase:
    """The state of a :class:`DeadlineQueue` and its :meth:`add`: pure-Python
    twin of the C accelerator's ``DeadlineQueueBase``."""

    __slots__ = ("armed", "dead", "delay", "entries", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, delay: float) -> None:
        self.loop = loop
        self.delay = delay
        self.entries: Deque[_PyDeadline] = collections.deque()
        # When the loop timer of this queue is due, if there's one.
        self.armed: Optional[float] = None
        # How many entries are cancelled.
        self.dead = 0

    def add(self, callback: Callable[[], object]) -> _PyDeadline:
        """Call ``callback`` after the queue's delay, unless cancelled."""
        entry = _new_deadline(_PyDeadline)
        entry.when = self.loop.time() + self.delay
        entry.callback = callback
        entry.queue = self
        self.entries.append(entry)
        if self.armed is None:
            self._arm(entry.when)
        return entry

    if TYPE_CHECKING:

        def _arm(self, when: float) -> None: ...  # in _Firing


class _Firing:
    """What a queue does when its loop timer fires: the part of
    :class:`DeadlineQueue` that runs once per loop timer, in Python whether
    the rest is the C accelerator or not."""

    if TYPE_CHECKING:
        loop: asyncio.AbstractEventLoop
        entries: Deque[Deadline]
        armed: Optional[float]
        dead: int
    else:
        __slots__ = ()

    def _arm(self, when: float) -> None:
        self.loop.call_at(when, self._fire, when)
        self.armed = when

    def _fire(self, armed: float) -> None:
        self.armed = None
        # Everything the loop considers due is, at least what this timer was
        # armed for.
        end = max(self.loop.time() + _RESOLUTION, armed)
        entries = self.entries
        while entries:
            entry = entries[0]
            callback = entry.callback
            if callback is None:
                entries.popleft()
                self.dead -= 1
                continue
            if entry.when > end:
                self._arm(entry.when)
                return
            entries.popleft()
            entry.callback = None
            try:
                callback()
            except (SystemExit, KeyboardInterrupt):
                self._rearm()
                raise
            except BaseException as exc:
                # Like an exception in a callback of the loop: report it and
                # go on with the other timers.
                self.loop.call_exception_handler(
                    {
                        "message": f"Exception in callback {callback!r}",
                        "exception": exc,
                    }
                )

    def _rearm(self) -> None:
        # The other timers must still fire.
        if self.armed is None and self.entries:
            self._arm(self.entries[0].when)


class _PyDeadlineQueue(_Firing, _PyQueueBase):
    """:class:`DeadlineQueue` in pure Python."""

    __slots__ = ()


if TYPE_CHECKING:
    Deadline = _PyDeadline

    class DeadlineQueue(_PyDeadlineQueue):
        """Timers of one event loop that all have the same delay.

        They're kept in the order they were armed, which is the order in
        which they expire; one loop timer is armed, for the first of them.
        """

        __slots__ = ()

elif _CQueueBase is None:  # pragma: no cover (the C accelerator wasn't built)
    Deadline = _PyDeadline
    DeadlineQueue = _PyDeadlineQueue
else:
    #: A timer of a :class:`DeadlineQueue` (the C accelerator's).
    Deadline = _CDeadline

    class DeadlineQueue(_Firing, _CQueueBase):
        """Timers of one event loop that all have the same delay.

        They're kept in the order they were armed, which is the order in
        which they expire; one loop timer is armed, for the first of them.
        Arming and cancelling run in the C accelerator.
        """

        __slots__ = ()


def call_later(
    loop: asyncio.AbstractEventLoop, delay: float, callback: Callable[[], object]
) -> Timer:
    """Call ``callback`` after ``delay`` seconds on ``loop``, like
    :meth:`~asyncio.loop.call_later`; return the timer, to cancel it.

    On the standard library's loops, timers with the same delay share a
    :class:`DeadlineQueue`.
    """
    if not isinstance(loop, asyncio.BaseEventLoop):
        return loop.call_later(delay, callback)
    # An attribute of the loop, never its __dict__: on Python 3.11 and 3.12,
    # reading an object's __dict__ turns its attributes into a plain dict,
    # and every attribute access of asyncio's loop code gets 2 to 3 times
    # slower for the rest of the process (35K instructions per connection
    # in the handshake benchmark: 5% of the server's CPU time).
    queues: Optional[Dict[float, DeadlineQueue]] = getattr(loop, _ATTRIBUTE, None)
    if queues is None:
        queues = {}
        setattr(loop, _ATTRIBUTE, queues)
    queue = queues.get(delay)
    if queue is None:
        queue = queues[delay] = DeadlineQueue(loop, delay)
    return queue.add(callback)
