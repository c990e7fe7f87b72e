from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta
from urllib.parse import quote

import httpx
import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from lianfang.common.auth import ResidentPrincipal
from lianfang.common.beijing import BEIJING
from lianfang.common.testing import bearer, serve
from lianfang.trace.main import create_app
from lianfang.trace.settings import TraceSettings

from .conftest import AccessLogStore, RecordsStore
from .support import FakeRegistry, Person, admin, field_errors, id_card, record, since

pytestmark = pytest.mark.usefixtures("backend")

CSV = "/api/trace/export.csv"
XLSX = "/api/trace/export.xlsx"
ZHANG_ID = id_card(41)
ZHANG = Person("张三丰", "13812345678", ZHANG_ID, uuid.uuid4())
LI = Person("李四", "13900001111")
# A name a spreadsheet would run as a formula.
MALLORY = Person('=HYPERLINK("http://x")', "13700002222")
HEADERS = [
    "登记时间",
    "姓名",
    "手机号",
    "身份证号",
    "卡口",
    "卡口类型",
    "所属地区",
    "体温（℃）",
    "体温来源",
    "进出",
    "状态",
    "同行人员",
    "记录编号",
]
Rows = list[list[str]]


def csv_rows(response: httpx.Response) -> Rows:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def xlsx_rows(response: httpx.Response) -> list[list[object]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content), read_only=True)["登记记录"]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def shown(at: datetime) -> str:
    return at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture
async def stored(store: RecordsStore, base: datetime) -> list[str]:
    """Ids, newest first: Zhang's fever at the market, Li at the hospital, Zhang at the gate, Li in Tangshan."""
    rows = await store.add(
        record(LI, 8001, since(base, -30)),
        record(ZHANG, 4201, base),
        record(LI, 4301, since(base, 30)),
        record(ZHANG, 4203, since(base, 60), temperature=38.4, status="abnormal"),
    )
    return [str(row.id) for row in reversed(rows)]


@pytest.mark.usefixtures("stored")
class TestCsv:
    async def test_a_city_exports_its_records_newest_first_masked_with_chinese_headers_and_names(
        self, client: httpx.AsyncClient, stored: list[str], base: datetime
    ) -> None:
        rows = csv_rows(await client.get(CSV, headers=admin(7)))
        masked_id = f"130{'*' * 11}{ZHANG_ID[-4:]}"
        assert rows == [
            HEADERS,
            [shown(since(base, 60)), "张**", "138****5678", masked_id, "育才菜市场", "商超/市场", "育才街道", "38.4", "实测", "进", "体温异常", "否", stored[0]],
            [shown(since(base, 30)), "李*", "139****1111", "", "桥西区人民医院", "医院", "桥西区", "36.5", "实测", "进", "准许通行", "否", stored[1]],
            [shown(base), "张**", "138****5678", masked_id, "建明社区北门", "小区/社区", "建明社区", "36.5", "实测", "进", "准许通行", "否", stored[2]],
        ]  # fmt: skip

    @pytest.mark.parametrize(
        ("region_id", "expected"), [(1, [0, 1, 2, 3]), (8, [3]), (42, [0, 2]), (43, [1]), (91, [2])]
    )
    async def test_every_level_exports_its_subtree_only(
        self, client: httpx.AsyncClient, stored: list[str], region_id: int, expected: list[int]
    ) -> None:
        rows = csv_rows(await client.get(CSV, headers=admin(region_id)))
        assert [row[-1] for row in rows[1:]] == [stored[index] for index in expected]

    async def test_the_records_filters_apply(self, client: httpx.AsyncClient, stored: list[str]) -> None:
        by_status = csv_rows(await client.get(CSV, params={"status": "abnormal"}, headers=admin(1)))
        by_phone = csv_rows(await client.get(CSV, params={"phone": "13900001111", "region_id": 7}, headers=admin(1)))
        assert [row[-1] for row in by_status[1:]] == [stored[0]]
        assert [row[-1] for row in by_phone[1:]] == [stored[1]]

    async def test_the_file_is_named_in_chinese_for_new_clients_and_in_ascii_for_old(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get(CSV, headers=admin(1))
        disposition = response.headers["content-disposition"]
        assert disposition.startswith(f"attachment; filename=\"records.csv\"; filename*=UTF-8''{quote('登记记录-')}")
        assert disposition.endswith(".csv")
        assert response.headers["cache-control"] == "no-store"


@pytest.mark.usefixtures("stored")
class TestXlsx:
    async def test_the_workbook_holds_the_same_rows_with_excel_times(
        self, client: httpx.AsyncClient, stored: list[str], base: datetime
    ) -> None:
        header, *rows = xlsx_rows(await client.get(XLSX, headers=admin(42)))
        assert header == HEADERS
        assert [row[-1] for row in rows] == [stored[0], stored[2]]
        assert rows[0][:4] == [
            since(base, 60).astimezone(BEIJING).replace(tzinfo=None),
            "张**",
            "138****5678",
            f"130{'*' * 11}{ZHANG_ID[-4:]}",
        ]
        assert rows[0][4:12] == ["育才菜市场", "商超/市场", "育才街道", 38.4, "实测", "进", "体温异常", "否"]

    async def test_the_workbook_is_named_like_the_csv(self, client: httpx.AsyncClient) -> None:
        response = await client.get(XLSX, headers=admin(1))
        assert response.headers["content-disposition"].endswith(".xlsx")
        assert 'filename="records.xlsx"' in response.headers["content-disposition"]


HOSPITAL_VISIT = {
    "patient": "张三丰",
    "mobile": "13812345678",
    "contact_phone": "13700001234",
    "department": "发热门诊",
    "plate": "冀A12345",
    "purpose": "复诊",
}
GATE_VISIT = {"name": "李四", "phone": "13900001111", "purpose": "探亲", "resident": True}


class TestAnswers:
    @pytest.fixture
    async def filled(self, store: RecordsStore, base: datetime) -> list[str]:
        """Newest first: a hospital visit (template 2), a gate visit in version 2 of the gate form, one in version 1."""
        rows = await store.add(
            record(LI, 4201, base),
            record(LI, 4202, since(base, 10), form=(1, 2), answers=GATE_VISIT),
            record(ZHANG, 4301, since(base, 20), form=(2, 1), answers=HOSPITAL_VISIT),
        )
        return [str(row.id) for row in reversed(rows)]

    async def test_each_form_field_has_a_column_under_its_label_empty_where_a_form_lacks_it(
        self, client: httpx.AsyncClient, filled: list[str]
    ) -> None:
        header, *rows = csv_rows(await client.get(CSV, headers=admin(7)))
        assert header == [*HEADERS, "来访事由", "是否本小区居民", "紧急联系人电话", "就诊科室", "车牌号"]
        assert [row[-1 - 5] for row in rows] == filled
        assert [row[len(HEADERS) :] for row in rows] == [
            ["复诊", "", "137****1234", "发热门诊", "冀A12345"],
            ["探亲", "是", "", "", ""],
            ["", "", "", "", ""],
        ]

    async def test_a_full_export_shows_personal_answers_in_full(
        self, client: httpx.AsyncClient, filled: list[str]
    ) -> None:
        params: dict[str, str | int] = {"full": "true", "reason": "流调", "region_id": 43}
        header, *rows = xlsx_rows(await client.get(XLSX, params=params, headers=admin(7)))
        assert header[len(HEADERS) :] == ["紧急联系人电话", "就诊科室", "车牌号", "来访事由"]
        assert [row[len(HEADERS) :] for row in rows] == [["13700001234", "发热门诊", "冀A12345", "复诊"]]

    async def test_a_form_the_registry_cannot_name_adds_no_columns(
        self, client: httpx.AsyncClient, registry: FakeRegistry, filled: list[str]
    ) -> None:
        registry.down = True
        header, *rows = csv_rows(await client.get(CSV, headers=admin(7)))
        assert header == HEADERS
        assert len(rows) == 3


class TestFull:
    async def test_full_values_need_a_reason(self, client: httpx.AsyncClient, access_log: AccessLogStore) -> None:
        for params in ({"full": "true"}, {"full": "true", "reason": "  "}):
            assert field_errors(await client.get(XLSX, params=params, headers=admin(1))) == [("reason", "missing")]
        assert await access_log.entries() == []

    async def test_a_full_export_shows_the_decrypted_values_and_is_logged_with_its_reason(
        self, client: httpx.AsyncClient, store: RecordsStore, access_log: AccessLogStore, base: datetime
    ) -> None:
        await store.add(record(ZHANG, 4201, base))
        params = {"full": "true", "reason": "流调：病例 2026-17 密接通知", "phone": "13812345678"}
        (row,) = csv_rows(await client.get(CSV, params=params, headers=admin(42)))[1:]
        assert row[1:4] == ["张三丰", "13812345678", ZHANG_ID]
        (entry,) = await access_log.entries()
        assert (entry.action, entry.actor_region_id, entry.reason) == ("unmask", 42, "流调：病例 2026-17 密接通知")
        assert entry.query["phone"] == "138****5678"
        assert (entry.query["format"], entry.query["full"], entry.query["region_id"]) == ("csv", True, 42)
        assert "13812345678" not in str(entry.query)

    async def test_text_a_spreadsheet_would_run_stays_text(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        await store.add(record(MALLORY, 4201, base))
        params = {"full": "true", "reason": "核对"}
        (row,) = csv_rows(await client.get(CSV, params=params, headers=admin(1)))[1:]
        (xlsx_row,) = xlsx_rows(await client.get(XLSX, params=params, headers=admin(1)))[1:]
        assert row[1] == xlsx_row[1] == '\'=HYPERLINK("http://x")'

    async def test_control_and_invisible_characters_already_stored_never_break_the_file(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        # Stored before names were refused at input: NUL, a vertical tab, U+202E (reverses what follows), a zero-width space.
        await store.add(record(Person("\x00张\u000b三\u202e丰\u200b", "13812345678", ZHANG_ID), 4201, base))
        params = {"full": "true", "reason": "核对"}
        (row,) = csv_rows(await client.get(CSV, params=params, headers=admin(1)))[1:]
        (xlsx_row,) = xlsx_rows(await client.get(XLSX, params=params, headers=admin(1)))[1:]
        (masked,) = xlsx_rows(await client.get(XLSX, headers=admin(1)))[1:]
        assert row[1] == xlsx_row[1] == "张三丰"
        assert masked[1] == "******"


class TestAccessLog:
    async def test_every_export_is_logged_with_its_query_never_its_rows(
        self, client: httpx.AsyncClient, access_log: AccessLogStore, base: datetime
    ) -> None:
        period = {"from": since(base, -60).isoformat(), "to": since(base, 60).isoformat()}
        await client.get(XLSX, params=period | {"status": "abnormal", "checkpoint_id": 4203}, headers=admin(7))
        (entry,) = await access_log.entries()
        assert (entry.action, entry.actor_region_id, entry.reason, entry.subject) == ("export", 7, None, None)
        assert entry.query == {
            "region_id": 7,
            "from": since(base, -60).astimezone(BEIJING).isoformat(),
            "to": since(base, 60).astimezone(BEIJING).isoformat(),
            "checkpoint_id": 4203,
            "status": "abnormal",
            "format": "xlsx",
            "full": False,
        }


class TestSize:
    async def test_chunks_cover_every_record_once_across_equal_times(
        self, settings: TraceSettings, registry: FakeRegistry, store: RecordsStore, base: datetime
    ) -> None:
        # 100 a chunk: the 150 records of one instant straddle the first boundary.
        same_instant = [record(LI, 4201, base) for _ in range(150)]
        await store.add(*same_instant, *(record(LI, 4202, since(base, -minutes)) for minutes in range(1, 81)))
        app = create_app(
            settings.model_copy(update={"export_chunk_rows": 100}),
            registry_transport=httpx.MockTransport(registry.handle),
        )
        async with serve(app) as client:
            rows = csv_rows(await client.get(CSV, headers=admin(1)))[1:]
        assert len(rows) == 230
        assert len({row[-1] for row in rows}) == 230
        assert [row[0] for row in rows] == sorted((row[0] for row in rows), reverse=True)

    async def test_an_export_stops_at_the_limit_and_its_last_line_says_so(
        self, settings: TraceSettings, registry: FakeRegistry, store: RecordsStore, base: datetime
    ) -> None:
        await store.add(*(record(LI, 4201, since(base, minutes)) for minutes in range(5)))
        app = create_app(
            settings.model_copy(update={"export_max_rows": 3}),
            registry_transport=httpx.MockTransport(registry.handle),
        )
        async with serve(app) as client:
            csv_lines = csv_rows(await client.get(CSV, headers=admin(1)))[1:]
            xlsx_lines = xlsx_rows(await client.get(XLSX, headers=admin(1)))[1:]
        note = "已达导出上限 3 行，更早的记录未导出：请缩短时段或增加筛选条件后分批导出"
        assert [line[0] for line in csv_lines] == [shown(since(base, minutes)) for minutes in (4, 3, 2)] + [note]
        assert len(xlsx_lines) == 4
        assert xlsx_lines[-1][0] == note

    async def test_exactly_the_limit_needs_no_note(
        self, settings: TraceSettings, registry: FakeRegistry, store: RecordsStore, base: datetime
    ) -> None:
        await store.add(*(record(LI, 4201, since(base, minutes)) for minutes in range(3)))
        app = create_app(
            settings.model_copy(update={"export_max_rows": 3}),
            registry_transport=httpx.MockTransport(registry.handle),
        )
        async with serve(app) as client:
            assert len(csv_rows(await client.get(CSV, headers=admin(1)))) == 4


class TestBadInput:
    @pytest.mark.parametrize("path", [CSV, XLSX])
    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"from": "2026-11-20T00:00:00+08:00", "to": "2026-11-19T00:00:00+08:00"}, [("to", "period_order")]),
            ({"from": "2026-01-01T00:00:00+08:00", "to": "2026-06-01T00:00:00+08:00"}, [("from", "period_too_long")]),
            ({"status": "lost"}, [("status", "enum")]),
            ({"phone": "12345"}, [("phone", "invalid")]),
            ({"name": "张3"}, [("name", "invalid")]),
            ({"full": "maybe"}, [("full", "bool_parsing")]),
            ({"region_id": 999}, [("region_id", "not_found")]),
        ],
    )
    async def test_each_bad_filter_is_a_422_naming_its_field_and_nothing_is_logged(
        self,
        client: httpx.AsyncClient,
        access_log: AccessLogStore,
        path: str,
        params: dict[str, str | int],
        expected: list[tuple[str, str]],
    ) -> None:
        assert field_errors(await client.get(path, params=params, headers=admin(1))) == expected
        assert await access_log.entries() == []

    async def test_a_region_outside_the_subtree_is_forbidden(self, client: httpx.AsyncClient) -> None:
        response = await client.get(CSV, params={"region_id": 43}, headers=admin(42))
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")

    async def test_only_admins_export(self, client: httpx.AsyncClient) -> None:
        response = await client.get(XLSX, headers=bearer(ResidentPrincipal(uuid.uuid4())))
        assert response.status_code == 403


async def test_an_empty_export_is_its_header_alone(client: httpx.AsyncClient, base: datetime) -> None:
    period = {"from": (base - timedelta(days=30)).isoformat(), "to": (base - timedelta(days=29)).isoformat()}
    assert csv_rows(await client.get(CSV, params=period, headers=admin(1))) == [HEADERS]
