"""What the two reports say: a person's trajectory, and a contact screening's result."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lianfang.common.chinese_font import ChineseFont
from lianfang.common.contracts.events import Direction, RecordStatus
from lianfang.trace.contacts.schemas import ContactOut, ContactsOut, SpanOut
from lianfang.trace.records.schemas import PersonFull, PersonOut, RecordOut
from lianfang.trace.reports.document import RED, Cell, ReportDocument
from lianfang.trace.trajectory.schemas import TrajectoryOut

__all__ = ["Printing", "contacts_report", "trajectory_report"]

# A reading at or above this is a fever on paper as on the gate's screen.
_FEVER = 37.3


@dataclass(frozen=True)
class Printing:
    """Who printed the report, when (Beijing time) and why."""

    by: str
    at: datetime
    reason: str | None


def _time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _period(start: datetime, end: datetime) -> str:
    return f"{_time(start)} 至 {_time(end)}（北京时间）"


def _person(person: PersonOut | None, unmasked: PersonFull | None) -> str:
    if person is None:
        return "查无此人（或其记录不在您的管辖范围内）"
    if unmasked is not None:
        parts = [
            unmasked.name,
            unmasked.phone and f"手机号 {unmasked.phone}",
            unmasked.id_card and f"身份证号 {unmasked.id_card}",
        ]
        return "　".join(part for part in parts if part) + "（完整信息，查看事由已记入访问日志）"
    return _masked(person)


def _masked(person: PersonOut, *, id_card: bool = True) -> str:
    parts = [
        person.name_masked,
        person.phone_masked and f"手机号 {person.phone_masked}",
        id_card and person.id_card_masked and f"身份证号 {person.id_card_masked}",
    ]
    return "　".join(part for part in parts if part) or "（未留姓名与号码）"


def _facts(document: ReportDocument, about: list[tuple[str, str]], printing: Printing) -> None:
    about += [("生成人", printing.by), ("生成时间", f"{_time(printing.at)}（北京时间）")]
    if printing.reason:
        about.append(("查询事由", printing.reason))
    document.facts(about)


def _minutes(span: SpanOut) -> int:
    return round((span.end - span.start).total_seconds() / 60)


def _stay(span: SpanOut | None, visit: RecordOut) -> str:
    if span is None:
        return "离开登记" if visit.direction is Direction.exit else "—"
    shown = f"{span.start:%H:%M}–{span.end:%H:%M}，"
    if span.start_assumed or span.end_assumed:
        return shown + f"约 {_minutes(span)} 分钟（按卡口类型估计）"
    return shown + f"{_minutes(span)} 分钟"


def _temperature(visit: RecordOut) -> Cell:
    if visit.temperature is None:
        return "—"
    # The font has no ℃ (U+2103).
    shown = f"{visit.temperature:.1f} °C"
    return (shown, RED) if visit.temperature >= _FEVER else shown


def _status(visit: RecordOut) -> Cell:
    return (visit.status_label, RED) if visit.status is RecordStatus.abnormal else visit.status_label


def trajectory_report(found: TrajectoryOut, printing: Printing, font: ChineseFont) -> bytes:
    document = ReportDocument(font, title="流调报告", subtitle="个人轨迹")
    fevers = sum(1 for visit in found.visits if visit.status is RecordStatus.abnormal)
    _facts(
        document,
        [
            ("被查询人", _person(found.person, found.unmasked)),
            ("查询时段", _period(found.start, found.end)),
            ("到访记录", f"{len(found.visits)} 条" + (f"，其中体温异常 {fevers} 条" if fevers else "")),
        ],
        printing,
    )
    document.heading("到访记录（按时间先后）")
    if found.truncated:
        document.note("记录过多，只列出最早的一部分；请缩短时段后分段打印。")
    stays = {span.record_id: span for span in found.stays}
    rows: list[list[Cell]] = [
        [
            str(number),
            _time(visit.checked_at),
            (visit.checkpoint_name or f"卡口 {visit.checkpoint_id}") + ("（同行人员）" if visit.companion else ""),
            visit.region_name or "—",
            _temperature(visit),
            _status(visit),
            _stay(stays.get(visit.id), visit),
        ]
        for number, visit in enumerate(found.visits, start=1)
    ]
    if rows:
        document.table(
            ["序号", "时间", "卡口", "所属地区", "体温", "状态", "停留"],
            rows,
            [0.07, 0.17, 0.22, 0.14, 0.09, 0.1, 0.21],
        )
    else:
        document.note("该时段内没有到访记录。")
    return document.pdf()


def _contact_rows(contacts: list[ContactOut], numbers: dict[str, int], *, via: bool) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for contact in contacts:
        closest = contact.overlaps[0]
        place = closest.checkpoint_name or f"卡口 {closest.checkpoint_id}"
        if len(contact.overlaps) > 1:
            place += f" 等 {len(contact.overlaps)} 处"
        together = (
            f"{contact.minutes_together:g} 分钟" if contact.minutes_together else f"相隔 {contact.gap_minutes:g} 分钟"
        )
        row: list[Cell] = [
            str(numbers[contact.id]),
            # A table cell holds the name and phone; the ID number is one click away in the SPA.
            _masked(contact.person, id_card=False),
            place,
            f"{_time(closest.their_stay.start)}–{closest.their_stay.end:%H:%M}",
            together,
        ]
        if via:
            row.append("、".join(str(numbers[source]) for source in contact.via if source in numbers) or "—")
        rows.append(row)
    return rows


def contacts_report(found: ContactsOut, printing: Printing, font: ChineseFont) -> bytes:
    document = ReportDocument(font, title="流调报告", subtitle="密接筛查")
    second = found.second_degree
    result = f"密接 {len(found.contacts)} 人" + (f"，次密接 {len(second)} 人" if second is not None else "")
    _facts(
        document,
        [
            ("被筛查人", _person(found.index.person, found.index.unmasked)),
            ("筛查时段", _period(found.start, found.end)),
            ("判定条件", f"同一卡口停留时段重叠，前后放宽 {found.window_minutes} 分钟"),
            ("筛查结果", result + ("（结果过多，只列出最近的一部分）" if found.truncated else "")),
        ],
        printing,
    )
    document.heading("一、被筛查人的停留")
    stays: list[list[Cell]] = [
        [
            str(number),
            _time(stay.start) + ("（估计）" if stay.start_assumed else ""),
            _time(stay.end) + ("（估计）" if stay.end_assumed else ""),
            stay.checkpoint_name or f"卡口 {stay.checkpoint_id}",
            stay.region_name or "—",
        ]
        for number, stay in enumerate(found.index.stays, start=1)
    ]
    if stays:
        document.table(["序号", "到达", "离开", "卡口", "所属地区"], stays, [0.07, 0.24, 0.24, 0.27, 0.18])
    else:
        document.note("该时段内没有停留记录。")
    numbers = {contact.id: number for number, contact in enumerate(found.contacts, start=1)}
    headers = ["序号", "人员", "接触地点", "对方停留", "同时在场"]
    document.heading(f"二、密接人员（{len(found.contacts)} 人，按接触程度由近及远）")
    if found.contacts:
        rows = _contact_rows(found.contacts, numbers, via=False)
        document.table(headers, rows, [0.07, 0.27, 0.24, 0.27, 0.15])
    else:
        document.note("未发现密接人员。")
    if second is not None:
        document.heading(f"三、次密接人员（{len(second)} 人）")
        numbers |= {contact.id: number for number, contact in enumerate(second, start=1)}
        if second:
            rows = _contact_rows(second, numbers, via=True)
            document.table([*headers, "经由密接"], rows, [0.07, 0.24, 0.2, 0.25, 0.12, 0.12])
        else:
            document.note("未发现次密接人员。")
    return document.pdf()
