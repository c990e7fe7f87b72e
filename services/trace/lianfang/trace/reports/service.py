from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends
from starlette.concurrency import run_in_threadpool

from lianfang.common.beijing import in_beijing
from lianfang.common.chinese_font import ChineseFont
from lianfang.trace.contacts.schemas import ContactsQuery
from lianfang.trace.contacts.service import Contacts, ContactService
from lianfang.trace.deps import Font
from lianfang.trace.reader import CurrentReader, Reader
from lianfang.trace.reports.stories import Printing, contacts_report, trajectory_report
from lianfang.trace.trajectory.schemas import TrajectoryQuery
from lianfang.trace.trajectory.service import Trajectories, TrajectoryService

__all__ = ["Report", "ReportService", "Reports"]


@dataclass(frozen=True)
class Report:
    filename: str
    # The ASCII name for clients that cannot read `filename*`.
    fallback: str
    content: bytes


class ReportService:
    """The trajectory and the contact screening, looked up exactly as their JSON calls do (the same scope, the same
    unmask rule, one access-log entry that says `format: pdf`), then printed."""

    def __init__(
        self, reader: Reader, *, trajectories: TrajectoryService, contacts: ContactService, font: ChineseFont
    ) -> None:
        self.reader = reader
        self.trajectory_lookup = trajectories
        self.contact_screening = contacts
        self.font = font

    async def trajectory(self, asked: TrajectoryQuery) -> Report:
        found = await self.trajectory_lookup.trajectory(asked, printed=True)
        printing = await self._printing(asked.reason)
        content = await run_in_threadpool(trajectory_report, found, printing, self.font)
        return Report(self._name("个人轨迹", printing), "trajectory-report.pdf", content)

    async def contacts(self, asked: ContactsQuery) -> Report:
        found = await self.contact_screening.screen(asked, printed=True)
        printing = await self._printing(asked.reason)
        content = await run_in_threadpool(contacts_report, found, printing, self.font)
        return Report(self._name("密接筛查", printing), "contacts-report.pdf", content)

    async def _printing(self, reason: str | None) -> Printing:
        # Tokens name an account by its id only: the report names the caller's region and the account's number.
        caller = self.reader.caller
        regions = await self.reader.directory.regions([caller.region_id], self.reader.token)
        region = regions.get(caller.region_id)
        by = f"{region.name if region else caller.region_path} 管理员（账号 {str(caller.id)[:8]}）"
        return Printing(by=by, at=in_beijing(datetime.now(UTC)), reason=reason)

    @staticmethod
    def _name(kind: str, printing: Printing) -> str:
        # Never the person's phone or ID number: file names end up in download folders and browser histories.
        return f"流调报告-{kind}-{printing.at:%Y%m%d-%H%M%S}.pdf"


async def report_service(
    reader: CurrentReader, trajectories: Trajectories, contacts: Contacts, font: Font
) -> ReportService:
    return ReportService(reader, trajectories=trajectories, contacts=contacts, font=font)


Reports = Annotated[ReportService, Depends(report_service)]
