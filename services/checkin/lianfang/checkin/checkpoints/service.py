from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from cryptography.exceptions import InvalidTag
from fastapi import Depends

from lianfang.checkin.checkins.people import reusable, shown_time
from lianfang.checkin.checkins.repository import CheckinRepository, ResidentState
from lianfang.checkin.checkpoints.repository import CheckpointConfigs
from lianfang.checkin.checkpoints.schemas import (
    CheckpointInfo,
    CheckpointPage,
    CurrentStay,
    FormOut,
    LastTemperature,
    Notice,
    TemperatureState,
)
from lianfang.checkin.errors import StateUnavailable
from lianfang.checkin.keys import FEVER_DAYS
from lianfang.common.auth import ResidentPrincipal
from lianfang.common.beijing import beijing_today, in_beijing
from lianfang.common.contracts.checkpoints import CheckpointConfig
from lianfang.common.forms import FormDefinition
from lianfang.common.forms.answers import InvalidAnswer, clean_answer
from lianfang.common.pii import PiiCipher, PiiKeyError
from lianfang.common.state import app_state

__all__ = ["CheckpointPages", "Pages", "checkpoint_info"]

log = logging.getLogger("lianfang.checkin.checkpoints")


class CheckpointPages:
    """What the page opened from a checkpoint's QR code shows: the form, and for a resident what they gave last time."""

    def __init__(self, configs: CheckpointConfigs, repository: CheckinRepository, pii: PiiCipher) -> None:
        self._configs = configs
        self._repository = repository
        self._pii = pii

    async def page(self, code: str, resident: ResidentPrincipal | None) -> CheckpointPage:
        checkpoint = await self._configs.by_code(code)
        notices: list[Notice] = []
        if not checkpoint.active:
            notices.append(Notice(code="checkpoint_closed", level="error", message="该卡口已停用，暂不能登记"))
        state = await self._state(resident, checkpoint.id)
        temperature = TemperatureState(required=True)
        prefill: dict[str, Any] = {}
        companions: list[dict[str, Any]] = []
        stay = None
        if state is not None:
            now = datetime.now(UTC)
            reused = reusable(state.measurement, checkpoint, now)
            if reused is not None:
                valid_until = reused.measured_at + timedelta(minutes=checkpoint.temp_valid_minutes)
                last = LastTemperature(
                    value=reused.value, measured_at=in_beijing(reused.measured_at), valid_until=in_beijing(valid_until)
                )
                temperature = TemperatureState(required=False, last=last)
            fever = state.fever
            if fever is not None and now - fever.measured_at < timedelta(days=FEVER_DAYS):
                message = (
                    f"您 {shown_time(fever.measured_at)} 在{fever.checkpoint_name}测得体温 {fever.value:.1f} ℃，"
                    f"{FEVER_DAYS} 天内请主动向卡口工作人员说明"
                )
                notices.append(Notice(code="recent_fever", level="warning", message=message))
            prefill, companions = self._prefill(checkpoint.form, state.prefill)
            if state.stay is not None:
                stay = CurrentStay(
                    entry_id=state.stay.entry_id,
                    checked_at=in_beijing(state.stay.checked_at),
                    until=in_beijing(state.stay.until),
                    names_masked=[person.person.name_masked for person in state.stay.people],
                )
        return CheckpointPage(
            checkpoint=checkpoint_info(checkpoint),
            form=FormOut(
                template_id=checkpoint.template_id,
                template_version=checkpoint.template_version,
                fields=checkpoint.form.fields,
            ),
            prefill=prefill,
            companions=companions,
            temperature=temperature,
            notices=notices,
            stay=stay,
        )

    async def _state(self, resident: ResidentPrincipal | None, checkpoint_id: int) -> ResidentState | None:
        """Without Redis the page still opens: no prefill, and the temperature is asked for."""
        if resident is None or not self._repository.available:
            return None
        try:
            return await self._repository.resident_state(resident.id, checkpoint_id)
        except StateUnavailable:
            return None

    def _prefill(
        self, form: FormDefinition, stored: Mapping[bytes, bytes]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        answers: list[tuple[int, dict[str, Any]]] = []
        companions: tuple[int, list[Any]] | None = None
        for field, value in stored.items():
            stamp, _, sealed = value.partition(b"|")
            try:
                millis = int(stamp)
                decoded = json.loads(self._pii.decrypt(sealed.decode()))
            except (ValueError, PiiKeyError, InvalidTag):
                log.warning("an unreadable prefill entry %r", field)
                continue
            if field == b"companions" and isinstance(decoded, list):
                if companions is None or millis > companions[0]:
                    companions = (millis, decoded)
            elif field.startswith(b"template:") and isinstance(decoded, dict):
                answers.append((millis, decoded))
        merged: dict[str, Any] = {}
        for _, given in sorted(answers, key=lambda entry: entry[0]):
            merged.update(given)
        today = beijing_today()
        others = [
            _fit(form, given, today) for given in (companions[1] if companions else []) if isinstance(given, dict)
        ]
        return _fit(form, merged, today), others


def _fit(form: FormDefinition, answers: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """The answers this form has a field for, as that field accepts them now: options and rules may have changed."""
    fitted: dict[str, Any] = {}
    for field in form.fields:
        if field.key in answers:
            try:
                fitted[field.key] = clean_answer(field, answers[field.key], today=today)
            except InvalidAnswer:
                continue
    return fitted


def checkpoint_info(checkpoint: CheckpointConfig) -> CheckpointInfo:
    return CheckpointInfo(
        id=checkpoint.id,
        code=checkpoint.code,
        name=checkpoint.name,
        kind=checkpoint.kind,
        kind_label=checkpoint.kind_label,
        region_names=[step.name for step in checkpoint.regions],
        address=checkpoint.address,
        active=checkpoint.active,
        requires_audit=checkpoint.requires_audit,
        temp_valid_minutes=checkpoint.temp_valid_minutes,
        fever_threshold=checkpoint.fever_threshold,
    )


# Built once at start-up (`main`), as every check-in service is.
Pages = Annotated[CheckpointPages, Depends(app_state("pages"))]
