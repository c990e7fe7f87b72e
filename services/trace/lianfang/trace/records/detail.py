from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import AdminPrincipal
from lianfang.common.errors import NotFound, ValidationFailed
from lianfang.common.forms.shown import label_answers
from lianfang.trace.audit.service import AccessLog
from lianfang.trace.deps import TraceParts
from lianfang.trace.models import AccessAction
from lianfang.trace.periods import shown
from lianfang.trace.records.answers import decrypt_answers
from lianfang.trace.records.repository import RecordRepository
from lianfang.trace.records.schemas import AnswerOut, PersonFull, RecordDetail, RecordOut
from lianfang.trace.scope import caller_scope

__all__ = ["RecordDetailService"]


class RecordDetailService:
    def __init__(self, session: AsyncSession, parts: TraceParts, caller: AdminPrincipal, token: str) -> None:
        self.parts = parts
        self.caller = caller
        self.token = token
        self.records = RecordRepository(session)

    async def detail(self, record_id: uuid.UUID, *, unmask: bool, reason: str | None) -> RecordDetail:
        """One record of the caller's subtree with every answer under its label; in full only for a reason, which is
        written to the access log (as `unmask`) before anything is shown."""
        if unmask and not (reason and reason.strip()):
            raise ValidationFailed.field("reason", "查看完整个人信息须填写事由", "missing")
        scope = await caller_scope(self.caller, self.parts.directory, self.token)
        found = await self.records.details(scope, record_id)
        if found is None:
            raise NotFound("登记记录不存在，或不在您的管辖范围内")
        row, filled, settled, sealed = found
        if unmask:
            await AccessLog(self.parts.audit).record(
                self.caller, AccessAction.unmask, {"record_id": str(record_id)}, subject=row.identity(), reason=reason
            )
        directory = self.parts.directory
        key = (filled.template_id, filled.template_version)
        names = await directory.checkpoints([row.checkpoint_id], self.token)
        form = (await directory.form_versions([key], self.token)).get(key)
        pii = self.parts.pii
        fields = form.fields if form is not None else []
        answers = label_answers(fields, decrypt_answers(pii, filled.answers_encrypted), full=unmask)
        unmasked = None
        if unmask:
            unmasked = PersonFull(
                name=pii.decrypt(sealed.name) if sealed.name else None,
                phone=pii.decrypt(sealed.phone) if sealed.phone else None,
                id_card=pii.decrypt(sealed.id_card) if sealed.id_card else None,
            )
        return RecordDetail(
            **RecordOut.of(row, names.get(row.checkpoint_id)).model_dump(),
            template_id=filled.template_id,
            template_version=filled.template_version,
            template_name=form.name if form else None,
            answers=[AnswerOut.of(answer) for answer in answers],
            temperature_measured_at=shown(settled.temperature_measured_at) if settled.temperature_measured_at else None,
            entered_by_staff=settled.entered_by is not None,
            decided_at=shown(settled.decided_at) if settled.decided_at else None,
            decision_reason=settled.decision_reason,
            unmasked=unmasked,
        )
