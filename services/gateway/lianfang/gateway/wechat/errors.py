from __future__ import annotations

from typing import Any

from lianfang.common.errors import (
    AppError,
    BadRequest,
    Forbidden,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
)

__all__ = [
    "WeChatCodeInvalid",
    "WeChatError",
    "WeChatPageInvalid",
    "WeChatPhoneCodeInvalid",
    "WeChatRateLimited",
    "WeChatSnapshotUser",
    "WeChatUnavailable",
    "WeChatUserBlocked",
]


class WeChatCodeInvalid(Unauthorized):
    code = "wechat_code_invalid"
    title = "登录凭证无效或已使用，请重新进入"


class WeChatPhoneCodeInvalid(BadRequest):
    # Not a 401: the resident's own token is fine, and a 401 would make the page log them out.
    code = "wechat_phone_code_invalid"
    title = "手机号授权凭证无效或已使用，请重新授权"


class WeChatUserBlocked(Forbidden):
    code = "wechat_user_blocked"
    title = "微信判定当前账号存在安全风险，暂时无法登录"


class WeChatSnapshotUser(Forbidden):
    code = "wechat_snapshot_user"
    title = "当前为微信快照页，请点击页面底部的“使用完整服务”后重新进入"


class WeChatRateLimited(TooManyRequests):
    code = "wechat_rate_limited"
    title = "微信接口调用过于频繁，请稍后再试"


class WeChatUnavailable(ServiceUnavailable):
    code = "wechat_unavailable"
    title = "微信服务暂不可用，请稍后重试"


class WeChatError(AppError):
    """WeChat refused a call for a reason the person cannot fix (a wrong AppSecret, a missing permission)."""

    status = 502
    code = "wechat_error"
    title = "微信接口调用失败，请稍后重试或联系管理员"

    def __init__(self, errcode: int | None, **kwargs: Any) -> None:
        detail = f"微信接口返回错误码 {errcode}" if errcode is not None else "微信接口返回了无法识别的内容"
        super().__init__(detail, **kwargs)
        self.errcode = errcode


class WeChatPageInvalid(AppError):
    """WeChat knows no such page in the mini-program's released version (41030): release the mini-program first, or make
    codes of another version (`LIANFANG_WECHAT_MP_ENV_VERSION`)."""

    status = 502
    code = "wechat_page_invalid"
    title = "小程序尚未发布该页面，无法生成小程序码"

    def __init__(self, page: str, **kwargs: Any) -> None:
        super().__init__(f"微信找不到已发布的小程序页面 {page}：请先发布小程序", **kwargs)
