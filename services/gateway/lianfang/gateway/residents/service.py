from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import ResidentPrincipal
from lianfang.common.db import DbSession
from lianfang.common.errors import NotFound, ValidationFailed
from lianfang.common.pii import PiiCipher, mask_phone
from lianfang.common.validators import MAINLAND_MOBILE
from lianfang.gateway.deps import Pii, WeChat
from lianfang.gateway.models import Resident
from lianfang.gateway.residents.repository import ResidentRepository
from lianfang.gateway.residents.schemas import PhoneBound
from lianfang.gateway.schemas import ResidentSession
from lianfang.gateway.sessions.service import Sessions, SessionService
from lianfang.gateway.wechat import WeChatClient

__all__ = ["ResidentService", "Residents"]


class ResidentService:
    def __init__(
        self, session: AsyncSession, sessions: SessionService, *, pii: PiiCipher, wechat: WeChatClient
    ) -> None:
        self.residents = ResidentRepository(session)
        self.sessions = sessions
        self.pii = pii
        self.wechat = wechat

    async def login(self, openid: str, unionid: str | None = None) -> ResidentSession:
        resident = await self.residents.upsert(openid, unionid)
        return await self.sessions.resident_session(resident)

    async def login_miniprogram(self, code: str) -> ResidentSession:
        answer = await self.wechat.code_to_session(code)
        return await self.login(answer.openid, answer.unionid)

    async def login_h5(self, code: str) -> ResidentSession:
        answer = await self.wechat.oauth_access_token(code)
        return await self.login(answer.openid, answer.unionid)

    async def bind_phone_from_wechat(self, principal: ResidentPrincipal, code: str, *, replace: bool) -> PhoneBound:
        """WeChat bills every number it hands out: a resident's number is asked for once, and afterwards the bound one is
        answered without spending the code, unless the resident asks to replace it."""
        resident = await self._resident(principal)
        if resident.phone_encrypted is not None and not replace:
            return self._bound(resident, self.pii.decrypt(resident.phone_encrypted))
        phone = await self.wechat.user_phone_number(code)
        if phone.country_code != "86" or not MAINLAND_MOBILE.match(phone.pure_phone_number):
            raise ValidationFailed.field("code", "目前只支持中国大陆手机号")
        return await self._bind(resident, phone.pure_phone_number)

    async def bind_phone(self, principal: ResidentPrincipal, phone: str) -> PhoneBound:
        return await self._bind(await self._resident(principal), phone)

    async def _resident(self, principal: ResidentPrincipal) -> Resident:
        resident = await self.residents.get(principal.id)
        if resident is None:
            raise NotFound("账号不存在")
        return resident

    async def _bind(self, resident: Resident, phone: str) -> PhoneBound:
        self._set_phone(resident, phone)
        await self.residents.session.flush()
        return self._bound(resident, phone)

    @staticmethod
    def _bound(resident: Resident, phone: str) -> PhoneBound:
        assert resident.phone_masked is not None
        # The full number goes to its owner only, to fill their own form.
        return PhoneBound(phone=phone, phone_masked=resident.phone_masked)

    def _set_phone(self, resident: Resident, phone: str) -> None:
        resident.phone_encrypted = self.pii.encrypt(phone)
        resident.phone_hash = self.pii.search_hash(phone)
        resident.phone_masked = mask_phone(phone)


async def resident_service(session: DbSession, sessions: Sessions, pii: Pii, wechat: WeChat) -> ResidentService:
    return ResidentService(session, sessions, pii=pii, wechat=wechat)


Residents = Annotated[ResidentService, Depends(resident_service)]
