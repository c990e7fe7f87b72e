from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import AdminPrincipal
from lianfang.common.oplog.models import OperationAction, OperationEntryColumns

__all__ = ["OperationLog", "Target", "describe", "describe_changes"]

_SUMMARY_LENGTH = 500
_NAME_LENGTH = 128


@dataclass(frozen=True)
class Target:
    """What an operation was done to, as its admins will read it: a name, and the region it lies (or lay) in."""

    id: str | None
    name: str
    region_path: str


def describe(values: Mapping[str, str]) -> str:
    """`名称：甲；类型：医院` for each shown field that has a value: what was made, or what was deleted."""
    return "；".join(f"{label}：{value}" for label, value in values.items() if value)


def describe_changes(before: Mapping[str, str], after: Mapping[str, str]) -> str:
    """`名称：甲 → 乙；地址：空 → 解放路 1 号` for each shown field (keyed by its Chinese label) whose value changed."""
    return "；".join(
        f"{label}：{before.get(label) or '空'} → {value or '空'}"
        for label, value in after.items()
        if before.get(label) != value
    )


class OperationLog:
    """Adds entries to the session of the change they describe: both are committed, or neither."""

    def __init__(self, session: AsyncSession, model: type[OperationEntryColumns], caller: AdminPrincipal) -> None:
        self.session = session
        self.model = model
        self.caller = caller

    def record(self, action: OperationAction, target: Target, summary: str = "") -> None:
        # Attribute by attribute: the mixin's type knows its columns but not the constructor its mapping gives it.
        entry = self.model()
        entry.operator_id = self.caller.id
        entry.operator_username = self.caller.username[:64]
        entry.operator_name = self.caller.name[:64]
        entry.operator_region_id = self.caller.region_id
        entry.action = action
        entry.target_kind = action.target_kind
        entry.target_id = target.id
        entry.target_name = target.name[:_NAME_LENGTH]
        entry.region_path = target.region_path
        entry.summary = summary[:_SUMMARY_LENGTH]
        self.session.add(entry)
