"""Message bodies into events, or the reason a message goes to the dead-letter queue."""

from __future__ import annotations

from enum import StrEnum

from pydantic import TypeAdapter, ValidationError

from lianfang.common.contracts.events import CheckinCreated, CheckinDecided, CheckinEvent

__all__ = ["Rejected", "RejectionKind", "decode"]

_EVENTS: TypeAdapter[CheckinCreated | CheckinDecided] = TypeAdapter(CheckinEvent)
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


def decode(body: bytes) -> CheckinCreated | CheckinDecided:
    try:
        return _EVENTS.validate_json(body)
    except ValidationError as error:
        raise _rejection(error) from None


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
