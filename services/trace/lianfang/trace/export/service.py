from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends

from lianfang.common.beijing import in_beijing
from lianfang.common.contracts.events import STATUS_LABELS, RecordStatus
from lianfang.common.db import Database
from lianfang.common.forms.shown import label_answers, personal_keys
from lianfang.common.pii import PiiCipher
from lianfang.trace.deps import RecordsStore
from lianfang.trace.directory import CheckpointInfo, FormVersion
from lianfang.trace.export.sheets import Cell, ExportFormat, spreadsheet
from lianfang.trace.models import AccessAction
from lianfang.trace.reader import CurrentReader, Reader
from lianfang.trace.records.answers import decrypt_answers
from lianfang.trace.records.repository import Filled, Keyset, RecordRepository, RecordRow, Sealed
from lianfang.trace.records.schemas import kind_label
from lianfang.trace.records.service import RecordFilter, RecordSearch, newest_first, next_keyset, resolve_search
from lianfang.trace.unmask import logged_as, unsealed

__all__ = ["AnswerColumns", "Export", "ExportService", "Exports"]

_SOURCE_LABELS = {"measured": "实测", "reused": "沿用"}
_DIRECTION_LABELS = {"in": "进", "out": "出"}


@dataclass(frozen=True)
class AnswerColumns:
    """A column per form field, headed by its label: fields of several templates (or versions) side by side, one
    column for fields that share a label. The person's own name, phone and ID number have their columns already."""

    headers: list[str]
    forms: Mapping[tuple[int, int], FormVersion]
    # Per form, the column of each of its field keys.
    columns: Mapping[tuple[int, int], Mapping[str, int]]

    @classmethod
    def of(cls, forms: Mapping[tuple[int, int], FormVersion]) -> AnswerColumns:
        headers: list[str] = []
        index: dict[str, int] = {}
        columns: dict[tuple[int, int], dict[str, int]] = {}
        for key in sorted(forms):
            form = forms[key]
            own = personal_keys(form.fields)
            placed = columns.setdefault(key, {})
            for field in form.fields:
                if field.key in own:
                    continue
                if field.label not in index:
                    index[field.label] = len(headers)
                    headers.append(field.label)
                placed[field.key] = index[field.label]
        return cls(headers, forms, columns)

    def cells(self, pii: PiiCipher, filled: Filled | None, *, full: bool) -> list[Cell]:
        cells: list[Cell] = [None] * len(self.headers)
        if filled is None or not self.headers:
            return cells
        key = (filled.template_id, filled.template_version)
        placed = self.columns.get(key)
        if not placed:
            return cells
        answers = decrypt_answers(pii, filled.answers_encrypted)
        for answer in label_answers(self.forms[key].fields, answers, full=full):
            if (column := placed.get(answer.key)) is not None:
                cells[column] = answer.text
        return cells


@dataclass(frozen=True)
class Export:
    filename: str
    media_type: str
    content: AsyncIterator[bytes]


class ExportService:
    """The records filter written out as a file, read in keyset chunks of `LIANFANG_EXPORT_CHUNK_ROWS`, each in its own
    short read transaction, so neither memory nor a database snapshot grows with the size of the export."""

    def __init__(self, records_store: Database, reader: Reader) -> None:
        self.records_store = records_store
        self.reader = reader

    async def export(self, search: RecordSearch, *, format: ExportFormat, full: bool, reason: str | None) -> Export:
        """Checks the request and writes its access-log entry before a byte is sent: a full (unmasked) export is
        logged as `unmask` and needs a reason, any other as `export`."""
        action = logged_as(AccessAction.export, unmask=full, reason=reason, refusal="导出完整个人信息须填写事由")
        found = await resolve_search(search, self.reader)
        query = found.query() | {"format": format.value, "full": full}
        await self.reader.log(action, query, subject=found.person, reason=reason)
        stamp = in_beijing(datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
        answers = await self._answer_columns(found)
        return Export(
            filename=f"登记记录-{stamp}.{format.value}",
            media_type=format.media_type,
            content=spreadsheet(format, self._rows(found, answers, full=full), answers.headers),
        )

    async def _answer_columns(self, found: RecordFilter) -> AnswerColumns:
        """The header must come first, so the forms the exported records were filled in are read before them: the same
        range scan as the rows, once more, reading two columns of each."""
        async with self.records_store.sessionmaker() as session:
            used = await RecordRepository(session).forms_used(
                found.scope, found.period, found.narrowing(), limit=self.reader.settings.export_max_rows
            )
        # A form the registry cannot name now gets no columns: the record's own columns are still exported.
        return AnswerColumns.of(await self.reader.directory.form_versions(used, self.reader.token))

    async def _rows(
        self, found: RecordFilter, answers: AnswerColumns, *, full: bool
    ) -> AsyncIterator[Sequence[Sequence[Cell]]]:
        reader = self.reader
        settings = reader.settings
        left = settings.export_max_rows
        after: Keyset | None = None
        while left > 0:
            async with self.records_store.sessionmaker() as session:
                records = RecordRepository(session)
                rows = await newest_first(records, found, after=after, limit=min(settings.export_chunk_rows, left))
                ids = [row.id for row in rows]
                sealed = await records.sealed(found.period, ids) if full and rows else {}
                filled = await records.filled(found.period, ids) if answers.headers and rows else {}
            if not rows:
                return
            names = await reader.checkpoints(row.checkpoint_id for row in rows)
            yield [
                self._line(row, names, sealed.get(row.id) if full else None)
                + answers.cells(reader.pii, filled.get(row.id), full=full)
                for row in rows
            ]
            left -= len(rows)
            after = next_keyset(rows, after)
        async with self.records_store.sessionmaker() as session:
            more = await newest_first(RecordRepository(session), found, after=after, limit=1)
        if more:
            limit = settings.export_max_rows
            yield [[f"已达导出上限 {limit} 行，更早的记录未导出：请缩短时段或增加筛选条件后分批导出"]]

    def _line(self, row: RecordRow, names: Mapping[int, CheckpointInfo], sealed: Sealed | None) -> list[Cell]:
        checkpoint = names.get(row.checkpoint_id)
        name, phone, id_card = row.name_masked, row.phone_masked, row.id_card_masked
        if sealed is not None:
            full = unsealed(self.reader.pii, sealed)
            name, phone, id_card = full.name, full.phone, full.id_card
        return [
            in_beijing(row.checked_at),
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


async def export_service(reader: CurrentReader, records_store: RecordsStore) -> ExportService:
    """The export reads in chunks of its own short transactions: it takes the store, not the request's session."""
    return ExportService(records_store, reader)


Exports = Annotated[ExportService, Depends(export_service)]
