from __future__ import annotations

from lianfang.common.errors import Conflict, Forbidden, TooManyRequests, Unauthorized

__all__ = [
    "AccountDisabled",
    "AccountLocked",
    "InvalidCredentials",
    "PrivacyNoticeOutdated",
    "RefreshTokenInvalid",
    "RefreshTokenReused",
    "UsernameTaken",
]


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    title = "用户名或密码错误"
    commit_session = True  # the failure count must survive the refusal


class AccountLocked(TooManyRequests):
    code = "account_locked"
    title = "账号已临时锁定"
    commit_session = True


class AccountDisabled(Forbidden):
    code = "account_disabled"
    title = "账号已停用"
    commit_session = True  # the login log keeps the refused try


class RefreshTokenInvalid(Unauthorized):
    code = "refresh_token_invalid"
    title = "登录已失效，请重新登录"


class RefreshTokenReused(Unauthorized):
    code = "refresh_token_reused"
    title = "登录凭证已被使用，已强制退出所有相关登录"
    commit_session = True  # revoking the chain is the point of refusing


class UsernameTaken(Conflict):
    code = "username_taken"
    title = "用户名已被使用"


class PrivacyNoticeOutdated(Conflict):
    code = "privacy_notice_outdated"
    title = "个人信息处理告知已更新"
