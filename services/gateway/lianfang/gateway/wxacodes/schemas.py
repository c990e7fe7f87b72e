from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["WxacodeRequest"]


class WxacodeRequest(BaseModel):
    """What `wxacode.getUnlimited` takes, within WeChat's documented bounds."""

    scene: str = Field(
        pattern=r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$", description="扫码后页面 onLoad 收到的 scene"
    )
    page: str = Field(
        pattern=r"^[A-Za-z0-9_\-]+(/[A-Za-z0-9_\-]+)*$", max_length=128, description="不以 / 开头，不带参数"
    )
    width: int = Field(default=430, ge=280, le=1280)
    env_version: Literal["release", "trial", "develop"] = "release"
    check_path: bool = True
