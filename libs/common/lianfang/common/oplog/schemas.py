from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from lianfang.common.oplog.models import (
    ACTION_LABELS,
    TARGET_KIND_LABELS,
    OperationAction,
    OperationEntryColumns,
    TargetKind,
)

__all__ = ["OperationEntryOut", "OperationEntryPage"]


class OperationEntryOut(BaseModel):
    id: uuid.UUID
    at: datetime
    operator_id: uuid.UUID
    operator_username: str
    operator_name: str
    operator_region_id: int
    action: OperationAction
    action_label: str
    target_kind: TargetKind
    target_kind_label: str
    target_id: str | None = Field(description="账号的 UUID、地区或卡口等的编号；导入为空")
    target_name: str = Field(description="对象的名称；导入为上传的文件名")
    region_id: int = Field(description="对象所在的地区（已删除的：删除时所在的地区）")
    summary: str = Field(description="改了什么，字段用中文名；不含密码和明文个人信息")

    @classmethod
    def of(cls, entry: OperationEntryColumns) -> OperationEntryOut:
        return cls(
            id=entry.id,
            at=entry.at,
            operator_id=entry.operator_id,
            operator_username=entry.operator_username,
            operator_name=entry.operator_name,
            operator_region_id=entry.operator_region_id,
            action=entry.action,
            action_label=ACTION_LABELS[entry.action],
            target_kind=entry.target_kind,
            target_kind_label=TARGET_KIND_LABELS[entry.target_kind],
            target_id=entry.target_id,
            target_name=entry.target_name,
            region_id=int(entry.region_path.strip("/").rsplit("/", 1)[-1]),
            summary=entry.summary,
        )


class OperationEntryPage(BaseModel):
    items: list[OperationEntryOut]
    next_cursor: str | None
