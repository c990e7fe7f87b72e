"""The core both hand-written wire clients share (`lianfang.checkin.redis_pipeline`, `lianfang.common.messaging.confirms`):
the writes of one event-loop turn leave in one write, and the requests waiting for an answer are timed by one watchdog.

A write to the socket per request costs a system call each, and a timer per request (`asyncio.timeout`, `call_later`)
a large share of the request's CPU (bench/results/checkin_post.md). Here a write appends to a buffer that goes out when the
loop turn ends; a single timer, set for the oldest waiter's deadline, wakes up to fail the late and sets itself again for
the next oldest. Waiters are kept by key in the order they were made, which with one timeout for all is also the order
of their deadlines.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["LoopBatch", "Waiter"]


class Waiter(Protocol):
    """What a request waits on: its future, and the loop time (`LoopBatch.deadline`) by which it must be answered."""

    @property
    def future(self) -> asyncio.Future[Any]: ...

    @property
    def deadline(self) -> float: ...


W = TypeVar("W", bound=Waiter)
E = TypeVar("E", bound=Exception)


class LoopBatch(Generic[W, E]):
    """One connection's outgoing buffer and waiters. The protocol that owns it sets `transport` when connected, resolves
    waiters from `waiting` as answers arrive, and calls `fail` when the connection breaks.

    `late` makes the error of a waiter past its deadline. With `late_breaks_connection` the first late waiter fails the
    whole connection (answers come in order: nothing after it can come first); without, each late waiter fails alone.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        timeout: float,
        late: Callable[[], E],
        late_breaks_connection: bool,
    ) -> None:
        self._loop = loop
        self._timeout = timeout
        self._late = late
        self._late_breaks_connection = late_breaks_connection
        self._outgoing: list[bytes] = []
        self._flush_scheduled = False
        self._watchdog: asyncio.TimerHandle | None = None
        self.transport: asyncio.Transport | None = None
        self.waiting: dict[int, W] = {}
        self.failure: E | None = None

    def deadline(self) -> float:
        """The deadline of a waiter made now."""
        return self._loop.time() + self._timeout

    def write(self, data: bytes) -> None:
        """Queues `data` for the write at the end of this loop turn."""
        self._outgoing.append(data)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self.flush)

    def submit(self, key: int, waiter: W, data: bytes) -> None:
        """Queues the request's bytes and keeps its waiter under `key` until answered (`waiting.pop`) or failed."""
        self.waiting[key] = waiter
        if self._watchdog is None:
            self._watchdog = self._loop.call_at(waiter.deadline, self._watch)
        self.write(data)

    def flush(self) -> None:
        """Writes what was queued now. A write made while writing (a protocol callback) waits for the next flush."""
        self._flush_scheduled = False
        outgoing = self._outgoing
        if not outgoing:
            return
        data = b"".join(outgoing)
        outgoing.clear()
        transport = self.transport
        if transport is not None and self.failure is None and not transport.is_closing():
            transport.write(data)

    def fail(self, failure: E) -> bool:
        """Fails every waiter with `failure`, drops what was not written and closes the transport. Only the first
        failure counts: False when the connection had failed already."""
        if self.failure is not None:
            return False
        self.failure = failure
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        self._outgoing.clear()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()
        waiting, self.waiting = self.waiting, {}
        for waiter in waiting.values():
            if not waiter.future.done():
                waiter.future.set_exception(failure)
        return True

    def _watch(self) -> None:
        self._watchdog = None
        now = self._loop.time()
        late: list[int] = []
        for key, waiter in self.waiting.items():
            if waiter.deadline > now:
                self._watchdog = self._loop.call_at(waiter.deadline, self._watch)
                break
            if self._late_breaks_connection:
                self.fail(self._late())
                return
            late.append(key)
        for key in late:
            waiter = self.waiting.pop(key)
            if not waiter.future.done():
                waiter.future.set_exception(self._late())
