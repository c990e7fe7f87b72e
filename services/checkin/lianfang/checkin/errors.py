from __future__ import annotations

from typing import Any

from lianfang.common.contracts.checkpoints import CheckpointNotFound
from lianfang.common.errors import Conflict, Forbidden, NotFound, ServiceUnavailable

__all__ = [
    "AlreadyDecided",
    "CheckinInProgress",
    "CheckpointClosed",
    "CheckpointNotFound",
    "ClientIdTaken",
    "NotAbnormal",
    "NotCheckedIn",
    "NotOnDuty",
    "RecordNotFound",
    "RegistryUnavailable",
    "StateRebuilding",
    "StateUnavailable",
]


class CheckpointClosed(Conflict):
    code = "checkpoint_closed"
    title = "该卡口已停用，暂不能登记"


class RecordNotFound(NotFound):
    code = "record_not_found"
    title = "登记记录不存在"


class AlreadyDecided(Conflict):
    code = "already_decided"
    title = "该登记已审核"


class NotAbnormal(Conflict):
    code = "not_abnormal"
    title = "只有体温异常的登记可以复测"


class NotCheckedIn(Conflict):
    """A check-out without a check-in of the caller's there within the checkpoint kind's assumed stay."""

    code = "not_checked_in"
    title = "您未在此卡口登记进入，或已超过停留时间，无需登记离开"


class NotOnDuty(Forbidden):
    code = "not_on_duty"
    title = "您不是该卡口的执勤人员"


class CheckinInProgress(Conflict):
    """A retry whose first attempt is still waiting for the broker after `duplicate_wait_seconds`."""

    code = "checkin_in_progress"
    title = "该登记正在提交，请稍后再试"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.headers.setdefault("Retry-After", "2")


class ClientIdTaken(Conflict):
    """A client id another resident (or staff member) used first: its receipt is theirs alone."""

    code = "client_id_taken"
    title = "该登记编号已被他人使用"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(detail or "请刷新页面后重新登记", **kwargs)


class StateUnavailable(ServiceUnavailable):
    code = "redis_unavailable"
    title = "实时数据暂不可用，请稍后重试"

    def __init__(self, detail: str | None = None, *, retry_after: int = 5, **kwargs: Any) -> None:
        super().__init__(detail, retry_after=retry_after, **kwargs)


class RegistryUnavailable(ServiceUnavailable):
    code = "registry_unavailable"
    title = "卡口信息暂时无法获取，请稍后重试"

    def __init__(self, detail: str | None = None, *, retry_after: int = 5, **kwargs: Any) -> None:
        super().__init__(detail, retry_after=retry_after, **kwargs)


class StateRebuilding(ServiceUnavailable):
    """Redis lost the gate's state and is being rebuilt from the records store: an answer now could be wrong."""

    code = "state_rebuilding"
    title = "系统正在恢复实时数据，请稍后重试"

    def __init__(self, detail: str | None = None, *, retry_after: int = 2, **kwargs: Any) -> None:
        super().__init__(detail, retry_after=retry_after, **kwargs)
