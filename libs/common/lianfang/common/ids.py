"""Time-ordered UUIDs (RFC 9562 version 7), made by the application so sharded tables need no auto-increment."""

from __future__ import annotations

import os
import threading
import time
import uuid

__all__ = ["derived_id", "new_id", "uuid7"]

_DERIVED = 0xFF
_lock = threading.Lock()
_last_ms = 0
_sequence = 0


def uuid7() -> uuid.UUID:
    """A UUIDv7; ids made in the same millisecond by one process still sort in creation order (12-bit counter)."""
    global _last_ms, _sequence
    random = int.from_bytes(os.urandom(10))  # one system call for both random parts
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            _sequence += 1
            if _sequence > 0xFFF:  # counter exhausted: borrow the next millisecond
                _last_ms += 1
                _sequence = 0
            ms = _last_ms
        else:
            _last_ms = ms
            _sequence = random >> 64 & 0x3FF  # random start leaves room to count up
        sequence = _sequence
    # The low byte is left zero, so that the ids `derived_id` makes after this one carry into nothing.
    tail = random & 0x3FFF_FFFF_FFFF_FFFF & ~_DERIVED
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | sequence << 64 | 0b10 << 62 | tail
    return uuid.UUID(int=value)


def new_id() -> uuid.UUID:
    return uuid7()


def derived_id(base: uuid.UUID, index: int) -> uuid.UUID:
    """The `index`th id after `base` (a UUIDv7): of its millisecond and counter, next to it in order, and the same each
    time it is asked for, so a retry that reuses `base` names its companions' records as the first attempt did."""
    if not 0 < index <= _DERIVED:
        raise ValueError(f"derived ids are numbered 1 to {_DERIVED}")
    return uuid.UUID(int=base.int + index)
