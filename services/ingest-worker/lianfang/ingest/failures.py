"""Whose fault a failed write is: one message's (dead-letter it) or the database's (hold everything and try again).

Only an error about a value is a message's fault. Everything else — refused or lost connections, timeouts, locks,
deadlocks, a read-only or full server, a missing table — holds the batch: a wrong guess that way delays messages, the
other way sends good check-ins to the dead-letter queue.
"""

from __future__ import annotations

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

__all__ = ["describe", "is_message_problem"]

# MySQL errors about a value; the driver raises a few of them as OperationalError (1292, 1526, 4025).
_VALUE_ERRNOS = frozenset(
    {
        1048,  # column cannot be null
        1062,  # duplicate entry
        1264,  # out of range
        1265,  # data truncated
        1292,  # incorrect datetime (or other) value
        1366,  # incorrect string value
        1406,  # data too long
        1526,  # no partition for the value (only if `pmax` was dropped)
        3819,  # check constraint (MySQL)
        4025,  # check constraint (MariaDB)
    }
)


def is_message_problem(error: BaseException) -> bool:
    if isinstance(error, IntegrityError | DataError):
        return True
    if isinstance(error, DBAPIError):
        arguments: tuple[object, ...] = getattr(error.orig, "args", ())
        return bool(arguments) and arguments[0] in _VALUE_ERRNOS
    return False


def describe(error: BaseException) -> str:
    """One line for a log or a dead-letter header: the error's class and its first line, without the SQL after it."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"
