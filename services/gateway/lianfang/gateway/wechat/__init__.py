from lianfang.gateway.wechat.client import Clock, RetryPolicy, WeChatClient
from lianfang.gateway.wechat.errors import (
    WeChatCodeInvalid,
    WeChatError,
    WeChatPageInvalid,
    WeChatPhoneCodeInvalid,
    WeChatRateLimited,
    WeChatSnapshotUser,
    WeChatUnavailable,
    WeChatUserBlocked,
)
from lianfang.gateway.wechat.schemas import MiniProgramSession, OAuthAccessToken, PhoneNumber, PhoneWatermark

__all__ = [
    "Clock",
    "MiniProgramSession",
    "OAuthAccessToken",
    "PhoneNumber",
    "PhoneWatermark",
    "RetryPolicy",
    "WeChatClient",
    "WeChatCodeInvalid",
    "WeChatError",
    "WeChatPageInvalid",
    "WeChatPhoneCodeInvalid",
    "WeChatRateLimited",
    "WeChatSnapshotUser",
    "WeChatUnavailable",
    "WeChatUserBlocked",
]
