from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest

from lianfang.common.testing import serve
from lianfang.trace.main import create_app
from lianfang.trace.settings import TraceSettings

from .conftest import AccessLogStore, RecordsStore
from .support import FakeRegistry, Json, Person, admin, field_errors, id_card, record, since

pytestmark = pytest.mark.usefixtures("backend")

TRAJECTORY = "/api/trace/people/trajectory"
CONTACTS = "/api/trace/contacts"
ZHANG = Person("张三丰", "13812345678", id_card(41), uuid.uuid4())
AN = Person("安小红", "13900000001", id_card(42))
GU = Person("顾念", "13900000007", id_card(43))


def pdftotext(pdf: bytes) -> str:
    binary = shutil.which("pdftotext")
    if binary is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        return subprocess.run([binary, "-layout", file.name, "-"], check=True, capture_output=True, text=True).stdout


def filename(response: httpx.Response) -> str:
    disposition = response.headers["content-disposition"]
    found = re.search(r"filename\*=UTF-8''(\S+)", disposition)
    assert found is not None, disposition
    return unquote(found.group(1))


def pages(text: str) -> list[tuple[int, int]]:
    """Each footer's page number and page count (poppler drops the spaces between Chinese and digits)."""
    return [(int(page), int(total)) for page, total in re.findall(r"第\s*(\d+)\s*页\s*/\s*共\s*(\d+)\s*页", text)]


def period(base: datetime) -> dict[str, str]:
    return {"from": since(base, -24 * 60).isoformat(), "to": since(base, 24 * 60).isoformat()}


@pytest.fixture(autouse=True)
async def visits(store: RecordsStore, base: datetime) -> None:
    """Zhang at a community gate for 25 minutes (An there too), at the market with a fever, then in Tangshan; An at
    the hospital afterwards with Gu."""
    await store.add(
        record(ZHANG, 4201, since(base, 0)),
        record(ZHANG, 4201, since(base, 25), direction="out"),
        record(AN, 4201, since(base, 5)),
        record(ZHANG, 4203, since(base, 60), temperature=38.2, status="abnormal"),
        record(ZHANG, 8001, since(base, 180)),
        record(AN, 4301, since(base, 100)),
        record(GU, 4301, since(base, 110)),
    )


async def printed(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> tuple[httpx.Response, str]:
    response = await client.get(f"{TRAJECTORY}.pdf", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response, pdftotext(response.content)


class TestTrajectoryReport:
    async def test_prints_the_masked_person_and_every_visit_in_time_order(
        self, client: httpx.AsyncClient, base: datetime
    ) -> None:
        response, text = await printed(client, admin(1), phone="13812345678", **period(base))

        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["cache-control"] == "no-store"
        assert response.content.startswith(b"%PDF")
        assert b"/FontFile2" in response.content, "the Chinese font is embedded"
        for shown in ("流调报告", "个人轨迹", "张**", "138****5678", "北京时间", "生成人", "河北省 管理员"):
            assert shown in text, shown
        assert "13812345678" not in text
        assert "张三丰" not in text
        places = [text.index(name) for name in ("建明社区北门", "育才菜市场", "路北万达广场")]
        assert places == sorted(places), "in time order"
        assert re.search(r"38\.2 °C\s+体温异常", text)
        assert "25 分钟" in text, "the stay from check-in to check-out"
        assert "本报告仅供疫情防控使用" in text
        assert pages(text) == [(1, 1)]

    async def test_the_file_name_never_holds_the_phone(self, client: httpx.AsyncClient, base: datetime) -> None:
        response, _ = await printed(
            client, admin(1), phone="13812345678", unmask="true", reason="病例 2026-17 流调", **period(base)
        )

        name = filename(response)
        assert re.fullmatch(r"流调报告-个人轨迹-\d{8}-\d{6}\.pdf", name)
        assert "13812345678" not in response.headers["content-disposition"]
        assert 'filename="trajectory-report.pdf"' in response.headers["content-disposition"]

    async def test_a_long_trajectory_runs_over_numbered_pages(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        await store.add(*(record(ZHANG, 4201, since(base, 200 + minutes)) for minutes in range(0, 80 * 30, 30)))

        _, text = await printed(client, admin(1), phone="13812345678", **period(base))

        total = len(pages(text))
        assert total >= 2
        assert pages(text) == [(page, total) for page in range(1, total + 1)]
        assert text.count("本报告仅供疫情防控使用") == total

    async def test_unmasked_with_a_reason_shows_the_person_in_full_and_is_logged(
        self, client: httpx.AsyncClient, access_log: AccessLogStore, base: datetime
    ) -> None:
        _, text = await printed(
            client, admin(1), phone="13812345678", unmask="true", reason="病例 2026-17 流调", **period(base)
        )

        assert "张三丰" in text
        assert "13812345678" in text
        assert "病例 2026-17 流调" in text
        (entry,) = await access_log.entries()
        assert (entry.action, entry.reason, entry.query["phone"], entry.query["format"]) == (
            "unmask",
            "病例 2026-17 流调",
            "138****5678",
            "pdf",
        )

    async def test_a_masked_report_is_logged_as_a_trajectory(
        self, client: httpx.AsyncClient, access_log: AccessLogStore, base: datetime
    ) -> None:
        await printed(client, admin(1), phone="13812345678", **period(base))

        (entry,) = await access_log.entries()
        assert (entry.action, entry.query["phone"], entry.query["format"], entry.reason) == (
            "trajectory",
            "138****5678",
            "pdf",
            None,
        )

    async def test_another_regions_person_is_the_same_empty_answer_as_the_json_call(
        self, client: httpx.AsyncClient, base: datetime
    ) -> None:
        tangshan_admin = admin(80)
        found = await client.get(
            TRAJECTORY, params={"id_card": AN.id_card or "", **period(base)}, headers=tangshan_admin
        )
        _, text = await printed(client, tangshan_admin, id_card=AN.id_card or "", **period(base))

        assert (found.json()["person"], found.json()["visits"]) == (None, [])
        assert "查无此人" in text
        assert "该时段内没有到访记录" in text
        assert "建明社区北门" not in text

    async def test_a_region_sees_only_its_own_visits(self, client: httpx.AsyncClient, base: datetime) -> None:
        _, text = await printed(client, admin(80), phone="13812345678", **period(base))

        assert "路北万达广场" in text
        assert "建明社区北门" not in text

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({}, [("phone", "missing")]),
            ({"phone": "1381234567"}, [("phone", "invalid")]),
            ({"phone": "13812345678", "unmask": "true"}, [("reason", "missing")]),
            ({"phone": "13812345678", "unmask": "maybe"}, [("unmask", "bool_parsing")]),
            (
                {"phone": "13812345678", "from": "2026-11-20T08:00:00+08:00", "to": "2026-11-20T07:00:00+08:00"},
                [("to", "period_order")],
            ),
        ],
    )
    async def test_bad_input_is_a_422_naming_its_field_and_is_not_logged(
        self,
        client: httpx.AsyncClient,
        access_log: AccessLogStore,
        params: dict[str, str],
        expected: list[tuple[str, str]],
    ) -> None:
        response = await client.get(f"{TRAJECTORY}.pdf", params=params, headers=admin(1))

        assert field_errors(response) == expected
        assert await access_log.entries() == []

    async def test_the_json_trajectory_unmasks_by_the_same_rule_and_gives_the_stays(
        self, client: httpx.AsyncClient, access_log: AccessLogStore, base: datetime
    ) -> None:
        params = {"phone": "13812345678", **period(base)}
        masked = (await client.get(TRAJECTORY, params=params, headers=admin(42))).json()
        full = (
            await client.get(TRAJECTORY, params=params | {"unmask": "true", "reason": "流调"}, headers=admin(42))
        ).json()

        assert masked["unmasked"] is None
        assert full["unmasked"] == {"name": "张三丰", "phone": "13812345678", "id_card": ZHANG.id_card}
        gate = masked["stays"][0]
        assert (gate["record_id"], gate["end_assumed"]) == (masked["visits"][0]["id"], False)
        assert [entry.action for entry in await access_log.entries()] == ["trajectory", "unmask"]

    async def test_without_the_font_file_the_report_uses_the_builtin_song_face(
        self, settings: TraceSettings, registry: FakeRegistry, base: datetime, tmp_path: Path
    ) -> None:
        fallback = settings.model_copy(update={"chinese_font_path": tmp_path / "wqy-microhei.ttc"})
        async with serve(create_app(fallback, registry_transport=httpx.MockTransport(registry.handle))) as client:
            response, text = await printed(client, admin(1), phone="13812345678", **period(base))

        assert b"/BaseFont /STSong-Light" in response.content
        assert b"/FontFile" not in response.content
        assert "建明社区北门" in text
        assert "138****5678" in text


async def screened(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> tuple[httpx.Response, str]:
    response = await client.post(f"{CONTACTS}.pdf", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response, pdftotext(response.content)


class TestContactsReport:
    async def test_prints_the_index_persons_stays_and_the_contacts_masked(
        self, client: httpx.AsyncClient, base: datetime
    ) -> None:
        response, text = await screened(client, admin(1), phone="13812345678", second_degree=True, **period(base))

        for shown in ("流调报告", "密接筛查", "张**", "138****5678", "前后放宽 30 分钟", "密接 1 人，次密接 1 人"):
            assert shown in text, shown
        assert re.search(r"安\*\* 手机号 139\*\*\*\*0001\s+建明社区北门\s+\S+ \S+–\S+\s+10 分钟", text)
        assert "次密接人员（1 人）" in text
        assert re.search(r"顾\* 手机号 139\*\*\*\*0007\s+桥西区人民医院", text)
        assert "13900000001" not in text
        assert "本报告仅供疫情防控使用" in text
        assert re.fullmatch(r"流调报告-密接筛查-\d{8}-\d{6}\.pdf", filename(response))
        assert "13812345678" not in response.headers["content-disposition"]

    async def test_is_logged_like_the_screening_and_unmasks_only_the_index_person_for_a_reason(
        self, client: httpx.AsyncClient, access_log: AccessLogStore, base: datetime
    ) -> None:
        await screened(client, admin(1), phone="13812345678", **period(base))
        _, text = await screened(client, admin(1), phone="13812345678", unmask=True, reason="病例 17", **period(base))

        assert "张三丰" in text
        assert "13812345678" in text
        assert "13900000001" not in text, "contacts stay masked"
        first, second = await access_log.entries()
        assert (first.action, first.query["format"], first.query["window_minutes"]) == ("contacts", "pdf", 30)
        assert (second.action, second.reason) == ("unmask", "病例 17")

    async def test_another_regions_person_is_not_found(self, client: httpx.AsyncClient, base: datetime) -> None:
        _, text = await screened(client, admin(80), id_card=AN.id_card, **period(base))

        assert "查无此人" in text
        assert "未发现密接人员" in text

    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            ({}, [("phone", "missing")]),
            ({"phone": "13812345678", "window_minutes": 721}, [("window_minutes", "less_than_equal")]),
            ({"phone": "13812345678", "unmask": True}, [("reason", "missing")]),
            ({"phone": "13812345678", "extra": 1}, [("extra", "extra_forbidden")]),
        ],
    )
    async def test_bad_input_is_a_422_naming_its_field(
        self, client: httpx.AsyncClient, access_log: AccessLogStore, body: Json, expected: list[tuple[str, str]]
    ) -> None:
        response = await client.post(f"{CONTACTS}.pdf", json=body, headers=admin(1))

        assert field_errors(response) == expected
        assert await access_log.entries() == []
