"""Tests of websockets.deadlines: fixed-delay timers sharing a loop timer."""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any, Callable, List, Tuple

import pytest

from websockets import deadlines
from websockets.deadlines import Deadline, call_later

# Deadline queues are what the standard library's loops get; uvloop's timers
# are its own (test_uvloop_timers_are_its_own).
pytestmark = pytest.mark.standard_loop

speedups: Any
try:
    from websockets import speedups
except ImportError:  # pragma: no cover (the C accelerator wasn't built)
    speedups = None


@pytest.fixture(autouse=True, params=["c", "python"])
def implementation(request: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run each test with the C accelerator's timers and their pure-Python
    twins (call_later() creates deadlines.DeadlineQueue)."""
    if request.param == "python":
        monkeypatch.setattr(deadlines, "DeadlineQueue", deadlines._PyDeadlineQueue)
        monkeypatch.setattr(deadlines, "Deadline", deadlines._PyDeadline)
    elif speedups is None:  # pragma: no cover
        pytest.skip("websockets.speedups isn't built")
    return str(request.param)


def count_call_at(loop: asyncio.AbstractEventLoop) -> List[float]:
    """Record the loop timers that queues arm from now on."""
    armed: List[float] = []
    call_at = loop.call_at

    def spy(
        when: float, callback: Callable[..., object], *args: Any, **kwargs: Any
    ) -> Any:
        if getattr(callback, "__func__", None) is deadlines.DeadlineQueue._fire:
            armed.append(when)
        return call_at(when, callback, *args, **kwargs)

    loop.call_at = spy  # type: ignore[method-assign]
    return armed


async def test_timers_fire_in_order_at_their_deadline() -> None:
    loop = asyncio.get_running_loop()
    fired: List[Tuple[int, float]] = []
    done = loop.create_future()
    timers: List[deadlines.Timer] = []
    for index in range(5):

        def callback(index: int = index) -> None:
            fired.append((index, loop.time()))
            if index == 4:
                done.set_result(None)

        timers.append(call_later(loop, 0.02, callback))
    await asyncio.wait_for(done, 5)
    assert [index for index, _ in fired] == [0, 1, 2, 3, 4]
    for (_, at), timer in zip(fired, timers):
        assert isinstance(timer, deadlines.Deadline)
        # Never early, by the loop's clock.
        assert at >= timer.when
        assert timer.callback is None


async def test_timers_with_the_same_delay_share_one_loop_timer() -> None:
    loop = asyncio.get_running_loop()
    armed = count_call_at(loop)
    done = loop.create_future()
    for _ in range(50):
        call_later(loop, 0.01, lambda: None)
    call_later(loop, 0.01, lambda: done.set_result(None))
    # Another delay: another queue, another loop timer.
    call_later(loop, 0.02, lambda: None)
    assert len(armed) == 2
    await asyncio.wait_for(done, 5)
    queues = getattr(loop, deadlines._ATTRIBUTE)
    assert sorted(queues) == [0.01, 0.02]
    assert not queues[0.01].entries


async def test_cancelled_timer_does_not_fire() -> None:
    loop = asyncio.get_running_loop()
    fired: List[str] = []
    done = loop.create_future()
    first = call_later(loop, 0.01, lambda: fired.append("first"))
    call_later(loop, 0.01, lambda: fired.append("second"))
    call_later(loop, 0.01, lambda: done.set_result(None))
    first.cancel()
    first.cancel()  # no effect the second time
    await asyncio.wait_for(done, 5)
    assert fired == ["second"]


async def test_cancel_after_firing_has_no_effect() -> None:
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    timer = call_later(loop, 0, lambda: done.set_result(None))
    await asyncio.wait_for(done, 5)
    queue = getattr(loop, deadlines._ATTRIBUTE)[0]
    timer.cancel()
    assert queue.dead == 0


async def test_cancelled_head_moves_the_loop_timer_to_the_next() -> None:
    # The loop timer was armed for the first deadline; when it fires, the
    # first timer is gone and the next one isn't due yet: the queue arms a
    # loop timer for it and it fires at its own deadline.
    loop = asyncio.get_running_loop()
    queue = deadlines.DeadlineQueue(loop, 0.01)
    armed = count_call_at(loop)
    first = queue.add(lambda: None)
    await asyncio.sleep(0.005)
    done = loop.create_future()
    second = queue.add(lambda: done.set_result(loop.time()))
    first.cancel()
    at = await asyncio.wait_for(done, 5)
    assert at >= second.when
    assert armed == [first.when, second.when]
    assert not queue.entries and queue.dead == 0 and queue.armed is None


async def test_cancelled_timers_from_the_head_leave_at_once() -> None:
    loop = asyncio.get_running_loop()
    queue = deadlines.DeadlineQueue(loop, 60)
    timers = [queue.add(lambda: None) for _ in range(3)]
    timers[1].cancel()
    assert len(queue.entries) == 3 and queue.dead == 1
    timers[0].cancel()
    assert list(queue.entries) == [timers[2]] and queue.dead == 0


async def test_cancelled_timers_are_bounded_whatever_the_order() -> None:
    # One long-lived connection at the head, many short ones behind it.
    loop = asyncio.get_running_loop()
    queue = deadlines.DeadlineQueue(loop, 60)
    queue.add(lambda: None)
    most = 0
    for _ in range(1_000):
        queue.add(lambda: None).cancel()
        most = max(most, len(queue.entries))
    live = sum(entry.callback is not None for entry in queue.entries)
    assert live == 1
    assert most <= 2 * (deadlines._COMPACT_AFTER + 1)
    assert queue.dead == len(queue.entries) - 1


async def test_timer_fires_when_the_loop_fires_it_early() -> None:
    # A loop may run a timer a little before its deadline by its own clock:
    # what the loop timer was armed for is due.
    loop = asyncio.get_running_loop()
    queue = deadlines.DeadlineQueue(loop, 1_000)
    fired: List[str] = []
    entry = queue.add(lambda: fired.append("first"))
    queue.add(lambda: fired.append("second"))
    queue._fire(entry.when)
    assert fired == ["first"]
    assert queue.armed is not None and queue.armed > loop.time() + 900


async def test_exception_in_callback_is_reported_and_others_fire() -> None:
    loop = asyncio.get_running_loop()
    reported: List[Any] = []
    loop.set_exception_handler(lambda loop, context: reported.append(context))
    done = loop.create_future()

    def fail() -> None:
        raise ZeroDivisionError

    call_later(loop, 0.01, fail)
    call_later(loop, 0.01, lambda: done.set_result(None))
    try:
        await asyncio.wait_for(done, 5)
    finally:
        loop.set_exception_handler(None)
    [context] = reported
    assert isinstance(context["exception"], ZeroDivisionError)
    assert "fail" in context["message"]


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit])
def test_exit_in_callback_propagates_and_others_stay_armed(
    exc_type: type[BaseException],
) -> None:
    loop = asyncio.new_event_loop()
    try:
        fired: List[str] = []

        def stop() -> None:
            raise exc_type

        queue = deadlines.DeadlineQueue(loop, 0)
        queue.add(stop)
        queue.add(lambda: fired.append("second"))
        with pytest.raises(exc_type):
            loop.run_forever()
        assert queue.armed is not None
        loop.call_soon(loop.stop)
        while not fired:
            loop.run_forever()
        assert fired == ["second"]
    finally:
        loop.close()


def test_exit_when_no_timer_is_left() -> None:
    loop = asyncio.new_event_loop()
    try:

        def stop() -> None:
            raise KeyboardInterrupt

        queue = deadlines.DeadlineQueue(loop, 0)
        queue.add(stop)
        with pytest.raises(KeyboardInterrupt):
            loop.run_forever()
        assert queue.armed is None and not queue.entries
    finally:
        loop.close()


def test_other_loops_get_their_own_timers() -> None:
    class OtherLoop:
        def call_later(self, delay: float, callback: Callable[[], object]) -> Any:
            return ("timer", delay, callback)

    loop: Any = OtherLoop()
    callback = object()
    assert call_later(loop, 3, callback) == ("timer", 3, callback)  # type: ignore[arg-type]


def test_uvloop_timers_are_its_own() -> None:
    uvloop = pytest.importorskip("uvloop")
    loop = uvloop.new_event_loop()
    try:
        fired: List[str] = []
        timer = call_later(loop, 0.001, lambda: fired.append("fired"))
        assert not isinstance(timer, deadlines.Deadline)
        loop.call_later(0.01, loop.stop)
        loop.run_forever()
        assert fired == ["fired"]
    finally:
        loop.close()


def test_cancelling_many_while_firing() -> None:
    # A callback cancels enough timers to compact the queue while _fire()
    # goes through it: the others still fire, the count of cancelled timers
    # stays right.
    loop = asyncio.new_event_loop()
    try:
        queue = deadlines.DeadlineQueue(loop, 0)
        fired: List[str] = []
        victims: List[Deadline] = []

        def first() -> None:
            for victim in reversed(victims):
                victim.cancel()

        queue.add(first)
        queue.add(lambda: fired.append("second"))
        victims.extend(queue.add(lambda: fired.append("victim")) for _ in range(100))
        queue.add(lambda: fired.append("third"))
        queue._fire(loop.time())
        assert fired == ["second", "third"]
        assert not queue.entries and queue.dead == 0
    finally:
        loop.close()


async def test_cancel_releases_the_callback() -> None:
    # A timer holds its callback (a connection's bound method) until it's
    # cancelled or fired, not after.
    loop = asyncio.get_running_loop()

    class Owner:
        def tick(self) -> None:  # pragma: no cover (never fires)
            pass

    owner = Owner()
    reference = weakref.ref(owner)
    timer = call_later(loop, 60, owner.tick)
    del owner
    gc.collect()
    assert reference() is not None
    timer.cancel()
    assert reference() is None
    assert timer.callback is None


async def test_queue_and_timers_are_collected() -> None:
    # A queue and its timers refer to each other: the garbage collector
    # frees them with their loop.
    loop = asyncio.new_event_loop()
    try:
        queue = deadlines.DeadlineQueue(loop, 60)

        class Owner:
            def tick(self) -> None:  # pragma: no cover (never fires)
                pass

        owner = Owner()
        reference = weakref.ref(owner)
        queue.add(owner.tick)
        del owner, queue
    finally:
        loop.close()
    del loop
    gc.collect()
    assert reference() is None


def test_the_queue_attributes() -> None:
    loop = asyncio.new_event_loop()
    try:
        queue = deadlines.DeadlineQueue(loop, 2.5)
        assert queue.loop is loop and queue.delay == 2.5
        assert not queue.entries and queue.armed is None and queue.dead == 0
        timer = queue.add(lambda: None)
        assert timer.queue is queue
        assert queue.armed == timer.when
        assert list(queue.entries) == [timer]
    finally:
        loop.close()


def test_loop_time_failure_propagates() -> None:
    class BrokenClock(asyncio.SelectorEventLoop):
        def time(self) -> float:
            raise ZeroDivisionError

    loop = BrokenClock()
    try:
        queue = deadlines.DeadlineQueue(loop, 1)
        with pytest.raises(ZeroDivisionError):
            queue.add(lambda: None)
        assert not queue.entries
    finally:
        loop.close()


def test_the_loop_dict_is_left_alone() -> None:
    # Reading a loop's __dict__ would slow down every attribute access of
    # asyncio's code on it (Python 3.11 and 3.12): the queues are an
    # attribute.
    class Loop(asyncio.SelectorEventLoop):
        @property  # type: ignore[misc]
        def __dict__(self) -> Any:
            raise AssertionError("__dict__ read")

    loop = Loop()
    try:
        timer = call_later(loop, 60, lambda: None)
        call_later(loop, 60, lambda: None).cancel()
        timer.cancel()
        assert list(getattr(loop, deadlines._ATTRIBUTE)) == [60]
    finally:
        loop.close()
