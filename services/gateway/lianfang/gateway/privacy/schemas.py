from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

__all__ = ["ConsentGiven", "ConsentState", "NoticeSection", "PrivacyNotice"]


class NoticeSection(BaseModel):
    heading: str
    text: str


class PrivacyNotice(BaseModel):
    """The notice a resident reads before their first check-in: `summary` on the page, `full_text` behind its link."""

    version: str = Field(description="告知内容的版本；内容变化时版本随之变化，居民需重新确认")
    title: str
    summary: list[NoticeSection]
    sensitive: str = Field(description="敏感个人信息的单独告知（《个人信息保护法》第二十九、三十条）")
    retention_days: int = Field(description="登记记录的保存天数（服务器的 LIANFANG_RETENTION_DAYS）")
    full_text: list[NoticeSection]


class ConsentState(BaseModel):
    """Whether the caller has agreed to the current notice; `consented_version` is the latest version they agreed to."""

    current_version: str
    consented_version: str | None
    consented_at: datetime | None
    needed: bool


class ConsentGiven(BaseModel):
    version: str = Field(min_length=1, max_length=32, description="居民所阅读并同意的告知版本")
