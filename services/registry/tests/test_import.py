from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]
from redis.asyncio import Redis

from lianfang.common.auth import StaffPrincipal
from lianfang.common.auth.service import SERVICE_HEADER, service_credential
from lianfang.common.cache import connect_cache
from lianfang.common.contracts.checkpoints import config_key
from lianfang.common.settings import DEV_PII_KEY
from lianfang.common.testing import bearer
from lianfang.registry.imports.sheets import MAX_ROWS, MAX_UPLOAD_BYTES
from lianfang.registry.settings import RegistrySettings

from .test_checkpoints import builtin
from .test_regions import PROVINCE_ADMIN, Json, admin_of, created
from .test_templates import make

# The check-in service's credential for the internal endpoints (the test settings hold the development PII key).
SERVICE = {SERVICE_HEADER: service_credential(DEV_PII_KEY)}

pytestmark = pytest.mark.usefixtures("backend")

CHECKPOINTS = "/api/registry/checkpoints"
IMPORT = f"{CHECKPOINTS}/import"
HEADER = ["地区", "卡口名称", "类型", "地址", "表单模板", "体温有效期（分钟）", "需要审核"]
KINDS = "小区/社区、医院、商超/市场、办公楼、车辆/班车、学校、车站、村庄、其他"

Rows = list[list[object]]


@dataclass
class Tree:
    shijiazhuang: Json
    changan: Json
    yucai_street: Json
    yucai_community: Json
    qiaoxi: Json
    tangshan: Json
    lunan: Json


@pytest.fixture
async def tree(client: httpx.AsyncClient) -> Tree:
    shijiazhuang = await created(client, 1, "石家庄市", "130100")
    changan = await created(client, shijiazhuang, "长安区", "130102")
    yucai_street = await created(client, changan, "育才街道", "130102001")
    yucai_community = await created(client, yucai_street, "育才社区", "130102001001")
    qiaoxi = await created(client, shijiazhuang, "桥西区", "130104")
    tangshan = await created(client, 1, "唐山市", "130200")
    lunan = await created(client, tangshan, "路南区", "130202")
    return Tree(shijiazhuang, changan, yucai_street, yucai_community, qiaoxi, tangshan, lunan)


@pytest.fixture
async def cache(settings: RegistrySettings) -> AsyncIterator[Redis]:
    client = connect_cache(settings.redis_url)
    yield client
    await client.aclose()


def csv_file(rows: Rows, *, header: list[str] = HEADER, encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    text = io.StringIO(newline="")
    csv.writer(text, delimiter=delimiter).writerows([header, *rows])
    return text.getvalue().encode(encoding)


def xlsx_file(rows: Rows, *, header: list[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in [header, *rows]:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


async def upload(
    client: httpx.AsyncClient,
    content: bytes,
    *,
    as_: dict[str, str] = PROVINCE_ADMIN,
    filename: str = "卡口.csv",
    dry_run: bool = False,
    create_regions: bool = False,
) -> httpx.Response:
    return await client.post(
        IMPORT,
        params={"dry_run": str(dry_run).lower(), "create_regions": str(create_regions).lower()},
        files={"file": (filename, content, "application/octet-stream")},
        headers=as_,
    )


async def imported(
    client: httpx.AsyncClient,
    content: bytes,
    *,
    as_: dict[str, str] = PROVINCE_ADMIN,
    filename: str = "卡口.csv",
    create_regions: bool = False,
) -> Json:
    response = await upload(client, content, as_=as_, filename=filename, create_regions=create_regions)
    assert response.status_code == 201, response.text
    body: Json = response.json()
    return body


def problem(response: httpx.Response, status: int = 422) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: Json = response.json()
    return body


async def checkpoints(client: httpx.AsyncClient, as_: dict[str, str] = PROVINCE_ADMIN) -> dict[str, Json]:
    items = (await client.get(f"{CHECKPOINTS}?limit=200", headers=as_)).json()["items"]
    return {item["name"]: item for item in items}


def ok(rows: int, *, dry_run: bool = False, regions: int = 0) -> Json:
    return {
        "created": rows,
        "dry_run": dry_run,
        "errors": [],
        "error_count": 0,
        "regions_created": regions,
        "rows": rows,
    }


GOOD_ROWS: Rows = [
    ["石家庄市/长安区/育才街道", "育才小区东门", "小区", "育才街 12 号", "", "240", "是"],
    ["石家庄市/长安区", "长安区人民医院", "医院", "", "", "", ""],
    ["130102001", "1 路班车", "班车", "", "", "0", "否"],
    ["石家庄市", "市政府东门", "办公楼", "", "", "", "no"],
    ["河北省/唐山市/路南区", "南湖公园", "其他", "", "", "30", "false"],
]


class TestFormats:
    async def test_a_utf8_csv_with_bom_creates_every_row_with_its_settings(
        self, client: httpx.AsyncClient, tree: Tree
    ) -> None:
        assert await imported(client, csv_file(GOOD_ROWS)) == ok(5)

        made = await checkpoints(client)
        summary = {
            name: (
                item["region_name"],
                item["kind"],
                item["template_name"],
                item["temp_valid_minutes"],
                item["requires_audit"],
                item["address"],
            )
            for name, item in made.items()
        }
        assert summary == {
            "育才小区东门": ("育才街道", "community", "小区门岗", 240, True, "育才街 12 号"),
            "长安区人民医院": ("长安区", "hospital", "医院", 0, False, None),
            "1 路班车": ("育才街道", "vehicle", "通勤班车", 0, False, None),
            "市政府东门": ("石家庄市", "office", "办公楼访客", 0, False, None),
            "南湖公园": ("路南区", "other", "小区门岗", 30, False, None),
        }
        assert {item["fever_threshold"] for item in made.values()} == {37.3}
        assert made["南湖公园"]["city_code"] == "1302"

    async def test_a_gbk_csv_as_excel_saves_it_on_chinese_windows(self, client: httpx.AsyncClient, tree: Tree) -> None:
        assert await imported(client, csv_file(GOOD_ROWS, encoding="gbk")) == ok(5)

        assert set(await checkpoints(client)) == {row[1] for row in GOOD_ROWS}

    async def test_an_xlsx_with_english_headers_numbers_and_booleans(
        self, client: httpx.AsyncClient, tree: Tree
    ) -> None:
        header = ["region", "name", "kind", "address", "template", "temp_valid_minutes", "requires_audit"]
        rows: Rows = [
            [130102001, "育才小区北门", "community", None, None, 60, True],
            ["石家庄市/长安区/育才街道/育才社区", "社区服务站", "社区", "育才街 3 号", "小区门岗", 0.0, False],
        ]
        content = xlsx_file([[*row, 37.5] for row in rows], header=[*header, "fever_threshold"])

        assert await imported(client, content, filename="checkpoints.xlsx") == ok(2)

        made = await checkpoints(client)
        assert (made["育才小区北门"]["region_id"], made["社区服务站"]["region_id"]) == (
            tree.yucai_street["id"],
            tree.yucai_community["id"],
        )
        assert (made["育才小区北门"]["temp_valid_minutes"], made["育才小区北门"]["requires_audit"]) == (60, True)
        assert {item["fever_threshold"] for item in made.values()} == {37.5}

    async def test_tab_separated_utf16_as_excel_saves_unicode_text(self, client: httpx.AsyncClient, tree: Tree) -> None:
        content = csv_file(GOOD_ROWS[:2], encoding="utf-16", delimiter="\t")

        assert await imported(client, content, filename="卡口.txt") == ok(2)

    async def test_blank_rows_are_skipped_and_row_numbers_stay_those_people_see(
        self, client: httpx.AsyncClient, tree: Tree
    ) -> None:
        content = csv_file([GOOD_ROWS[0], ["", "", "", "", "", "", ""], ["石家庄市", "无名卡口", "城堡"]])

        body = (await upload(client, content, dry_run=True)).json()

        assert body["rows"] == 2
        assert [(error["row"], error["field"]) for error in body["errors"]] == [(4, "kind")]


class TestDryRun:
    async def test_checks_everything_and_writes_nothing(
        self, client: httpx.AsyncClient, cache: Redis, tree: Tree
    ) -> None:
        content = csv_file([*GOOD_ROWS, ["石家庄市/长安区/建北街道", "建北小区", "小区"]])

        response = await upload(client, content, dry_run=True, create_regions=True)

        assert response.status_code == 200
        assert response.json() == ok(6, dry_run=True, regions=1)
        assert await checkpoints(client) == {}
        changan = (await client.get(f"/api/registry/regions/{tree.changan['id']}", headers=PROVINCE_ADMIN)).json()
        assert changan["child_count"] == 1
        assert await cache.keys("lianfang:checkpoint:*") == []

    async def test_reports_every_problem_of_every_row(self, client: httpx.AsyncClient, tree: Tree) -> None:
        gate = await builtin(client, "residential_gate")
        await client.post(
            CHECKPOINTS,
            json={"region_id": tree.changan["id"], "name": "长安公园", "kind": "other", "template_id": gate["id"]},
            headers=PROVINCE_ADMIN,
        )
        theirs = await make(client, admin_of(tree.tangshan), "唐山访客")
        rows: Rows = [
            ["石家庄市/长安区/不存在街道", "甲", "小区"],
            ["石家庄市/长安区", "", "城堡", "", "", "abc", "也许"],
            ["石家庄市/长安区", "长" * 65, "", "", "没有这个模板", "99999"],
            ["石家庄市/长安区", "育才北门", "小区"],
            ["石家庄市/长安区", "育才北门", "小区", "", theirs["name"], "", "", ""],
            ["石家庄市/长安区", "长安公园", "其他", "", "", "", "", "45"],
            ["", "无地区", "其他"],
            ["1301", "短编码", "其他"],
            ["130999", "无此编码", "其他"],
        ]

        response = await upload(client, csv_file(rows, header=[*HEADER, "发热阈值"]), dry_run=True)

        body = response.json()
        assert response.status_code == 200
        assert (body["created"], body["rows"], body["error_count"]) == (0, 9, 15)
        assert [(error["row"], error["field"], error["code"]) for error in body["errors"]] == [
            (2, "region", "not_found"),
            (3, "name", "required"),
            (3, "kind", "unknown_kind"),
            (3, "temp_valid_minutes", "invalid"),
            (3, "requires_audit", "invalid"),
            (4, "name", "too_long"),
            (4, "kind", "required"),
            (4, "temp_valid_minutes", "invalid"),
            (6, "name", "duplicate"),
            (6, "template", "out_of_scope"),
            (7, "name", "taken"),
            (7, "fever_threshold", "invalid"),
            (8, "region", "required"),
            (9, "region", "invalid"),
            (10, "region", "not_found"),
        ]
        messages = {(error["row"], error["field"]): error["message"] for error in body["errors"]}
        assert messages[2, "region"] == (
            "地区「石家庄市/长安区/不存在街道」不存在：「长安区」下没有「不存在街道」"
            "（如需自动新建缺少的地区，请在导入时选择自动新建地区）"
        )
        assert messages[3, "kind"] == f"类型「城堡」无法识别，可填：{KINDS}"
        assert messages[3, "temp_valid_minutes"] == "体温有效期（分钟）应为 0 到 10080 之间的整数，不能是「abc」"
        assert messages[3, "requires_audit"] == "需要审核应填“是”或“否”，不能是「也许」"
        assert messages[4, "name"] == "卡口名称太长，最多 64 个字"
        assert messages[6, "name"] == "卡口名称「育才北门」与第 5 行重复（同一地区内卡口不能重名）"
        assert messages[6, "template"] == "表单模板「唐山访客」不能用于「长安区」的卡口"
        assert messages[7, "name"] == "「长安区」已有名为「长安公园」的卡口"
        assert messages[7, "fever_threshold"] == "发热阈值（℃）应为 36.0 到 40.0 之间的数字，不能是「45」"
        assert messages[10, "region"] == "地区编码 130999 不存在"

    async def test_one_region_written_two_ways_holds_each_name_once(
        self, client: httpx.AsyncClient, tree: Tree
    ) -> None:
        rows: Rows = [
            ["石家庄市/长安区/育才街道", "Gate A", "小区"],
            ["130102001", "gate a", "小区"],
            ["石家庄市/桥西区", "Gate A", "小区"],
        ]

        body = (await upload(client, csv_file(rows), dry_run=True)).json()

        assert body["errors"] == [
            {
                "field": "name",
                "row": 3,
                "code": "duplicate",
                "message": "卡口名称「gate a」与第 2 行重复（同一地区内卡口不能重名）",
            }
        ]

    async def test_a_thousand_problems_are_listed_and_all_are_counted(self, client: httpx.AsyncClient) -> None:
        rows: Rows = [["河北省", f"卡口{number}", "城堡"] for number in range(1_001)]

        body = (await upload(client, csv_file(rows), dry_run=True)).json()

        assert (body["error_count"], len(body["errors"]), body["errors"][-1]["row"]) == (1_001, 1_000, 1_001)
        rejected = problem(await upload(client, csv_file(rows)))
        assert rejected["detail"] == "1001 行有误（共 1001 处，下面列出前 1000 处），未导入任何卡口，请修改后重新上传"

    async def test_a_header_without_the_required_columns_is_a_problem_of_the_file(
        self, client: httpx.AsyncClient
    ) -> None:
        content = csv_file([["石家庄市", "东门"]], header=["地区", "卡口名称", "备注", "卡口名称"])

        body = problem(await upload(client, content, dry_run=True))

        assert body["errors"] == [
            {"field": "file", "row": 1, "code": "header", "message": "缺少必填列：类型（请使用导入模板的表头）"},
            {"field": "file", "row": 1, "code": "header", "message": "「卡口名称」列出现了两次"},
        ]


class TestAllOrNothing:
    async def test_one_bad_row_among_good_ones_creates_nothing_and_names_the_row(
        self, client: httpx.AsyncClient, cache: Redis, tree: Tree
    ) -> None:
        rows: Rows = [*GOOD_ROWS[:2], ["石家庄市/长安区", "城堡门", "城堡"], *GOOD_ROWS[2:]]

        body = problem(await upload(client, csv_file(rows), create_regions=True))

        assert body["code"] == "import_rejected"
        assert body["title"] == "导入的表格有误，未导入任何卡口"
        assert body["detail"] == "1 行有误（共 1 处），未导入任何卡口，请修改后重新上传"
        assert body["errors"] == [
            {"field": "kind", "row": 4, "code": "unknown_kind", "message": f"类型「城堡」无法识别，可填：{KINDS}"}
        ]
        assert await checkpoints(client) == {}
        assert await cache.keys("lianfang:checkpoint:*") == []

    async def test_a_name_taken_meanwhile_leaves_nothing_behind(self, client: httpx.AsyncClient, tree: Tree) -> None:
        await imported(client, csv_file(GOOD_ROWS[:1]))

        again = await upload(client, csv_file(GOOD_ROWS[:2]))

        assert [error["code"] for error in problem(again)["errors"]] == ["taken"]
        assert set(await checkpoints(client)) == {"育才小区东门"}


class TestRegions:
    async def test_paths_from_the_callers_region_from_the_root_and_codes(
        self, client: httpx.AsyncClient, tree: Tree
    ) -> None:
        city = admin_of(tree.shijiazhuang)
        rows: Rows = [
            ["长安区/育才街道", "相对路径", "小区"],
            ["河北省/石家庄市/长安区", "从省写起", "小区"],
            ["石家庄市/桥西区", "从本市写起", "小区"],
            ["石家庄市", "本市", "小区"],
            ["130102001001", "十二位编码", "小区"],
            ["130104", "六位编码", "小区"],
            [" 长安区 / 育才街道 ／育才社区 ", "全角斜杠和空格", "小区"],
        ]

        assert await imported(client, csv_file(rows), as_=city) == ok(7)

        regions = {name: item["region_id"] for name, item in (await checkpoints(client, city)).items()}
        assert regions == {
            "相对路径": tree.yucai_street["id"],
            "从省写起": tree.changan["id"],
            "从本市写起": tree.qiaoxi["id"],
            "本市": tree.shijiazhuang["id"],
            "十二位编码": tree.yucai_community["id"],
            "六位编码": tree.qiaoxi["id"],
            "全角斜杠和空格": tree.yucai_community["id"],
        }

    async def test_create_regions_builds_the_missing_path_with_levels_and_no_codes(
        self, client: httpx.AsyncClient, cache: Redis, tree: Tree
    ) -> None:
        rows: Rows = [
            ["石家庄市/长安区/建北街道/建北社区", "建北社区东门", "社区"],
            ["石家庄市/长安区/建北街道", "建北街道办", "办公楼"],
            ["长安区/建北街道/建北社区", "建北社区西门", "社区"],
            ["石家庄市/新华区/西里街道", "西里菜市场", "市场"],
        ]
        city = admin_of(tree.shijiazhuang)

        assert await imported(client, csv_file(rows), as_=city, create_regions=True) == ok(4, regions=4)

        made = await checkpoints(client, city)
        community = (
            await client.get(f"/api/registry/regions/{made['建北社区东门']['region_id']}", headers=city)
        ).json()
        assert [ancestor["name"] for ancestor in community["ancestors"]] == ["河北省", "石家庄市", "长安区", "建北街道"]
        assert (community["name"], community["level"], community["code"], community["city_code"]) == (
            "建北社区",
            "unit",
            None,
            "1301",
        )
        assert made["建北社区西门"]["region_id"] == community["id"]
        assert made["建北街道办"]["region_id"] == community["parent_id"]
        market = (await client.get(f"/api/registry/regions/{made['西里菜市场']['region_id']}", headers=city)).json()
        assert [(step["name"], step["level"]) for step in market["ancestors"][2:]] == [("新华区", "county")]
        assert market["level"] == "township"
        stored = json.loads(await cache.get(config_key(made["建北社区东门"]["code"])) or "{}")
        assert [step["name"] for step in stored["regions"]] == ["河北省", "石家庄市", "长安区", "建北街道", "建北社区"]

    async def test_without_create_regions_a_missing_region_is_a_row_problem(
        self, client: httpx.AsyncClient, tree: Tree
    ) -> None:
        body = problem(await upload(client, csv_file([["石家庄市/长安区/建北街道", "建北小区", "小区"]])))

        assert [(error["row"], error["code"]) for error in body["errors"]] == [(2, "not_found")]

    async def test_nothing_is_created_below_a_unit(self, client: httpx.AsyncClient, tree: Tree) -> None:
        content = csv_file([["石家庄市/长安区/育才街道/育才社区/3 号楼", "3 号楼门", "小区"]])

        body = (await upload(client, content, dry_run=True, create_regions=True)).json()

        assert body["errors"] == [
            {
                "field": "region",
                "row": 2,
                "code": "too_deep",
                "message": "地区「石家庄市/长安区/育才街道/育才社区/3 号楼」层级过多：社区、村、单位之下不能再建下级地区",
            }
        ]

    async def test_a_city_admin_cannot_import_into_another_city(self, client: httpx.AsyncClient, tree: Tree) -> None:
        rows: Rows = [
            ["长安区", "本市卡口", "小区"],
            ["唐山市/路南区", "外市卡口一", "小区"],
            ["河北省/唐山市", "外市卡口二", "小区"],
            ["130202", "外市卡口三", "小区"],
            ["河北省", "省级卡口", "小区"],
        ]

        response = await upload(client, csv_file(rows), as_=admin_of(tree.shijiazhuang), create_regions=True)

        body = problem(response)
        assert [(error["row"], error["field"], error["code"]) for error in body["errors"]] == [
            (3, "region", "out_of_scope"),
            (4, "region", "out_of_scope"),
            (5, "region", "out_of_scope"),
            (6, "region", "out_of_scope"),
        ]
        assert body["errors"][0]["message"] == "地区「唐山市/路南区」不在您的管辖范围内（您管辖的是河北省/石家庄市）"
        assert body["errors"][2]["message"] == "地区编码 130202 对应的地区不在您的管辖范围内"
        assert await checkpoints(client) == {}
        tangshan = (await client.get(f"/api/registry/regions/{tree.tangshan['id']}", headers=PROVINCE_ADMIN)).json()
        assert tangshan["child_count"] == 1


class TestTemplates:
    async def test_a_template_is_found_by_name_where_the_row_may_use_it(
        self, client: httpx.AsyncClient, tree: Tree
    ) -> None:
        city = admin_of(tree.shijiazhuang)
        own = await make(client, city, "企业访客")
        await make(client, admin_of(tree.tangshan), "唐山访客")
        rows: Rows = [
            ["长安区", "科技园", "办公楼", "", "企业访客"],
            ["长安区", "商务楼", "办公楼", "", "唐山访客"],
        ]

        body = (await upload(client, csv_file(rows), as_=city, dry_run=True)).json()
        assert body["errors"] == [
            {"field": "template", "row": 3, "code": "not_found", "message": "表单模板「唐山访客」不存在"}
        ]

        assert await imported(client, csv_file(rows[:1]), as_=city) == ok(1)
        assert (await checkpoints(client, city))["科技园"]["template_id"] == own["id"]


class TestTemplateDownload:
    async def test_the_xlsx_template_has_the_headers_examples_and_help(
        self, client: httpx.AsyncClient, tree: Tree
    ) -> None:
        response = await client.get(f"{CHECKPOINTS}/import-template.xlsx", headers=PROVINCE_ADMIN)

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert response.headers["content-disposition"].startswith(
            'attachment; filename="checkpoint-import-template.xlsx"'
        )
        workbook = load_workbook(io.BytesIO(response.content))
        assert workbook.sheetnames == ["卡口", "填写说明"]
        rows = list(workbook["卡口"].iter_rows(values_only=True))
        assert list(rows[0]) == [*HEADER, "发热阈值（℃）"]
        assert len(rows) == 3
        help_text = [cell for row in workbook["填写说明"].iter_rows(values_only=True) for cell in row if cell]
        assert {"小区门岗", "通勤班车", "医院", "办公楼访客"} <= set(help_text)
        assert {"小区/社区", "车辆/班车", "其他"} <= set(help_text)
        # The examples import as they are into a tree that has their regions.
        check = await upload(client, response.content, filename="template.xlsx", dry_run=True)
        assert check.json() == ok(2, dry_run=True)

    async def test_the_csv_template_is_utf8_with_a_bom(self, client: httpx.AsyncClient) -> None:
        response = await client.get(f"{CHECKPOINTS}/import-template.csv", headers=PROVINCE_ADMIN)

        assert response.status_code == 200
        assert response.content.startswith(b"\xef\xbb\xbf")
        header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert header == [*HEADER, "发热阈值（℃）"]

    async def test_only_admins_download_it(self, client: httpx.AsyncClient) -> None:
        assert (await client.get(f"{CHECKPOINTS}/import-template.xlsx")).status_code == 401


class TestRefusedFiles:
    async def test_a_file_over_the_size_limit_is_413(self, client: httpx.AsyncClient) -> None:
        response = await upload(client, b"a" * (MAX_UPLOAD_BYTES + 1))

        assert problem(response, 413)["detail"] == "文件不能超过 5 MB"

    async def test_a_body_far_over_the_limit_is_refused_before_it_is_read(self, client: httpx.AsyncClient) -> None:
        response = await upload(client, b"a" * (MAX_UPLOAD_BYTES + 200 * 1024))

        assert problem(response, 413)["code"] == "payload_too_large"

    async def test_too_many_rows(self, client: httpx.AsyncClient) -> None:
        content = csv_file([["石家庄市", f"卡口{number}", "小区"] for number in range(MAX_ROWS + 1)])

        body = problem(await upload(client, content, dry_run=True))

        assert body["errors"] == [
            {"field": "file", "code": "too_many_rows", "message": "一次最多导入 20000 行，请分成几个文件上传"}
        ]

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (
                b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
                "无法识别的文件，请上传 CSV 或 XLSX 格式的表格（可先下载导入模板）",
            ),
            (b"%PDF-1.7\n\xff\xfe\x00\x01binary", "无法识别的文件，请上传 CSV 或 XLSX 格式的表格（可先下载导入模板）"),
            (
                b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64),
                "不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV 后再上传",
            ),
            (b"", "文件是空的"),
            (b"PK\x03\x04broken", "XLSX 文件已损坏，请重新保存后再上传"),
        ],
    )
    async def test_what_is_not_a_spreadsheet_is_named(
        self, client: httpx.AsyncClient, content: bytes, message: str
    ) -> None:
        body = problem(await upload(client, content, filename="卡口.xlsx"))

        assert [(error["field"], error["message"]) for error in body["errors"]] == [("file", message)]

    async def test_a_zip_that_is_not_a_workbook(self, client: httpx.AsyncClient) -> None:
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as document:
            document.writestr("word/document.xml", "<w:document/>")

        body = problem(await upload(client, archive.getvalue(), filename="卡口.xlsx"))

        assert body["errors"][0]["code"] == "unsupported_type"

    async def test_only_admins_import(self, client: httpx.AsyncClient) -> None:
        staff = bearer(StaffPrincipal(uuid.uuid4(), 1, "/1/", (1,)))

        assert (await upload(client, csv_file(GOOD_ROWS), as_=staff)).status_code == 403
        assert (await client.post(IMPORT, files={"file": ("a.csv", b"a")})).status_code == 401


async def test_redis_holds_the_config_of_every_imported_checkpoint(
    client: httpx.AsyncClient, cache: Redis, tree: Tree
) -> None:
    await imported(client, csv_file(GOOD_ROWS))

    made = await checkpoints(client)
    stored = {name: json.loads(await cache.get(config_key(item["code"])) or "{}") for name, item in made.items()}
    assert {name: config["name"] for name, config in stored.items()} == {name: name for name in made}
    hospital = stored["长安区人民医院"]
    assert [step["name"] for step in hospital["regions"]] == ["河北省", "石家庄市", "长安区"]
    assert [field["key"] for field in hospital["form"]["fields"]][:3] == ["name", "phone", "id_card"]
    assert (stored["育才小区东门"]["temp_valid_minutes"], stored["育才小区东门"]["requires_audit"]) == (240, True)
    internal = await client.get(
        f"/api/registry/internal/checkpoints/{made['南湖公园']['code']}/config", headers=SERVICE
    )
    assert internal.json() == stored["南湖公园"]
