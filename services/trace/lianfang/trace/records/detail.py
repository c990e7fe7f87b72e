from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.beijing import in_beijing
from lianfang.common.errors import NotFound
from lianfang.common.forms.shown import label_answers
from lianfang.trace.deps import RecordsSession
from lianfang.trace.models import AccessAction
from lianfang.trace.reader import CurrentReader, Reader
from lianfang.trace.records.answers import decrypt_answers
from lianfang.trace.records.repository import RecordRepository
from lianfang.trace.records.schemas import AnswerOut, RecordDetail, RecordOut
from lianfang.trace.unmask import logged_as, unsealed

__all__ = ["RecordDetailService", "RecordDetails"]


class RecordDetailService:
    def __init__(self, session: AsyncSession, reader: Reader) -> None:
        self.reader = reader
        self.records = RecordRepository(session)

    async def detail(self, record_id: uuid.UUID, *, unmask: bool, reason: str | None) -> RecordDetail:
        """One record of the caller's subtree with every answer under its label; in full only for a reason, which is
        written to the access log (as `unmask`) before anything is shown."""
        action = logged_as(AccessAction.unmask, unmask=unmask, reason=reason, refusal="查看完整个人信息须填写事由")
        reader = self.reader
        found = await self.records.details(await reader.scope(), record_id)
        if found is None:
            raise NotFound("登记记录不存在，或不在您的管辖范围内")
        row, filled, settled, sealed = found
        if unmask:
            # A masked look shows what the lists show: only an unmasked one is logged.
            await reader.log(action, {"record_id": str(record_id)}, subject=row.identity(), reason=reason)
        key = (filled.template_id, filled.template_version)
        names = await reader.checkpoints([row.checkpoint_id])
        form = (await reader.directory.form_versions([key], reader.token)).get(key)
        pii = reader.pii
        fields = form.fields if form is not None else []
        answers = label_answers(fields, decrypt_answers(pii, filled.answers_encrypted), full=unmask)
        unmasked = unsealed(pii, sealed) if unmask else None
        return RecordDetail(
            **RecordOut.of(row, names.get(row.checkpoint_id)).model_dump(),
            template_id=filled.template_id,
            template_version=filled.template_version,
            template_name=form.name if form else None,
            answers=[AnswerOut.of(answer) for answer in answers],
            temperature_measured_at=in_beijing(settled.temperature_measured_at)
            if settled.temperature_measured_at
            else None,
            entered_by_staff=settled.entered_by is not None,
            decided_at=in_beijing(settled.decided_at) if settled.decided_at else None,
            decision_reason=settled.decision_reason,
            unmasked=unmasked,
        )


async def record_detail_service(reader: CurrentReader, session: RecordsSession) -> RecordDetailService:
    return RecordDetailService(session, reader)


RecordDetails = Annotated[RecordDetailService, Depends(record_detail_service)]
