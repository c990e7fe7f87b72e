"""The operation log (操作日志): who created, changed, switched off or deleted which account, region, checkpoint or
template, and which import ran. Each service logs what it owns, in its own database and in the change's own
transaction; this package is the table's shape, the writer and the read call they share."""

from lianfang.common.oplog.models import (
    ACTION_LABELS,
    TARGET_KIND_LABELS,
    OperationAction,
    OperationEntryColumns,
    TargetKind,
)
from lianfang.common.oplog.recorder import OperationLog, Target, describe, describe_changes
from lianfang.common.oplog.router import operation_log_router

__all__ = [
    "ACTION_LABELS",
    "TARGET_KIND_LABELS",
    "OperationAction",
    "OperationEntryColumns",
    "OperationLog",
    "Target",
    "TargetKind",
    "describe",
    "describe_changes",
    "operation_log_router",
]
