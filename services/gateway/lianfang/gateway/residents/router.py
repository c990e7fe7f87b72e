from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import State

from lianfang.common.auth import CurrentResident
from lianfang.common.contracts.paths import AUTH
from lianfang.common.db import transaction
from lianfang.common.direct import DirectEndpoint, documented_body, parse_body
from lianfang.common.errors import ServiceUnavailable, TooManyRequests, Unauthorized, ValidationFailed, error_responses
from lianfang.gateway.deps import Settings
from lianfang.gateway.metrics import counted_login
from lianfang.gateway.privacy.notice import VERSION as NOTICE_VERSION
from lianfang.gateway.residents.schemas import DevLogin, DevPhone, LoginConfig, PhoneBound, PhoneCode, WeChatCode
from lianfang.gateway.residents.service import Residents, ResidentService, resident_service
from lianfang.gateway.schemas import ResidentSession
from lianfang.gateway.sessions.service import session_service
from lianfang.gateway.wechat.errors import WeChatError, WeChatPhoneCodeInvalid, WeChatSnapshotUser, WeChatUserBlocked

__all__ = ["DIRECT_DEV_LOGINS", "DIRECT_LOGINS", "dev_router", "router"]

router = APIRouter(prefix=AUTH, tags=["居民登录"])
_wechat_errors = error_responses(
    Unauthorized, WeChatUserBlocked, WeChatSnapshotUser, TooManyRequests, ServiceUnavailable, WeChatError
)


@router.get("/config")
async def login_config(settings: Settings) -> LoginConfig:
    """For the H5 page, before anyone logs in: which login to offer, and the AppID its OAuth redirect names."""
    return LoginConfig(
        wechat_mode=settings.wechat_mode,
        h5_appid=settings.wechat_h5_appid or settings.wechat_appid or None,
        privacy_notice_version=NOTICE_VERSION,
        decision_template=settings.wechat_template_decision or None,
        checkout_reminder_template=settings.wechat_template_checkout_reminder or None,
        risk_notice_template=settings.wechat_template_risk_notice or None,
    )


BodyT = TypeVar("BodyT", bound=BaseModel)


async def _log_in(
    request: Request,
    kind: str,
    body: type[BodyT],
    login: Callable[[ResidentService, BodyT], Awaitable[ResidentSession]],
) -> Response:
    """A resident's login, taken by hand and answered ahead of FastAPI's routing (`main` makes the logins direct routes):
    it is the first step of the morning rush, and FastAPI's dependency solving and routing cost as much as its SQL."""
    parsed = parse_body(body, await request.body())
    async with transaction(request.app.state.database) as session, counted_login(kind):
        answer = await login(await _residents(request.app.state, session), parsed)
    return Response(answer.model_dump_json(), media_type="application/json")


async def _residents(state: State, session: AsyncSession) -> ResidentService:
    """What `Residents` hands a route, built by its providers from the same start-up objects: a direct route has no
    dependencies solved for it."""
    sessions = await session_service(session, state.settings, state.signer, state.cache, state.passwords, state.revoker)
    return await resident_service(session, sessions, state.pii, state.wechat)


def _login_route(body: type[BaseModel], responses: dict[int | str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "response_model": ResidentSession,
        "responses": responses | error_responses(ValidationFailed),
        "openapi_extra": documented_body(body),
    }


@router.post("/wechat/miniprogram", **_login_route(WeChatCode, _wechat_errors))
async def login_miniprogram(request: Request) -> Response:
    """Log in from the mini-program with the code of `wx.login`."""
    return await _log_in(request, "miniprogram", WeChatCode, lambda service, body: service.login_miniprogram(body.code))


@router.post("/wechat/h5", **_login_route(WeChatCode, _wechat_errors))
async def login_h5(request: Request) -> Response:
    """Log in from the H5 page inside WeChat with the code of the OAuth redirect."""
    return await _log_in(request, "h5", WeChatCode, lambda service, body: service.login_h5(body.code))


@router.post("/wechat/phone", responses=_wechat_errors | error_responses(WeChatPhoneCodeInvalid, ValidationFailed))
async def bind_phone(body: PhoneCode, resident: CurrentResident, residents: Residents) -> PhoneBound:
    """Bind the phone number WeChat vouches for (the code of `getPhoneNumber`), once per resident: a bound number is
    answered as it is, without asking WeChat (each answer is billed), unless `replace` is set."""
    return await residents.bind_phone_from_wechat(resident, body.code, replace=body.replace)


# Registered only when LIANFANG_WECHAT_MODE=dev: in live mode these paths do not exist (404).
dev_router = APIRouter(prefix=f"{AUTH}/dev", tags=["开发模式"])


@dev_router.post("/login", **_login_route(DevLogin, {}))
async def dev_login(request: Request) -> Response:
    """Development only: log in as the resident of any openid, without WeChat."""
    return await _log_in(request, "dev", DevLogin, lambda service, body: service.login(body.openid))


@dev_router.post("/phone")
async def dev_bind_phone(body: DevPhone, resident: CurrentResident, residents: Residents) -> PhoneBound:
    """Development only: bind a phone number without WeChat's confirmation."""
    return await residents.bind_phone(resident, body.phone)


# What `main` answers ahead of FastAPI's routing: path, endpoint and the body it reads.
DirectLogin = tuple[str, DirectEndpoint, type[BaseModel]]
DIRECT_LOGINS: Final[tuple[DirectLogin, ...]] = (
    (f"{AUTH}/wechat/miniprogram", login_miniprogram, WeChatCode),
    (f"{AUTH}/wechat/h5", login_h5, WeChatCode),
)
DIRECT_DEV_LOGINS: Final[tuple[DirectLogin, ...]] = ((f"{AUTH}/dev/login", dev_login, DevLogin),)
