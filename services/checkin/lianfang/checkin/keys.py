"""Where the check-in service keeps its state in Redis, and for how long. Nothing here is the only copy of a record: the
records store is; Redis holds what the hot path and the live views need, and may be lost without losing a check-in."""

from __future__ import annotations

import uuid
from typing import Final

__all__ = [
    "ARRIVALS_SECONDS",
    "CHECKOUT_REMINDERS_KEY",
    "CLAIM_SECONDS",
    "CODE_SECONDS",
    "EPOCH_KEY",
    "FEVER_DAYS",
    "FEVER_SECONDS",
    "HISTORY_LENGTH",
    "HISTORY_SECONDS",
    "IDEMPOTENCY_SECONDS",
    "PENDING_SECONDS",
    "PREFILL_SECONDS",
    "PROJECTION_PATTERN",
    "REBUILD_LOCK_KEY",
    "RECENT_EVENTS",
    "RECENT_EVENTS_SECONDS",
    "RECORD_SECONDS",
    "TEMPERATURE_SECONDS",
    "answers_key",
    "arrivals_key",
    "checkout_reminder_key",
    "checkout_reminder_member",
    "checkpoint_code_key",
    "client_key",
    "decision_key",
    "fever_key",
    "history_key",
    "identities_key",
    "live_channel",
    "pending_key",
    "prefill_key",
    "recent_events_key",
    "record_key",
    "stay_key",
    "temperature_key",
]

_PREFIX: Final = "lianfang:checkin:"
_DAY: Final = 24 * 3600

# A client id's first receipt answers its retries this long (DESIGN.md: idempotent for 24 hours).
IDEMPOTENCY_SECONDS: Final = _DAY
# A request holds its client id this long at most while it waits for the broker (whose own timeout is far shorter), so
# a process that died mid-request does not block the retry for long.
CLAIM_SECONDS: Final = 30
# The longest `temp_valid_minutes` a checkpoint may set (7 days).
TEMPERATURE_SECONDS: Final = 7 * _DAY
# A fever marks the person for 14 days (DESIGN.md, Rules of the domain).
FEVER_DAYS: Final = 14
FEVER_SECONDS: Final = FEVER_DAYS * _DAY
PREFILL_SECONDS: Final = 30 * _DAY
# Residents see their check-ins of the last 30 days, at most this many.
HISTORY_SECONDS: Final = 30 * _DAY
HISTORY_LENGTH: Final = 200
RECORD_SECONDS: Final = 30 * _DAY
# An undecided arrival leaves the pending list when its checkpoint has had no new one for this long.
PENDING_SECONDS: Final = 7 * _DAY
# Live events kept for streams that reconnect with `Last-Event-ID`.
RECENT_EVENTS: Final = 100
RECENT_EVENTS_SECONDS: Final = 3600
CODE_SECONDS: Final = _DAY
# A checkpoint's arrivals stay listed this long (the staff board shows the current Beijing day's): older ones are trimmed
# whenever a new one comes.
ARRIVALS_SECONDS: Final = 2 * _DAY

# Present while Redis holds the projection of the records store the gate needs: `<Redis run id>:<a uuid>`, written by the
# rebuild when it is complete. Missing (a flush, a restart without persistence, an empty replica) means lost; a run id
# other than the server's means restarted, which may have lost the last second of writes (appendfsync everysec).
EPOCH_KEY: Final = f"{_PREFIX}epoch"
# Held by whoever is rebuilding (an instance, or `lianfang rebuild-state`), renewed as it goes.
REBUILD_LOCK_KEY: Final = f"{_PREFIX}rebuild-lock"
# Every key of the projection, which a rebuild clears before it writes.
PROJECTION_PATTERN: Final = f"{_PREFIX}*"
# The 离开提醒 residents subscribed to: rebuilt with the open stays (the store keeps who subscribed), and kept outside the
# projection's prefix, so a rebuild on demand, which clears that prefix, never drops one that came due meanwhile. A
# sorted set of `checkout_reminder_member`s scored by when each is due (Unix milliseconds).
CHECKOUT_REMINDERS_KEY: Final = "lianfang:reminders:checkout"


def checkout_reminder_member(resident_id: uuid.UUID, checkpoint_id: int) -> str:
    """One reminder per resident and checkpoint, like their open stay: a new check-in there moves it."""
    return f"{resident_id}:{checkpoint_id}"


def checkout_reminder_key(member: str) -> str:
    """The reminder's `CheckoutReminderDue`, for as long as its stay and a day more."""
    return f"{CHECKOUT_REMINDERS_KEY}:{member}"


def client_key(client_id: uuid.UUID) -> str:
    """`claim:<token>` while a request with this client id is in flight, then the JSON of its receipt."""
    return f"{_PREFIX}client:{client_id}"


def temperature_key(identity: str) -> str:
    """`<value>|<measured at, ms since the epoch>`: the person's last measurement, at any checkpoint."""
    return f"{_PREFIX}temperature:{identity}"


def fever_key(identity: str) -> str:
    """`<value>|<measured at, ms>|<checkpoint name>` of the person's last fever, for 14 days."""
    return f"{_PREFIX}fever:{identity}"


def prefill_key(resident_id: uuid.UUID) -> str:
    """A hash: per form template, `<ms>|<the answers, encrypted>`; the newest answer per field key wins."""
    return f"{_PREFIX}prefill:{resident_id}"


def identities_key(record_id: uuid.UUID) -> str:
    """A fever's person as `|`-joined identities, strongest first (`checkins.people.identities`), for 14 days: whom a
    gate keeper's re-measure marks or clears (the record as staff see it carries no keyed hashes)."""
    return f"{_PREFIX}identities:{record_id}"


def record_key(record_id: uuid.UUID) -> str:
    """The record as residents and staff see it (`StoredRecord`), kept up to date with decisions."""
    return f"{_PREFIX}record:{record_id}"


def answers_key(record_id: uuid.UUID) -> str:
    """A pending record's answers for the gate keeper's approval card, `<template id>|<version>|<the answers, encrypted>`
    (as the event carries them), kept as long as the checkpoint's pending arrivals."""
    return f"{_PREFIX}answers:{record_id}"


def history_key(resident_id: uuid.UUID) -> str:
    """The ids of a resident's records (their companions' too), newest first."""
    return f"{_PREFIX}history:{resident_id}"


def pending_key(checkpoint_id: int) -> str:
    """A hash of the checkpoint's arrivals waiting for a decision: record id → `StoredRecord`."""
    return f"{_PREFIX}pending:{checkpoint_id}"


def arrivals_key(checkpoint_id: int) -> str:
    """A sorted set of the checkpoint's recent record ids scored by their check-in time (Unix milliseconds): what the
    staff board shows again after a reload, a reconnect or on another device."""
    return f"{_PREFIX}arrivals:{checkpoint_id}"


def decision_key(record_id: uuid.UUID) -> str:
    """Held while a decision on the record is being published, so that two staff members cannot both decide."""
    return f"{_PREFIX}decision:{record_id}"


def live_channel(database: int, checkpoint_id: int) -> str:
    """The pub/sub channel of the checkpoint's live events, each a complete server-sent event. A Redis server's channels
    are shared by all its databases: named without the database, two deployments sharing a server would each hear the
    other's gates of the same id."""
    return f"{_PREFIX}{database}:live:{checkpoint_id}"


def recent_events_key(checkpoint_id: int) -> str:
    """The checkpoint's last live events, newest first, for streams resuming after `Last-Event-ID`."""
    return f"{_PREFIX}events:{checkpoint_id}"


def checkpoint_code_key(checkpoint_id: int) -> str:
    """A checkpoint's code by its id: staff name checkpoints by id, configs are kept by code."""
    return f"{_PREFIX}checkpoint-code:{checkpoint_id}"


def stay_key(resident_id: uuid.UUID, checkpoint_id: int) -> str:
    """The resident's open stay at the checkpoint (`checkins.schemas.OpenStay`), until the kind's assumed stay is over or
    they check out: what the page offers 离开 for, and what the check-out repeats."""
    return f"{_PREFIX}stay:{resident_id}:{checkpoint_id}"
