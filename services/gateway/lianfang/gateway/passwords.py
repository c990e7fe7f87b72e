"""Argon2id password hashes, computed off the event loop (each takes tens of milliseconds of CPU on purpose).

They run in threads of their own at a lower priority than the event loop: the scheduler gives the loop the CPU first,
so a rush of staff logins queues for the hashers instead of starving every other request (fifteen logins at once held
residents' logins for five seconds when the hashes ran at the loop's own priority).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from functools import cached_property
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from lianfang.gateway.settings import GatewaySettings

__all__ = ["HASHING_NICENESS", "Passwords"]

T = TypeVar("T")

# How much lower than the event loop the hashing threads run: added to the process's `nice` value (19 at most).
HASHING_NICENESS = 10


def _lower_priority() -> None:
    # Linux gives each thread its own niceness (and the threads Argon2 starts inherit it); elsewhere it stays as it is.
    with suppress(AttributeError, OSError):
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + HASHING_NICENESS))


_hashing = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2", initializer=_lower_priority)


async def _hashed(work: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(_hashing, work)


class Passwords:
    """Argon2id at the cost the settings give (`LIANFANG_PASSWORD_*`)."""

    def __init__(self, settings: GatewaySettings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.password_time_cost,
            memory_cost=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
        )

    @cached_property
    def _dummy_hash(self) -> str:
        """Verified against when the username is unknown, so a wrong username costs as long as a wrong password."""
        return self._hasher.hash("lianfang-timing-equaliser")

    async def hash(self, password: str) -> str:
        return await _hashed(lambda: self._hasher.hash(password))

    async def verify(self, password_hash: str | None, password: str) -> bool:
        def verify() -> bool:
            try:
                return self._hasher.verify(password_hash or self._dummy_hash, password) and password_hash is not None
            except (VerificationError, InvalidHashError):
                return False

        return await _hashed(verify)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
