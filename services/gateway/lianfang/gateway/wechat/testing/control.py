"""How a test in another process sets the fake up: the same calls as `FakeWeChat`'s, over HTTP under `/_fake/`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lianfang.gateway.wechat.testing.fake import FakeWeChat
from lianfang.gateway.wechat.testing.state import FakeEndpoint

__all__ = ["control_router"]


class LoginCodeIn(BaseModel):
    openid: str
    code: str | None = None
    unionid: str | None = None
    session_key: str | None = None
    appid: str | None = None
    blocked: bool = False


class OAuthCodeIn(BaseModel):
    openid: str
    code: str | None = None
    unionid: str | None = None
    scope: str = "snsapi_base"
    snapshot: bool = False
    appid: str | None = None


class PhoneCodeIn(BaseModel):
    phone_number: str
    code: str | None = None
    country_code: str = "86"
    appid: str | None = None


class SubscriptionIn(BaseModel):
    openid: str
    template_id: str
    times: int = Field(default=1, ge=1)


class FailureIn(BaseModel):
    endpoint: FakeEndpoint
    errcode: int | None = None
    status_code: int = 502
    times: int = Field(default=1, ge=1)


class CodeOut(BaseModel):
    code: str


def control_router(fake: FakeWeChat) -> APIRouter:
    router = APIRouter(prefix="/_fake")

    @router.post("/login-codes", status_code=201)
    async def add_login_code(body: LoginCodeIn) -> CodeOut:
        return CodeOut(code=fake.register_login_code(**body.model_dump()))

    @router.post("/oauth-codes", status_code=201)
    async def add_oauth_code(body: OAuthCodeIn) -> CodeOut:
        return CodeOut(code=fake.register_oauth_code(**body.model_dump()))

    @router.post("/phone-codes", status_code=201)
    async def add_phone_code(body: PhoneCodeIn) -> CodeOut:
        return CodeOut(code=fake.register_phone_code(**body.model_dump()))

    @router.post("/subscriptions", status_code=204)
    async def add_subscription(body: SubscriptionIn) -> None:
        fake.subscribe(body.openid, body.template_id, times=body.times)

    @router.get("/sent-messages")
    async def sent_messages() -> list[dict[str, Any]]:
        return [
            {"touser": m.touser, "template_id": m.template_id, "page": m.page, "data": m.data}
            for m in fake.sent_messages()
        ]

    @router.post("/failures", status_code=204)
    async def add_failure(body: FailureIn) -> None:
        if body.errcode is not None:
            fake.fail_next(body.endpoint, body.errcode, times=body.times)
        else:
            fake.break_next(body.endpoint, status_code=body.status_code, times=body.times)

    @router.get("/calls")
    async def calls() -> dict[str, int]:
        return fake.all_calls()

    @router.post("/access-tokens/revoke", status_code=204)
    async def revoke_access_tokens() -> None:
        fake.revoke_access_tokens()

    @router.post("/reset", status_code=204)
    async def reset() -> None:
        fake.reset()

    return router
