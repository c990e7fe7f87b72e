from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from lianfang.common.auth import AdminPrincipal
from lianfang.common.contracts.events import STATUS_LABELS, RecordStatus
from lianfang.common.errors import ValidationFailed
from lianfang.trace.audit.service import AccessLog
from lianfang.trace.deps import TraceParts
from lianfang.trace.directory import CheckpointInfo
from lianfang.trace.export.sheets import Cell, ExportFormat, spreadsheet
from lianfang.trace.models import AccessAction
from lianfang.trace.periods import shown
from lianfang.trace.records.repository import Keyset, RecordRepository, RecordRow, Sealed
from lianfang.trace.records.schemas import kind_label
from lianfang.trace.records.service import RecordFilter, RecordSearch, newest_first, next_keyset, resolve_search

__all__ = ["Export", "ExportService"]

_SOURCE_LABELS = {"measured": "实测", "reused": "沿用"}
_DIRECTION_LABELS = {"in": "进", "out": "出"}


@dataclass(frozen=True)
class Export:
    filename: str
    media_type: str
    content: AsyncIterator[bytes]


class ExportService:
    """The records filter written out as a file, read in keyset chunks of `LIANFANG_EXPORT_CHUNK_ROWS`, each in its own
    short read transaction, so neither memory nor a database snapshot grows with the size of the export."""

    def __init__(self, parts: TraceParts, caller: AdminPrincipal, token: str) -> None:
        self.parts = parts
        self.caller = caller
        self.token = token

    async def export(self, search: RecordSearch, *, format: ExportFormat, full: bool, reason: str | None) -> Export:
        """Checks the request and writes its access-log entry before a byte is sent: a full (unmasked) export is
        logged as `unmask` and needs a reason, any other as `export`."""
        if full and not (reason and reason.strip()):
            raise ValidationFailed.field("reason", "导出完整个人信息须填写事由", "missing")
        found = await resolve_search(self.parts, self.caller, self.token, search)
        action = AccessAction.unmask if full else AccessAction.export
        query = found.query() | {"format": format.value, "full": full}
        await AccessLog(self.parts.audit).record(self.caller, action, query, subject=found.person, reason=reason)
        stamp = shown(datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
        return Export(
            filename=f"登记记录-{stamp}.{format.value}",
            media_type=format.media_type,
            content=spreadsheet(format, self._rows(found, full=full)),
        )

    async def _rows(self, found: RecordFilter, *, full: bool) -> AsyncIterator[Sequence[Sequence[Cell]]]:
        settings = self.parts.settings
        left = settings.export_max_rows
        after: Keyset | None = None
        while left > 0:
            async with self.parts.records.sessionmaker() as session:
                records = RecordRepository(session)
                rows = await newest_first(records, found, after=after, limit=min(settings.export_chunk_rows, left))
                sealed = await records.sealed(found.period, [row.id for row in rows]) if full and rows else {}
            if not rows:
                return
            names = await self.parts.directory.checkpoints((row.checkpoint_id for row in rows), self.token)
            yield [self._line(row, names, sealed.get(row.id) if full else None) for row in rows]
            left -= len(rows)
            after = next_keyset(rows, after)
        async with self.parts.records.sessionmaker() as session:
            more = await newest_first(RecordRepository(session), found, after=after, limit=1)
        if more:
            limit = settings.export_max_rows
            yield [[f"已达导出上限 {limit} 行，更早的记录未导出：请缩短时段或增加筛选条件后分批导出"]]

    def _line(self, row: RecordRow, names: Mapping[int, CheckpointInfo], sealed: Sealed | None) -> list[Cell]:
        checkpoint = names.get(row.checkpoint_id)
        pii = self.parts.pii
        name, phone, id_card = row.name_masked, row.phone_masked, row.id_card_masked
        if sealed is not None:
            name = pii.decrypt(sealed.name) if sealed.name else None
            phone = pii.decrypt(sealed.phone) if sealed.phone else None
            id_card = pii.decrypt(sealed.id_card) if sealed.id_card else None
        return [
            shown(row.checked_at),
            name,
            phone,
            id_card,
            checkpoint.name if checkpoint else None,
            kind_label(row.checkpoint_kind),
            checkpoint.region_name if checkpoint else None,
            row.temperature,
            _SOURCE_LABELS.get(row.temperature_source or ""),
            _DIRECTION_LABELS.get(row.direction, row.direction),
            STATUS_LABELS[RecordStatus(row.status)],
            "是" if row.companion_of is not None else "否",
            str(row.id),
        ]
