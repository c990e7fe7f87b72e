from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel, Field

from lianfang.common.beijing import in_beijing
from lianfang.trace.models import AccessAction, AccessLogEntry

__all__ = ["ACTION_LABELS", "AccessLogOut", "AccessLogPage"]

ACTION_LABELS: Final = {
    AccessAction.person_search: "按人员检索记录",
    AccessAction.trajectory: "轨迹查询",
    AccessAction.contacts: "密接筛查",
    AccessAction.export: "导出记录",
    AccessAction.unmask: "查看完整信息",
    AccessAction.risk_notice: "风险告知",
}


class AccessLogOut(BaseModel):
    id: uuid.UUID
    at: datetime = Field(description="北京时间（+08:00）")
    actor_id: uuid.UUID
    actor_region_id: int
    actor_region_name: str | None = Field(default=None, description="操作人所属地区；地区服务暂不可用时为空")
    action: AccessAction
    action_label: str
    query: dict[str, Any] = Field(description="查询条件（个人信息已脱敏），不含查询结果")
    query_names: dict[str, str] = Field(
        default_factory=dict, description='查询条件中地区、卡口的名称，如 {"region_id": "长安区"}'
    )
    reason: str | None
    request_id: str | None

    @classmethod
    def of(cls, entry: AccessLogEntry) -> AccessLogOut:
        return cls(
            id=entry.id,
            at=in_beijing(entry.at),
            actor_id=entry.actor_id,
            actor_region_id=entry.actor_region_id,
            action=entry.action,
            action_label=ACTION_LABELS[entry.action],
            query=entry.query,
            reason=entry.reason,
            request_id=entry.request_id,
        )


class AccessLogPage(BaseModel):
    items: list[AccessLogOut]
    next_cursor: str | None
