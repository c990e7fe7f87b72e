from __future__ import annotations

from fastapi import APIRouter

from lianfang.common.auth import CurrentResident
from lianfang.common.contracts.paths import AUTH
from lianfang.common.db import DbSession
from lianfang.common.errors import ServiceUnavailable, TooManyRequests, Unauthorized, ValidationFailed, error_responses
from lianfang.gateway.deps import Gateway
from lianfang.gateway.metrics import counted_login
from lianfang.gateway.privacy.notice import VERSION as NOTICE_VERSION
from lianfang.gateway.residents.schemas import DevLogin, DevPhone, LoginConfig, PhoneBound, PhoneCode, WeChatCode
from lianfang.gateway.residents.service import ResidentService
from lianfang.gateway.schemas import ResidentSession
from lianfang.gateway.wechat.errors import WeChatError, WeChatPhoneCodeInvalid, WeChatSnapshotUser, WeChatUserBlocked

__all__ = ["dev_router", "router"]

router = APIRouter(prefix=AUTH, tags=["居民登录"])
_wechat_errors = error_responses(
    Unauthorized, WeChatUserBlocked, WeChatSnapshotUser, TooManyRequests, ServiceUnavailable, WeChatError
)


@router.get("/config")
async def login_config(parts: Gateway) -> LoginConfig:
    """For the H5 page, before anyone logs in: which login to offer, and the AppID its OAuth redirect names."""
    settings = parts.settings
    return LoginConfig(
        wechat_mode=settings.wechat_mode,
        h5_appid=settings.wechat_h5_appid or settings.wechat_appid or None,
        privacy_notice_version=NOTICE_VERSION,
        decision_template=settings.wechat_template_decision or None,
    )


@router.post("/wechat/miniprogram", responses=_wechat_errors)
async def login_miniprogram(body: WeChatCode, session: DbSession, parts: Gateway) -> ResidentSession:
    """Log in from the mini-program with the code of `wx.login`."""
    async with counted_login("miniprogram"):
        return await ResidentService(session, parts).login_miniprogram(body.code)


@router.post("/wechat/h5", responses=_wechat_errors)
async def login_h5(body: WeChatCode, session: DbSession, parts: Gateway) -> ResidentSession:
    """Log in from the H5 page inside WeChat with the code of the OAuth redirect."""
    async with counted_login("h5"):
        return await ResidentService(session, parts).login_h5(body.code)


@router.post("/wechat/phone", responses=_wechat_errors | error_responses(WeChatPhoneCodeInvalid, ValidationFailed))
async def bind_phone(body: PhoneCode, resident: CurrentResident, session: DbSession, parts: Gateway) -> PhoneBound:
    """Bind the phone number WeChat vouches for (the code of `getPhoneNumber`), once per resident: a bound number is
    answered as it is, without asking WeChat (each answer is billed), unless `replace` is set."""
    return await ResidentService(session, parts).bind_phone_from_wechat(resident, body.code, replace=body.replace)


# Registered only when LIANFANG_WECHAT_MODE=dev: in live mode these paths do not exist (404).
dev_router = APIRouter(prefix=f"{AUTH}/dev", tags=["开发模式"])


@dev_router.post("/login")
async def dev_login(body: DevLogin, session: DbSession, parts: Gateway) -> ResidentSession:
    """Development only: log in as the resident of any openid, without WeChat."""
    async with counted_login("dev"):
        return await ResidentService(session, parts).login(body.openid)


@dev_router.post("/phone")
async def dev_bind_phone(body: DevPhone, resident: CurrentResident, session: DbSession, parts: Gateway) -> PhoneBound:
    """Development only: bind a phone number without WeChat's confirmation."""
    return await ResidentService(session, parts).bind_phone(resident, body.phone)
