from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from lianfang.common.db import UTCDateTime, utcnow
from lianfang.common.ids import new_id

__all__ = ["ACTION_LABELS", "TARGET_KIND_LABELS", "OperationAction", "OperationEntryColumns", "TargetKind"]


class TargetKind(StrEnum):
    account = "account"
    region = "region"
    checkpoint = "checkpoint"
    template = "template"
    # A checkpoint import names the file it read; what it made is counted in the summary.
    checkpoint_import = "import"


class OperationAction(StrEnum):
    """Stable codes, `<target kind>.<verb>`: clients filter by them and the labels may be reworded."""

    account_create = "account.create"
    account_update = "account.update"
    account_disable = "account.disable"
    account_enable = "account.enable"
    account_password_reset = "account.password_reset"  # noqa: S105 (an action code, not a password)
    region_create = "region.create"
    region_update = "region.update"
    region_delete = "region.delete"
    checkpoint_create = "checkpoint.create"
    checkpoint_update = "checkpoint.update"
    checkpoint_disable = "checkpoint.disable"
    checkpoint_enable = "checkpoint.enable"
    checkpoint_delete = "checkpoint.delete"
    template_create = "template.create"
    template_update = "template.update"
    template_delete = "template.delete"
    import_run = "import.run"
    import_dry_run = "import.dry_run"

    @property
    def target_kind(self) -> TargetKind:
        return TargetKind(self.value.partition(".")[0])


ACTION_LABELS = {
    OperationAction.account_create: "新建账号",
    OperationAction.account_update: "修改账号",
    OperationAction.account_disable: "停用账号",
    OperationAction.account_enable: "启用账号",
    OperationAction.account_password_reset: "重置密码",
    OperationAction.region_create: "新建地区",
    OperationAction.region_update: "修改地区",
    OperationAction.region_delete: "删除地区",
    OperationAction.checkpoint_create: "新建卡口",
    OperationAction.checkpoint_update: "修改卡口",
    OperationAction.checkpoint_disable: "停用卡口",
    OperationAction.checkpoint_enable: "启用卡口",
    OperationAction.checkpoint_delete: "删除卡口",
    OperationAction.template_create: "新建表单模板",
    OperationAction.template_update: "修改表单模板",
    OperationAction.template_delete: "删除表单模板",
    OperationAction.import_run: "导入卡口",
    OperationAction.import_dry_run: "试导入卡口",
}

TARGET_KIND_LABELS = {
    TargetKind.account: "账号",
    TargetKind.region: "地区",
    TargetKind.checkpoint: "卡口",
    TargetKind.template: "表单模板",
    TargetKind.checkpoint_import: "卡口导入",
}


class OperationEntryColumns:
    """One change made by an admin. Each service maps it on its own declarative base (table `operation_log`)."""

    __tablename__ = "operation_log"

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Index, ...]:
        # Scoped reads walk a subtree's entries newest first; the retention purge finds the oldest by time.
        return (
            Index("ix_operation_log_region_path_at", "region_path", "at"),
            Index("ix_operation_log_at", "at"),
            Index("ix_operation_log_operator_username", "operator_username"),
        )

    # A UUIDv7: newest first is descending id.
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    operator_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    operator_username: Mapped[str] = mapped_column(String(64))
    operator_name: Mapped[str] = mapped_column(String(64))
    operator_region_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[OperationAction] = mapped_column(
        Enum(
            OperationAction, native_enum=False, length=32, values_callable=lambda kinds: [kind.value for kind in kinds]
        )
    )
    target_kind: Mapped[TargetKind] = mapped_column(
        Enum(TargetKind, native_enum=False, length=16, values_callable=lambda kinds: [kind.value for kind in kinds])
    )
    target_id: Mapped[str | None] = mapped_column(String(64))
    target_name: Mapped[str] = mapped_column(String(128))
    # Where the target lies (a deleted one: where it lay), as the admins above it read it.
    region_path: Mapped[str] = mapped_column(String(255))
    # What changed, field names in Chinese; never a password nor a personal datum in clear.
    summary: Mapped[str] = mapped_column(String(500))
