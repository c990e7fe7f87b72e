"""The errmsg WeChat sends with each errcode, and what a proxy in front of it answers when WeChat is down."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["BAD_GATEWAY_PAGE", "ERRMSG"]

# The errmsg WeChat sends with each errcode (the per-API error tables and the common error code table).
ERRMSG: Final[Mapping[int, str]] = {
    -1: "system error",
    40001: (
        "invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken, "
        "more details at https://mmbizurl.cn/s/JtxxFh33r"
    ),
    40002: "invalid grant_type",
    40013: "invalid appid",
    40029: "invalid code",
    40125: "invalid appsecret",
    40163: "code been used",
    40226: "code blocked",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41008: "missing code",
    42001: "access_token expired",
    43002: "require POST method",
    40097: "invalid args",
    40129: "invalid scene",
    40169: "invalid length for scene, or the data is not json string",
    40003: "invalid openid",
    40037: "invalid template_id",
    41030: "invalid page",
    43101: "user refuse to accept the msg",
    47003: "argument invalid!",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit mustslower retry next minute",
    47001: "data format error",
    85096: "not allow include scancode_time field",
}

BAD_GATEWAY_PAGE: Final = "<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>"
