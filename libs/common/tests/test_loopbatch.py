"""The write batching and the watchdog that the pipelined Redis client and the confirm channel share."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from lianfang.common.loopbatch import LoopBatch


class Broken(ConnectionError):
    pass


class Late(TimeoutError):
    pass


@dataclass(slots=True)
class Request:
    future: asyncio.Future[str]
    deadline: float


class Transport(asyncio.Transport):
    """Records what is written; `during_write` runs inside a write, as a protocol callback can."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closed = False
        self.during_write: Callable[[], None] = lambda: None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))
        self.during_write()

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


def connected(
    timeout: float = 5.0, *, late_breaks_connection: bool = False
) -> tuple[LoopBatch[Request, Exception], Transport]:
    batch: LoopBatch[Request, Exception] = LoopBatch(
        asyncio.get_running_loop(), timeout=timeout, late=Late, late_breaks_connection=late_breaks_connection
    )
    transport = Transport()
    batch.transport = transport
    return batch, transport


def request(
    batch: LoopBatch[Request, Exception], key: int, data: bytes = b"", *, due_in: float | None = None
) -> asyncio.Future[str]:
    """A request waiting the batch's timeout, or `due_in` seconds (later than the waiters before it)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()
    deadline = batch.deadline() if due_in is None else loop.time() + due_in
    batch.submit(key, Request(future, deadline), data or b"request %d;" % key)
    return future


async def settled(future: asyncio.Future[str]) -> None:
    """Until the watchdog answered the future, however late a busy machine runs the timer: the tests wait for what
    happened, not for a time it should have happened by."""
    await asyncio.wait([future], timeout=10)


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)


def answer(batch: LoopBatch[Request, Exception], key: int) -> None:
    waiter = batch.waiting.pop(key)
    if not waiter.future.done():
        waiter.future.set_result(f"answer {key}")


def outcome(future: asyncio.Future[Any]) -> object:
    if not future.done():
        return "waiting"
    if future.cancelled():
        return "cancelled"
    return type(future.exception()) if future.exception() else future.result()


class TestWrites:
    async def test_the_writes_of_one_loop_turn_leave_in_one_write_in_order(self) -> None:
        batch, transport = connected()
        batch.write(b"hello;")
        for key in range(3):
            request(batch, key)
        assert transport.written == []

        await asyncio.sleep(0)

        assert transport.written == [b"hello;request 0;request 1;request 2;"]

    async def test_each_loop_turn_has_a_write_of_its_own(self) -> None:
        batch, transport = connected()
        request(batch, 0)
        await asyncio.sleep(0)
        request(batch, 1)
        await asyncio.sleep(0)
        await asyncio.sleep(0)

        assert transport.written == [b"request 0;", b"request 1;"]

    async def test_a_write_made_while_writing_goes_out_with_the_next_turn(self) -> None:
        batch, transport = connected()
        transport.during_write = lambda: batch.write(b"written during the write;")
        batch.write(b"first;")
        await asyncio.sleep(0)
        transport.during_write = lambda: None
        await asyncio.sleep(0)

        assert transport.written == [b"first;", b"written during the write;"]

    async def test_flush_writes_at_once(self) -> None:
        batch, transport = connected()
        batch.write(b"close-ok;")
        batch.flush()
        assert transport.written == [b"close-ok;"]
        await asyncio.sleep(0)
        assert transport.written == [b"close-ok;"]


class TestFailure:
    async def test_a_broken_connection_fails_every_waiter_and_drops_what_was_not_written(self) -> None:
        batch, transport = connected()
        sent = request(batch, 0)
        await asyncio.sleep(0)
        unsent = request(batch, 1)
        error = Broken("connection reset")

        assert batch.fail(error)
        await asyncio.sleep(0)

        assert (sent.exception(), unsent.exception()) == (error, error)
        assert transport.written == [b"request 0;"]
        assert transport.closed
        assert batch.waiting == {}

    async def test_only_the_first_failure_counts(self) -> None:
        batch, _ = connected()
        waiting = request(batch, 0)
        first = Broken("reset")

        assert batch.fail(first)
        assert not batch.fail(Broken("closed"))
        assert (batch.failure, waiting.exception()) == (first, first)

    async def test_nothing_is_written_after_a_failure(self) -> None:
        batch, transport = connected()
        batch.fail(Broken("reset"))
        transport.closed = False  # a transport that has not noticed yet

        batch.write(b"heartbeat;")
        await asyncio.sleep(0)

        assert transport.written == []

    async def test_a_cancelled_waiter_is_passed_over(self) -> None:
        batch, _ = connected()
        cancelled, other = request(batch, 0), request(batch, 1)
        cancelled.cancel()

        batch.fail(Broken("reset"))

        assert (outcome(cancelled), outcome(other)) == ("cancelled", Broken)


class TestWatchdog:
    async def test_a_waiter_answered_in_time_does_not_fail(self) -> None:
        batch, _ = connected(timeout=0.05)
        waiting = request(batch, 0)
        answer(batch, 0)
        await asyncio.sleep(0.1)

        assert outcome(waiting) == "answer 0"

    async def test_late_waiters_fail_alone_each_at_its_own_deadline(self) -> None:
        batch, transport = connected(timeout=0.05)
        first = request(batch, 0)
        second, answered = request(batch, 1, due_in=1), request(batch, 2, due_in=1)
        answer(batch, 2)

        await settled(first)
        after_the_first_deadline = outcome(first), outcome(second)
        await settled(second)

        assert after_the_first_deadline == (Late, "waiting")
        assert (outcome(second), outcome(answered)) == (Late, "answer 2")
        assert not transport.closed
        assert batch.waiting == {}

    async def test_with_late_breaks_connection_the_first_late_waiter_fails_them_all(self) -> None:
        batch, transport = connected(timeout=0.05, late_breaks_connection=True)
        first = request(batch, 0)
        second = request(batch, 1, due_in=60)

        await settled(first)

        assert (outcome(first), outcome(second)) == (Late, Late)
        assert transport.closed
        assert isinstance(batch.failure, Late)

    async def test_a_cancelled_waiter_times_out_quietly_and_the_others_still_wait(self) -> None:
        batch, _ = connected(timeout=0.05)
        cancelled = request(batch, 0)
        cancelled.cancel()
        other = request(batch, 1, due_in=1)

        await until(lambda: 0 not in batch.waiting)
        assert (outcome(cancelled), outcome(other), list(batch.waiting)) == ("cancelled", "waiting", [1])
        await settled(other)
        assert outcome(other) is Late

    async def test_one_timer_keeps_the_deadlines_of_all_waiters(self, monkeypatch: pytest.MonkeyPatch) -> None:
        batch, _ = connected(timeout=0.05)
        timers = watchdog_timers(batch, monkeypatch)
        waiting = [request(batch, key) for key in range(100)]
        for key in range(100):
            answer(batch, key)
        await asyncio.sleep(0.08)

        assert len(timers) == 1
        assert [outcome(future) for future in waiting] == [f"answer {key}" for key in range(100)]

    async def test_a_broken_connection_stops_its_watchdog(self, monkeypatch: pytest.MonkeyPatch) -> None:
        batch, _ = connected(timeout=0.05)
        timers = watchdog_timers(batch, monkeypatch)
        request(batch, 0)

        batch.fail(Broken("reset"))

        assert [timer.cancelled() for timer in timers] == [True]


def watchdog_timers(batch: LoopBatch[Request, Exception], monkeypatch: pytest.MonkeyPatch) -> list[asyncio.TimerHandle]:
    """The timers the batch sets from now on."""
    loop = asyncio.get_running_loop()
    timers: list[asyncio.TimerHandle] = []
    call_at = loop.call_at

    def recorded(when: float, callback: Callable[..., object], *args: Any, **kwargs: Any) -> asyncio.TimerHandle:
        timer = call_at(when, callback, *args, **kwargs)
        if getattr(callback, "__self__", None) is batch:
            timers.append(timer)
        return timer

    monkeypatch.setattr(loop, "call_at", recorded)
    return timers
