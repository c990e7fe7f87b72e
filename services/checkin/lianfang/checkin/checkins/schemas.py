from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, Field

from lianfang.common.cards import CARD_MAX_LENGTH
from lianfang.common.contracts.events import Direction, PersonalData, RecordStatus, TemperatureSource

__all__ = [
    "MAX_COMPANIONS",
    "TEMPERATURE_MAX",
    "TEMPERATURE_MIN",
    "ArrivalWarning",
    "CheckinCreate",
    "CheckinHistory",
    "CheckinReceipt",
    "CheckinRecord",
    "CheckinSummary",
    "CheckoutCreate",
    "CheckoutReminderDue",
    "CheckpointRef",
    "CompanionCreate",
    "CompanionReceipt",
    "HandEntryCreate",
    "Location",
    "OpenStay",
    "RemeasureOut",
    "StayPerson",
    "Temperature",
    "TemperatureOut",
]

TEMPERATURE_MIN: Final = 35.0
TEMPERATURE_MAX: Final = 42.5
# Children and elderly people checked in from one phone; more than this is a group, which staff register by hand.
MAX_COMPANIONS: Final = 10


def _temperature(value: float) -> float:
    if not TEMPERATURE_MIN <= value <= TEMPERATURE_MAX:
        raise ValueError(f"体温应在 {TEMPERATURE_MIN}～{TEMPERATURE_MAX} ℃ 之间，请重新测量")
    return round(value, 1)


Temperature = Annotated[float, Field(allow_inf_nan=False), AfterValidator(_temperature)]


class CompanionCreate(BaseModel):
    answers: dict[str, Any]
    temperature: Temperature | None = Field(default=None, description="体温（℃）；不填则沿用其有效期内的上次测量")


class Location(BaseModel):
    """The resident's position as `wx.getLocation({type: 'gcj02'})` or the browser gives it."""

    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)
    accuracy: float = Field(default=0, ge=0, le=100_000, allow_inf_nan=False, description="定位精度（米）")


class CheckinCreate(BaseModel):
    checkpoint_code: str = Field(min_length=1, max_length=32)
    client_id: uuid.UUID = Field(description="客户端为这次登记生成的编号：重试时原样再发，24 小时内只登记一次")
    answers: dict[str, Any]
    temperature: Temperature | None = Field(default=None, description="体温（℃）；不填则沿用其有效期内的上次测量")
    direction: Direction = Direction.entry
    companions: list[CompanionCreate] = Field(default_factory=list, max_length=MAX_COMPANIONS)
    location: Location | None = Field(
        default=None, description="居民同意后的位置（GCJ-02）：只用于计算与卡口的距离，坐标不保存"
    )
    location_consent: bool = Field(default=False, description="居民已同意使用其位置；未同意时 location 被丢弃")
    scan_scene: int | None = Field(
        default=None,
        ge=1000,
        le=9999,
        description="小程序的打开场景值：1011/1047 相机扫码，1012/1013/1048/1049 识别图片",
    )
    remind_checkout: bool = Field(
        default=False,
        description="居民在小程序中同意了离开提醒的订阅消息：停留时长结束仍未登记离开时提醒一次",
    )


class HandEntryCreate(BaseModel):
    """A visitor without a smartphone, registered by the staff member at the gate."""

    client_id: uuid.UUID = Field(description="重试时原样再发，24 小时内只登记一次")
    name: str | None = Field(default=None, max_length=64, description="有身份证号时可不填")
    phone: str | None = Field(default=None, max_length=32)
    id_card: str | None = Field(default=None, max_length=32)
    card: str | None = Field(
        default=None,
        max_length=CARD_MAX_LENGTH,
        description="扫到的个人码内容：登记其上的人，此时不填姓名、手机号和身份证号",
    )
    temperature: Temperature
    direction: Direction = Direction.entry


class TemperatureOut(BaseModel):
    value: float
    source: TemperatureSource
    measured_at: datetime


class CheckpointRef(BaseModel):
    code: str
    name: str
    kind_label: str


class CompanionReceipt(BaseModel):
    id: uuid.UUID
    status: RecordStatus
    status_label: str
    temperature: TemperatureOut
    name_masked: str | None


class CheckinReceipt(BaseModel):
    """What the resident shows at the gate: green 准许通行, yellow 待审核, red 体温异常."""

    id: uuid.UUID
    status: RecordStatus
    status_label: str
    temperature: TemperatureOut
    checked_at: datetime
    direction: Direction
    checkpoint: CheckpointRef
    name_masked: str | None
    companions: list[CompanionReceipt]

    @classmethod
    def of(cls, main: CheckinRecord, companions: Sequence[CheckinRecord]) -> CheckinReceipt:
        """The receipt of a check-in's records: the one checking in, then their companions."""
        return cls(
            id=main.id,
            status=main.status,
            status_label=main.status_label,
            temperature=main.temperature,
            checked_at=main.checked_at,
            direction=main.direction,
            checkpoint=CheckpointRef(
                code=main.checkpoint_code, name=main.checkpoint_name, kind_label=main.checkpoint_kind_label
            ),
            name_masked=main.name_masked,
            companions=[
                CompanionReceipt(
                    id=record.id,
                    status=record.status,
                    status_label=record.status_label,
                    temperature=record.temperature,
                    name_masked=record.name_masked,
                )
                for record in companions
            ],
        )


class ArrivalWarning(BaseModel):
    code: Literal["fever_now", "recent_fever", "outside_radius", "remote_scan"]
    message: str


class RemeasureOut(BaseModel):
    """The fever taken again by a gate keeper; it decided the record's status (its first reading is `temperature`)."""

    value: float
    measured_by: uuid.UUID
    measured_by_name: str | None = Field(description="复测的执勤人员；网关不可用时为空")
    measured_at: datetime


class CheckinRecord(BaseModel):
    """A record as the live views show it: kept in Redis for 30 days, updated by decisions, streamed to staff."""

    id: uuid.UUID
    checkpoint_id: int
    checkpoint_code: str
    checkpoint_name: str
    checkpoint_kind_label: str
    city_code: str
    checked_at: datetime
    status: RecordStatus
    status_label: str
    temperature: TemperatureOut
    direction: Direction
    resident_id: uuid.UUID | None = None
    companion_of: uuid.UUID | None = None
    entered_by: uuid.UUID | None = None
    name_masked: str | None = None
    phone_masked: str | None = None
    id_card_masked: str | None = None
    warnings: list[ArrivalWarning] = Field(default_factory=list)
    decided_by: uuid.UUID | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    distance_m: int | None = Field(default=None, description="与卡口的距离（米），居民同意共享位置时才有")
    outside_radius: bool | None = None
    remote_scan: bool = Field(default=False, description="非现场扫码：从相册或聊天图片识别的二维码进入")
    remeasure: RemeasureOut | None = Field(default=None, description="执勤人员复测的体温：以复测为准")


class CheckinSummary(BaseModel):
    id: uuid.UUID
    checkpoint: CheckpointRef
    status: RecordStatus
    status_label: str
    temperature: TemperatureOut
    checked_at: datetime
    direction: Direction
    name_masked: str | None
    companion_of: uuid.UUID | None
    decided_at: datetime | None
    reason: str | None


class CheckinHistory(BaseModel):
    items: list[CheckinSummary]
    next_cursor: str | None


class CheckoutCreate(BaseModel):
    checkpoint_code: str = Field(min_length=1, max_length=32)
    client_id: uuid.UUID = Field(description="客户端为这次离开登记生成的编号：重试时原样再发，24 小时内只登记一次")


class StayPerson(BaseModel):
    """One person of an open stay as their check-in recorded them: their check-out carries the same."""

    entry_id: uuid.UUID
    person: PersonalData
    answers_encrypted: str
    temperature: TemperatureOut


class OpenStay(BaseModel):
    """A resident's check-in (with their companions) at a checkpoint, kept in Redis until its kind's assumed stay is
    over or they check out."""

    entry_id: uuid.UUID
    checked_at: datetime
    until: datetime
    people: list[StayPerson]


class CheckoutReminderDue(BaseModel):
    """A 离开提醒 the resident subscribed to, due when their stay's assumed length is over (`reminders`)."""

    resident_id: uuid.UUID
    checkpoint_id: int
    checkpoint_name: str
    checked_at: datetime
    due: datetime
