"""Message bodies into events, or the reason a message (or one event of it) goes to the dead-letter queue."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from pydantic import TypeAdapter, ValidationError
from pydantic_core import to_json

from lianfang.common.contracts.events import CheckinCreated, CheckinDecided, CheckinEvent

__all__ = ["Part", "Rejected", "RejectionKind", "UnreadablePart", "decode", "read"]

_EVENTS: TypeAdapter[CheckinCreated | CheckinDecided] = TypeAdapter(CheckinEvent)
_BATCH: TypeAdapter[list[CheckinCreated | CheckinDecided]] = TypeAdapter(list[CheckinEvent])
# A header is read by a person going through the dead-letter queue, not a place for a whole validation report.
_MAX_DETAIL = 300


class RejectionKind(StrEnum):
    """Why a message was dead-lettered: the first word of its `x-death-reason` header and the metrics' label."""

    invalid_json = "invalid_json"
    unknown_event = "unknown_event"
    unknown_schema_version = "unknown_schema_version"
    invalid_event = "invalid_event"
    unstorable = "unstorable"


class Rejected(Exception):
    def __init__(self, kind: RejectionKind, detail: str) -> None:
        super().__init__(f"{kind}: {detail}"[:_MAX_DETAIL])
        self.kind = kind

    @property
    def reason(self) -> str:
        return str(self)


@dataclass(frozen=True, slots=True)
class Part:
    """One event of a message: `position` is its place in the message's array, None when the message is the event."""

    position: int | None
    event: CheckinCreated | CheckinDecided


@dataclass(frozen=True, slots=True)
class UnreadablePart:
    """An event of a message's array that cannot be read: it alone goes to the dead-letter queue, as `body`, and the
    message's other events are stored."""

    position: int
    body: bytes
    rejected: Rejected


def decode(body: bytes) -> CheckinCreated | CheckinDecided:
    try:
        return _EVENTS.validate_json(body)
    except ValidationError as error:
        raise _rejection(error) from None


def read(body: bytes) -> list[Part | UnreadablePart]:
    """The events of a message: the body is one event, or a JSON array of them (`contracts.events.batch_body`).
    Raises `Rejected` when the message as a whole cannot be read."""
    if body.lstrip()[:1] != b"[":
        return [Part(None, decode(body))]
    try:
        events = _BATCH.validate_json(body)
    except ValidationError as error:
        return _parts_one_by_one(body, error)
    if not events:
        raise Rejected(RejectionKind.invalid_event, "the message holds an empty list of events")
    return [Part(position, event) for position, event in enumerate(events)]


def _parts_one_by_one(body: bytes, error: ValidationError) -> list[Part | UnreadablePart]:
    """The slow way, for an array with an event that cannot be read: each event on its own."""
    try:
        items = json.loads(body)
    except ValueError:
        raise _rejection(error) from None
    parts: list[Part | UnreadablePart] = []
    for position, item in enumerate(items):
        own = to_json(item)
        try:
            parts.append(Part(position, decode(own)))
        except Rejected as rejected:
            parts.append(UnreadablePart(position, own, rejected))
    return parts


def _rejection(error: ValidationError) -> Rejected:
    problems = error.errors(include_url=False, include_input=False)
    kinds = {problem["type"] for problem in problems}
    if "json_invalid" in kinds:
        return Rejected(RejectionKind.invalid_json, problems[0]["msg"])
    if kinds & {"union_tag_not_found", "union_tag_invalid", "dict_type", "model_type"}:
        return Rejected(RejectionKind.unknown_event, problems[0]["msg"])
    for problem in problems:
        # A version this worker does not know may differ in any field: its other problems say nothing.
        if problem["loc"][1:] == ("schema_version",):
            return Rejected(RejectionKind.unknown_schema_version, f"{problem['loc'][0]} schema_version is not 1")
    return Rejected(
        RejectionKind.invalid_event,
        "; ".join(f"{'.'.join(map(str, problem['loc'][1:]))}: {problem['msg']}" for problem in problems),
    )
