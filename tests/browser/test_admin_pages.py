"""The admin SPA in Chromium against `lianfang run`: logging in, creating a checkpoint and downloading its poster, and every
screen an administrator uses, each saved as a screenshot to look at."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, Route, expect

from .support import DEMO_PASSWORD, Server, screenshot

CITY_ADMIN = "sjz"  # 石家庄市
MARKET = "建北农贸市场"
# Residents who check in at the market within minutes of each other (so they are each other's contacts); the last has a
# fever.
VISITORS = (("张伟", "13800138001", 36.5), ("李娜", "13800138002", 36.7), ("王强", "13800138003", 38.4))
# A mother who checks in with her daughter's phone, the daughter, and a stranger, at a station of another city (its
# administrator sees no one of the market).
HOUSEHOLD_ADMIN, STATION, HOUSEHOLD_PHONE = "tangshan", "唐山站", "13700137007"
HOUSEHOLD = (("赵敏", HOUSEHOLD_PHONE, 36.5), ("孙丽", HOUSEHOLD_PHONE, 36.6), ("周杰", "13700137008", 36.4))


def _admin_token(client: httpx.Client, username: str) -> str:
    answer = client.post("/api/auth/admin/login", json={"username": username, "password": DEMO_PASSWORD})
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def _check_in(server: Server, username: str, checkpoint: str, visitors: tuple[tuple[str, str, float], ...]) -> None:
    """Check-ins at one checkpoint made through the public API as residents would make them (each with an account of
    their own), waited for until trace lists them for the checkpoint's administrator."""
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        admin = {"Authorization": f"Bearer {_admin_token(client, username)}"}
        listing = client.get("/api/registry/checkpoints", params={"q": checkpoint}, headers=admin).json()
        code = listing["items"][0]["code"]
        for number, (name, phone, temperature) in enumerate(visitors):
            login = client.post("/api/auth/dev/login", json={"openid": f"browser-{number}-{uuid.uuid4().hex[:8]}"})
            resident = {"Authorization": f"Bearer {login.json()['access_token']}"}
            body = {
                "checkpoint_code": code,
                "client_id": str(uuid.uuid4()),
                "answers": {"name": name, "phone": phone, "purpose": "买菜"},
                "temperature": temperature,
            }
            client.post("/api/checkin/checkins", json=body, headers=resident).raise_for_status()
        deadline = time.monotonic() + 20
        while len(client.get("/api/trace/records", headers=admin).json()["items"]) < len(visitors):
            assert time.monotonic() < deadline, "the check-ins never reached the records store"
            time.sleep(0.2)


@pytest.fixture(scope="module")
def index_phone(server: Server) -> str:
    """The visitors' check-ins at the market; answers the phone of the first visitor."""
    _check_in(server, CITY_ADMIN, MARKET, VISITORS)
    return VISITORS[0][1]


async def log_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    await page.goto("/admin/login")
    await page.get_by_placeholder("用户名").fill(username)
    await page.get_by_placeholder("密码").fill(password)
    await page.get_by_role("button", name="登 录").click()
    await page.wait_for_url("**/admin/dashboard")


async def open_screen(page: Page, menu: str) -> None:
    await page.locator(".el-menu").get_by_text(menu, exact=True).click()
    await expect(page.locator(".el-breadcrumb")).to_contain_text(menu)
    await page.wait_for_load_state("networkidle")


async def test_wrong_passwords_say_how_many_tries_are_left_then_how_long_the_lock_lasts(desktop: Page) -> None:
    await desktop.goto("/admin/")
    await desktop.wait_for_url("**/admin/login?redirect=**")
    await desktop.get_by_placeholder("用户名").fill("changan")
    await desktop.get_by_placeholder("密码").fill("not-the-password-1")
    problem = desktop.locator(".login-problem")
    await desktop.get_by_role("button", name="登 录").click()
    await expect(problem).to_contain_text("再错 4 次将锁定 15 分钟")
    await screenshot(desktop, "admin-login-refused")

    for left in (3, 2, 1):
        await desktop.get_by_role("button", name="登 录").click()
        await expect(problem).to_contain_text(f"再错 {left} 次")
    await desktop.get_by_role("button", name="登 录").click()
    await expect(problem).to_contain_text("密码连续错误 5 次，账号锁定 15 分钟")
    await desktop.get_by_placeholder("密码").fill(DEMO_PASSWORD)
    await desktop.get_by_role("button", name="登 录").click()
    await expect(problem).to_contain_text("密码错误次数过多，请 15 分钟后再试")
    assert desktop.url.endswith("/admin/login?redirect=/dashboard")


async def test_an_admin_creates_a_checkpoint_and_downloads_its_poster(desktop: Page) -> None:
    await log_in(desktop, CITY_ADMIN)
    await open_screen(desktop, "卡口管理")
    await desktop.locator(".region-tree").get_by_text("建北街道", exact=True).click()
    await expect(desktop.locator(".el-table")).to_contain_text(MARKET)

    await desktop.get_by_role("button", name="新增卡口").click()
    dialog = desktop.get_by_role("dialog", name="新增卡口")
    await dialog.get_by_placeholder("如：育才小区北门").fill("建北街道核酸检测点")
    await dialog.get_by_placeholder("选填，印在海报上").fill("建北街道 12 号")
    await expect(dialog.locator(".el-form-item", has_text="所属地区")).to_contain_text("建北街道")
    await screenshot(desktop, "admin-checkpoint-dialog")
    await dialog.get_by_role("button", name="保存").click()

    qr = desktop.get_by_role("dialog", name="建北街道核酸检测点")
    await expect(qr.get_by_alt_text("卡口二维码")).to_be_visible()
    await screenshot(desktop, "admin-checkpoint-qr")
    async with desktop.expect_download() as waiting:
        await qr.get_by_role("button", name="下载海报（PDF）").click()
    download = await waiting.value
    path = await download.path()

    assert download.suggested_filename.startswith("建北街道核酸检测点-")
    assert download.suggested_filename.endswith(".pdf")
    assert path.read_bytes()[:5] == b"%PDF-"
    await qr.get_by_role("button", name="关闭", exact=True).click()
    await expect(qr).to_be_hidden()
    await expect(desktop.locator(".el-table")).to_contain_text("建北街道核酸检测点")
    await screenshot(desktop, "admin-checkpoints")


async def test_a_checkpoints_position_is_set_and_its_mini_program_code_shown(desktop: Page, server: Server) -> None:
    await log_in(desktop, CITY_ADMIN)
    await open_screen(desktop, "卡口管理")
    await desktop.locator(".region-tree").get_by_text("建北街道", exact=True).click()
    await desktop.get_by_role("button", name="新增卡口").click()
    dialog = desktop.get_by_role("dialog", name="新增卡口")
    await dialog.get_by_placeholder("如：育才小区北门").fill("建北街道便民服务站")
    await dialog.get_by_label("纬度").fill("38.043")
    await dialog.get_by_role("button", name="保存").click()
    await expect(dialog.get_by_text("卡口位置的经度和纬度须同时填写（或都不填）")).to_be_visible()
    await dialog.get_by_label("经度").fill("114.514")
    await dialog.get_by_label("现场范围").fill("500")
    await screenshot(desktop, "admin-checkpoint-position")
    await dialog.get_by_role("button", name="保存").click()

    qr = desktop.get_by_role("dialog", name="建北街道便民服务站")
    await expect(qr.get_by_alt_text("卡口二维码")).to_be_visible()
    await qr.get_by_text("小程序码", exact=True).click()
    # The fake WeChat of the dev mode draws a badge of the scene, as a real PNG.
    await expect(qr.get_by_alt_text("卡口小程序码")).to_be_visible()
    assert await qr.get_by_alt_text("卡口小程序码").evaluate("(image) => image.naturalWidth") > 0
    await screenshot(desktop, "admin-checkpoint-wxacode")
    async with desktop.expect_download() as waiting:
        await qr.get_by_role("button", name="下载小程序码海报（PDF）").click()
    assert (await (await waiting.value).path()).read_bytes()[:5] == b"%PDF-"
    (saved,) = (await asyncio.to_thread(_checkpoints_named, server, "建北街道便民服务站"))["items"]
    assert (saved["latitude"], saved["longitude"], saved["radius_m"]) == (38.043, 114.514, 500)


async def test_every_screen_shows_what_the_admin_manages(desktop: Page, index_phone: str) -> None:
    await log_in(desktop, CITY_ADMIN)
    await expect(desktop.locator(".header")).to_contain_text("河北省 › 石家庄市")
    await expect(desktop.locator(".card", has_text="今日登记")).to_contain_text(str(len(VISITORS)))
    await expect(desktop.locator(".card", has_text="体温异常")).to_contain_text("1")
    # The city's counties on a map, coloured by the week's check-ins, then by its fevers; described in words (ECharts'
    # aria) for screen readers, which is what is read here.
    region_map = desktop.locator(".region-map")
    await expect(region_map).to_contain_text("辖区地图（近 7 天）")
    described = region_map.locator("[aria-label^='这是一个']")
    await expect(described).to_have_attribute(
        "aria-label", re.compile(r"表示登记人次。.*长安区的数据是[3-9]\d*，.*新华区的数据是0")
    )
    await region_map.get_by_text("体温异常", exact=True).click()
    await expect(described).to_have_attribute(
        "aria-label", re.compile(r"表示体温异常。.*长安区的数据是[1-9]\d*，.*新华区的数据是0")
    )
    await desktop.wait_for_load_state("networkidle")
    await screenshot(desktop, "admin-dashboard")

    await open_screen(desktop, "地区与账号")
    await expect(desktop.locator(".region-card")).to_contain_text("石家庄市")
    await desktop.locator(".region-tree").get_by_text("长安区", exact=True).click()
    await expect(desktop.locator(".el-table")).to_contain_text("changan")
    await screenshot(desktop, "admin-regions")

    await open_screen(desktop, "登记表单")
    await desktop.locator(".el-table").get_by_text("通用登记", exact=True).click()
    await expect(desktop.locator(".phone")).to_contain_text("来访事由")
    await screenshot(desktop, "admin-templates")

    await open_screen(desktop, "登记记录")
    await expect(desktop.locator(".el-table")).to_contain_text(MARKET)
    await expect(desktop.locator(".el-table")).to_contain_text("体温异常")
    await screenshot(desktop, "admin-records")

    await open_screen(desktop, "轨迹查询")
    await desktop.get_by_placeholder("11 位手机号").fill(index_phone)
    await desktop.get_by_role("button", name="查询").click()
    await expect(desktop.locator(".el-timeline")).to_contain_text(MARKET)
    await screenshot(desktop, "admin-trajectory")

    await desktop.get_by_role("button", name="对此人做密接筛查").click()
    await expect(desktop.locator(".contacts")).to_contain_text("138****8003")
    await screenshot(desktop, "admin-contacts")

    await open_screen(desktop, "异常预警")
    await expect(desktop.locator(".el-table")).to_contain_text("38.4")
    await desktop.get_by_role("button", name="近 14 天到访").click()
    await expect(desktop.locator(".el-drawer .el-timeline")).to_contain_text(MARKET)
    await screenshot(desktop, "admin-alerts")
    await desktop.keyboard.press("Escape")
    await expect(desktop.locator(".el-drawer", has_text="近 14 天到访记录")).to_be_hidden()

    await open_screen(desktop, "访问日志")
    await expect(desktop.locator(".el-table")).to_contain_text("密接筛查")
    await expect(desktop.locator(".el-table")).to_contain_text("轨迹查询")
    await screenshot(desktop, "admin-audit-log")


async def test_a_session_that_cannot_be_renewed_goes_back_to_the_login_with_the_reason(desktop: Page) -> None:
    await log_in(desktop, CITY_ADMIN)
    await desktop.evaluate(
        "localStorage.setItem('lianfang.admin.tokens', JSON.stringify({access_token: 'expired', refresh_token: 'used'}))"
    )
    await desktop.locator(".el-menu").get_by_text("卡口管理", exact=True).click()

    await desktop.wait_for_url("**/admin/login?**")
    await expect(desktop.locator(".el-alert")).to_contain_text("登录已失效")


async def test_a_region_clicked_while_the_screens_first_choice_still_loads_stays_chosen(desktop: Page) -> None:
    """The screen opens on the admin's own region; with that answer held back until after a click on another, the
    clicked region keeps the card (the late answer used to replace it, its 删除 greyed out as the own region's is)."""
    await log_in(desktop, CITY_ADMIN)
    held_back: list[asyncio.Task[None]] = []

    async def answer_late(route: Route) -> None:
        await asyncio.sleep(1.5)
        await route.continue_()

    async def first_late(route: Route) -> None:
        # Only the first answer is held back, in a task of its own; every later request goes on at once.
        if held_back:
            await route.continue_()
        else:
            held_back.append(asyncio.create_task(answer_late(route)))

    await desktop.route(re.compile(r"/api/registry/regions/\d+$"), first_late)
    await desktop.locator(".el-menu").get_by_text("地区与账号", exact=True).click()
    await desktop.locator(".region-tree").get_by_text("东里街道", exact=True).click()
    card = desktop.locator(".region-card")
    await expect(card.locator(".region-name")).to_have_text("东里街道")
    await asyncio.gather(*held_back)
    await desktop.wait_for_timeout(500)  # time for the page to take the late answer
    await expect(card.locator(".region-name")).to_have_text("东里街道")
    await expect(card.get_by_role("button", name="删除")).to_be_enabled()


async def test_a_region_is_added_and_deleted_and_one_still_in_use_says_what_is_left(desktop: Page) -> None:
    await log_in(desktop, CITY_ADMIN)
    await open_screen(desktop, "地区与账号")
    tree = desktop.locator(".region-tree")
    await tree.get_by_text("东里街道", exact=True).click()
    await desktop.get_by_role("button", name="新增下级地区").click()
    dialog = desktop.get_by_role("dialog", name="在“东里街道”下新增地区")
    await dialog.get_by_placeholder("如：育才街道").fill("东里新村")
    await dialog.get_by_role("button", name="保存").click()
    await expect(desktop.locator(".region-card")).to_contain_text("河北省 › 石家庄市 › 桥西区 › 东里街道 › 东里新村")

    await desktop.locator(".region-card").get_by_role("button", name="删除").click()
    await desktop.get_by_role("dialog", name="请确认").get_by_role("button", name="确定").click()
    await expect(tree.get_by_text("东里新村", exact=True)).to_have_count(0)

    await tree.get_by_text("东里街道", exact=True).click()
    await desktop.locator(".region-card").get_by_role("button", name="删除").click()
    await desktop.get_by_role("dialog", name="请确认").get_by_role("button", name="确定").click()
    await expect(desktop.locator(".el-message--error")).to_contain_text("还有 2 个卡口")
    await screenshot(desktop, "admin-region-not-empty")


async def test_a_spreadsheet_is_checked_row_by_row_before_anything_is_imported(desktop: Page, tmp_path: Path) -> None:
    sheet = tmp_path / "卡口.csv"
    sheet.write_text(
        "地区,卡口名称,类型\n长安区/建北街道,建北街道南门,小区\n长安区/建北街道,建北街道西门,飞机场\n",
        encoding="utf-8-sig",
    )
    await log_in(desktop, CITY_ADMIN)
    await open_screen(desktop, "卡口管理")
    await desktop.get_by_role("button", name="批量导入").click()
    dialog = desktop.get_by_role("dialog", name="批量导入卡口")
    await dialog.locator("input[type=file]").set_input_files(sheet)
    await dialog.get_by_role("button", name="试导入（只检查）").click()

    report = dialog.locator(".import-errors")
    await expect(report).to_contain_text("3")
    await expect(report).to_contain_text("类型")
    await expect(dialog).to_contain_text("共 2 行，发现 1 处问题")
    await expect(dialog.get_by_role("button", name="确认导入")).to_be_disabled()
    await screenshot(desktop, "admin-import-report")

    corrected = tmp_path / "卡口（改正）.csv"
    corrected.write_text(sheet.read_text(encoding="utf-8-sig").replace("飞机场", "小区"), encoding="utf-8-sig")
    await dialog.locator("input[type=file]").set_input_files(corrected)
    await expect(dialog.locator(".el-upload-list")).to_contain_text("卡口（改正）.csv")
    await expect(dialog.locator(".el-upload-list")).not_to_contain_text("卡口.csv")
    await dialog.get_by_role("button", name="试导入（只检查）").click()
    await expect(dialog).to_contain_text("检查通过：共 2 行，将导入 2 个卡口")
    await expect(dialog.get_by_role("button", name="确认导入")).to_be_enabled()


async def test_records_export_to_excel(desktop: Page) -> None:
    await log_in(desktop, CITY_ADMIN)
    await open_screen(desktop, "登记记录")
    await desktop.get_by_role("button", name="导出").hover()
    async with desktop.expect_download() as waiting:
        await desktop.get_by_text("导出 Excel（脱敏）").click()
    download = await waiting.value

    assert download.suggested_filename.endswith(".xlsx")
    assert (await download.path()).read_bytes()[:2] == b"PK"


async def test_a_new_template_is_previewed_as_it_is_built_then_saved(desktop: Page) -> None:
    await log_in(desktop, CITY_ADMIN)
    await open_screen(desktop, "登记表单")
    await desktop.get_by_role("button", name="新建").click()
    await desktop.get_by_placeholder("如：小区门岗登记").fill("核酸检测登记")
    await desktop.get_by_role("button", name="添加字段").click()
    row = desktop.locator(".field-row").nth(2)
    await row.get_by_placeholder("名称，如：来访事由").fill("检测窗口")
    await row.locator(".w-type").click()
    await desktop.locator(".el-select-dropdown__item:visible", has_text="单选").click()
    await row.locator(".w-options").click()
    for option in ("一号窗口", "二号窗口"):
        await desktop.keyboard.type(option)
        await desktop.keyboard.press("Enter")

    preview = desktop.locator(".phone")
    await expect(preview.locator(".phone-title")).to_have_text("核酸检测登记")
    await expect(preview.locator("[data-key='field_3']")).to_contain_text("检测窗口一号窗口二号窗口")
    await desktop.get_by_role("button", name="创建模板").click()
    await expect(desktop.locator(".el-message--success")).to_contain_text("已新建模板：核酸检测登记")
    await expect(desktop.locator(".list .el-table")).to_contain_text("核酸检测登记")
    await screenshot(desktop, "admin-template-new")


async def test_gate_staff_are_added_to_a_region_with_their_checkpoint_and_disabled(desktop: Page) -> None:
    await log_in(desktop, CITY_ADMIN)
    await open_screen(desktop, "地区与账号")
    await desktop.locator(".region-tree").get_by_text("建北街道", exact=True).click()
    await desktop.get_by_role("button", name="新增账号").click()
    dialog = desktop.get_by_role("dialog", name="在“建北街道”新增账号")
    await dialog.get_by_text("卡口执勤人员").click()
    await dialog.get_by_placeholder("3–32 位字母、数字、_ . -").fill("jianbei_gate")
    await dialog.get_by_placeholder("至少 8 位，含字母和数字").fill("Gate-2026x")
    await dialog.locator(".el-form-item", has_text="姓名").locator("input").fill("赵执勤")
    await dialog.locator(".el-form-item", has_text="负责卡口").locator(".el-select").click()
    await desktop.locator(".el-select-dropdown__item:visible", has_text=MARKET).click()
    await dialog.locator(".el-dialog__title").click()  # a multiple choice stays open until one clicks elsewhere
    await dialog.locator(".el-form-item", has_text="手机号").locator("input").fill("1380013")
    await dialog.get_by_role("button", name="保存").click()
    await expect(dialog.locator(".el-form-item", has_text="手机号")).to_contain_text("请输入 11 位中国大陆手机号")
    await expect(dialog.locator(".dialog-alert")).to_have_count(0)
    await screenshot(desktop, "admin-account-dialog")
    await dialog.locator(".el-form-item", has_text="手机号").locator("input").fill("13800138000")
    await dialog.get_by_role("button", name="保存").click()

    row = desktop.locator(".el-table__row", has_text="jianbei_gate")
    await expect(row).to_contain_text("执勤人员")
    await expect(row).to_contain_text("正常")
    await row.get_by_role("button", name="停用").click()
    await desktop.get_by_role("dialog", name="请确认").get_by_role("button", name="确定").click()
    await expect(row).to_contain_text("已停用")
    await screenshot(desktop, "admin-accounts")


async def open_directly(page: Page, path: str, username: str | None = None) -> None:
    """As an official who (logs in and) opens one screen from a bookmark: nothing else was loaded in the page before."""
    if username is not None:
        await log_in(page, username)
    await page.goto(f"/admin/{path}")
    await page.wait_for_load_state("networkidle")


# Whether the middle of an element is on screen and the element is what a click there would reach.
_IN_FRONT = """element => {
    const box = element.getBoundingClientRect();
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    return x >= 0 && y >= 0 && x <= innerWidth && y <= innerHeight && element.contains(document.elementFromPoint(x, y));
}"""


async def confirm_in_box(page: Page, title: str, reason: str | None = None) -> None:
    """Fills the box's reason when it asks for one, then clicks 确定 where it is on the screen, as a person would: a box
    drawn below the page (no overlay styles) or behind the table never comes in front, and this fails."""
    box = page.get_by_role("dialog", name=title)
    button = box.get_by_role("button", name="确定")
    await page.wait_for_function(_IN_FRONT, arg=await button.element_handle(), timeout=5000)
    await expect(page.locator(".el-overlay.is-message-box")).to_have_css("position", "fixed")
    if reason is not None:
        await box.locator("input").fill(reason)
    place = await button.bounding_box()
    assert place is not None
    await page.mouse.click(place["x"] + place["width"] / 2, place["y"] + place["height"] / 2)
    await expect(box).to_be_hidden()


async def test_a_record_shows_every_answer_under_its_label_and_in_full_only_with_a_reason(
    desktop: Page, index_phone: str
) -> None:
    await open_directly(desktop, "records", CITY_ADMIN)
    row = desktop.locator(".el-table__row", has_text="138****8003")
    await row.get_by_role("button", name="详情").click()
    drawer = desktop.locator(".el-drawer", has_text="登记详情")
    await expect(drawer.locator(".answers")).to_contain_text("来访事由")
    await expect(drawer.locator(".answers")).to_contain_text("买菜")
    await expect(drawer.locator(".answers")).to_contain_text("138****8003")
    await screenshot(desktop, "admin-record-detail")

    await drawer.get_by_role("button", name="查看完整信息").click()
    await confirm_in_box(desktop, "填写事由", "核实发热人员身份")
    await expect(drawer.locator(".answers")).to_contain_text("13800138003")
    await expect(drawer).to_contain_text("完整信息（已记入访问日志）")

    await desktop.keyboard.press("Escape")
    await open_screen(desktop, "访问日志")
    await expect(desktop.locator(".el-table")).to_contain_text("核实发热人员身份")


async def test_the_trajectory_contacts_and_alerts_open_a_record_s_answers(desktop: Page, index_phone: str) -> None:
    await open_directly(desktop, "alerts", CITY_ADMIN)
    await desktop.locator(".el-table__row", has_text="38.4").get_by_role("button", name="详情").click()
    drawer = desktop.locator(".el-drawer", has_text="登记详情")
    await expect(drawer.locator(".answers")).to_contain_text("买菜")
    await desktop.keyboard.press("Escape")

    await open_screen(desktop, "轨迹查询")
    await desktop.get_by_placeholder("11 位手机号").fill(index_phone)
    await desktop.get_by_role("button", name="查询").click()
    await desktop.locator(".el-timeline").get_by_role("button", name="详情").first.click()
    await expect(drawer.locator(".answers")).to_contain_text("138****8001")


def _things_to_remove(server: Server) -> None:
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        admin = {"Authorization": f"Bearer {_admin_token(client, CITY_ADMIN)}"}
        fields = [{"key": "name", "label": "姓名", "type": "name", "required": True}]
        template = {"name": "待删除模板", "fields": fields}
        client.post("/api/registry/templates", json=template, headers=admin).raise_for_status()
        city = client.get("/api/auth/me", headers=admin).json()["region_id"]
        region = client.post("/api/registry/regions", json={"parent_id": city, "name": "待删除社区"}, headers=admin)
        region.raise_for_status()
        account = {
            "username": "to_disable",
            "password": "Disable-2026",
            "name": "停用测试",
            "region_id": region.json()["id"],
        }
        client.post("/api/auth/admins", json=account, headers=admin).raise_for_status()


async def test_every_confirm_box_comes_in_front_and_its_confirm_button_works(
    desktop: Page, server: Server, index_phone: str
) -> None:
    await asyncio.to_thread(_things_to_remove, server)

    # The full export's reason, on a page without any dialog of its own.
    await open_directly(desktop, "records", CITY_ADMIN)
    await desktop.get_by_role("button", name="导出").hover()
    await desktop.get_by_text("导出 Excel（完整信息，需填写事由）").click()
    async with desktop.expect_download() as waiting:
        await confirm_in_box(desktop, "填写事由", "协查通报 2026-118 号")
    assert (await (await waiting.value).path()).read_bytes()[:2] == b"PK"

    # A template's deletion.
    await open_directly(desktop, "templates")
    await desktop.locator(".list .el-table").get_by_text("待删除模板", exact=True).click()
    await desktop.locator("button:not(.is-circle)", has_text="删除").click()
    await confirm_in_box(desktop, "请确认")
    await expect(desktop.locator(".el-message--success")).to_contain_text("已删除：待删除模板")

    # An account's disabling.
    await open_directly(desktop, "regions")
    await desktop.locator(".region-tree").get_by_text("待删除社区", exact=True).click()
    row = desktop.locator(".el-table__row", has_text="to_disable")
    await row.get_by_role("button", name="停用").click()
    await confirm_in_box(desktop, "请确认")
    await expect(row).to_contain_text("已停用")


def _checkpoints_named(server: Server, name: str) -> dict[str, Any]:
    with httpx.Client(base_url=server.base_url) as client:
        admin = {"Authorization": f"Bearer {_admin_token(client, CITY_ADMIN)}"}
        found: dict[str, Any] = client.get("/api/registry/checkpoints", params={"q": name}, headers=admin).json()
    return found


def _mistaken_checkpoints(server: Server, region_name: str, count: int) -> None:
    """A community with checkpoints imported by mistake."""
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        admin = {"Authorization": f"Bearer {_admin_token(client, CITY_ADMIN)}"}
        city = client.get("/api/auth/me", headers=admin).json()["region_id"]
        region = client.post("/api/registry/regions", json={"parent_id": city, "name": region_name}, headers=admin)
        region.raise_for_status()
        templates = client.get("/api/registry/templates", headers=admin).json()["items"]
        template = next(item for item in templates if item["builtin"] == "residential_gate")
        for number in range(1, count + 1):
            body = {"region_id": region.json()["id"], "name": f"误导入 {number} 号门", "kind": "community"}
            body["template_id"] = template["id"]
            client.post("/api/registry/checkpoints", json=body, headers=admin).raise_for_status()


async def test_checkpoints_are_chosen_in_the_table_and_switched_off_printed_and_deleted_together(
    desktop: Page, server: Server
) -> None:
    await asyncio.to_thread(_mistaken_checkpoints, server, "误导入社区", 3)
    await desktop.set_viewport_size({"width": 1366, "height": 768})
    await open_directly(desktop, "checkpoints", CITY_ADMIN)
    await desktop.locator(".region-tree").get_by_text("误导入社区", exact=True).click()
    table = desktop.locator(".el-table")
    await expect(table.locator(".el-table__body-wrapper .el-table__row")).to_have_count(3)

    await table.locator(".el-table__header .el-checkbox").click()
    await expect(desktop.locator(".bulk")).to_contain_text("已选 3 个卡口")
    await desktop.get_by_role("button", name="批量停用").click()
    await confirm_in_box(desktop, "批量停用")
    await expect(desktop.locator(".el-message--success")).to_contain_text("已停用 3 个卡口")
    await expect(table.locator(".el-table__row .el-tag", has_text="停用")).to_have_count(3)

    await table.locator(".el-table__header .el-checkbox").click()
    await desktop.get_by_role("button", name="批量打印海报").hover()
    async with desktop.expect_download() as waiting:
        await desktop.get_by_text("每页 4 张（带裁切线）").last.click()
    assert (await (await waiting.value).path()).read_bytes()[:4] == b"%PDF"
    await screenshot(desktop, "admin-checkpoints-bulk")

    row = desktop.locator(".el-table__row", has_text="误导入 3 号门").first
    await row.get_by_role("button", name="删除").click()
    await confirm_in_box(desktop, "删除卡口")
    await expect(desktop.locator(".el-message--success").last).to_contain_text("已删除：误导入 3 号门")

    await table.locator(".el-table__header .el-checkbox").click()
    await desktop.get_by_role("button", name="批量删除").click()
    await confirm_in_box(desktop, "批量删除")
    await expect(desktop.locator(".el-message--success").last).to_contain_text("已删除 2 个卡口")
    await expect(table).to_contain_text("没有符合条件的卡口")

    await open_screen(desktop, "地区与账号")
    await desktop.locator(".region-tree").get_by_text("误导入社区", exact=True).click()
    await desktop.locator(".region-card").get_by_role("button", name="删除").click()
    await confirm_in_box(desktop, "请确认")
    await expect(desktop.locator(".region-tree").get_by_text("误导入社区", exact=True)).to_have_count(0)


async def test_a_fever_alert_is_handled_to_its_end_and_filtered_by_state(desktop: Page, index_phone: str) -> None:
    await open_directly(desktop, "alerts", CITY_ADMIN)
    row = desktop.locator(".el-table__row", has_text="38.4").first
    await expect(row).to_contain_text("待处置")

    await row.get_by_role("button", name="处置").click()
    dialog = desktop.get_by_role("dialog", name="处置预警")
    await dialog.get_by_placeholder("如：已电话联系").fill("已电话联系，安排复测")
    await dialog.get_by_role("button", name="保存").click()
    await expect(row).to_contain_text("处置中")
    await expect(row).to_contain_text("已电话联系，安排复测")

    await row.get_by_role("button", name="处置").click()
    await expect(dialog.locator(".steps")).to_contain_text("石家庄市管理员")
    await dialog.locator("label", has_text="已处置").click()
    await dialog.get_by_placeholder("如：已电话联系").fill("复测 36.6℃，解除")
    await screenshot(desktop, "admin-alert-handling")
    await dialog.get_by_role("button", name="保存").click()
    await expect(row).to_contain_text("已处置")

    await desktop.locator(".toolbar .el-select").click()
    await desktop.locator(".el-select-dropdown__item:visible", has_text="待处置").click()
    await expect(desktop.locator(".el-table")).to_contain_text("暂无体温异常记录")


async def test_records_are_searched_by_name_a_partial_phone_is_explained_and_a_trajectory_names_its_person(
    desktop: Page, index_phone: str
) -> None:
    await open_directly(desktop, "records", CITY_ADMIN)
    await desktop.get_by_placeholder("完整手机号").fill(index_phone[:7])
    await desktop.get_by_role("button", name="搜索").click()
    await expect(desktop.locator(".el-form-item__error")).to_contain_text("请输入完整的 11 位手机号")
    await expect(desktop.locator(".el-message--error")).to_have_count(0)

    await desktop.get_by_placeholder("完整手机号").fill("")
    await desktop.get_by_placeholder("完整姓名").fill("李娜")
    await desktop.get_by_role("button", name="搜索").click()
    rows = desktop.locator(".el-table__body-wrapper .el-table__row")
    await expect(rows).to_have_count(1)
    await expect(rows).to_contain_text("138****8002")
    await expect(desktop.locator(".page-size .total")).to_have_text("共 1 条")
    await screenshot(desktop, "admin-records-search")

    await rows.get_by_role("button", name="轨迹").click()
    await desktop.wait_for_url("**/admin/trajectory?**")
    await expect(desktop.locator(".search-form input.el-input__inner[readonly]")).to_have_value("李* 138****8002")
    await expect(desktop.locator(".el-select", has_text="登记人员")).to_be_visible()


async def test_one_of_two_people_sharing_a_phone_is_traced_and_screened_by_name(desktop: Page, server: Server) -> None:
    _check_in(server, HOUSEHOLD_ADMIN, STATION, HOUSEHOLD)
    await open_directly(desktop, "trajectory", HOUSEHOLD_ADMIN)
    await expect(desktop.locator(".search-form + .hint")).to_have_text(
        "填写姓名时只查该手机号下的这一人（共用手机号的家人各自分开）；只填手机号则查所有用该手机号登记的人。"
    )
    await desktop.get_by_placeholder("11 位手机号").fill(HOUSEHOLD_PHONE)
    await desktop.get_by_role("button", name="查询").click()
    await expect(desktop.locator(".person-head")).to_contain_text("共 2 次登记")

    await desktop.get_by_placeholder("选填").fill("孙丽")
    await desktop.get_by_role("button", name="查询").click()
    await expect(desktop.locator(".person-head")).to_contain_text("共 1 次登记")
    await expect(desktop.locator(".person-head .person")).to_have_text("孙*137****7007")
    await screenshot(desktop, "admin-trajectory-by-name")

    await desktop.get_by_role("button", name="对此人做密接筛查").click()
    await expect(desktop.get_by_placeholder("选填")).to_have_value("孙丽")
    contacts = desktop.locator(".contacts .el-table__body-wrapper .el-table__row")
    await expect(contacts).to_have_count(2)
    assert sorted(await contacts.locator(".person").all_text_contents()) == ["周*137****7008", "赵*137****7007"]
    await screenshot(desktop, "admin-contacts-by-name")

    await desktop.locator(".search-form .el-select").click()
    await desktop.locator(".el-select-dropdown__item", has_text="身份证号").click()
    await desktop.get_by_placeholder("18 位身份证号").fill("130203199001011234")
    await desktop.get_by_role("button", name="查询").click()
    name_box = desktop.locator(".el-form-item", has=desktop.get_by_placeholder("选填"))
    await expect(name_box.locator(".el-form-item__error")).to_have_text("姓名只能与手机号一起提供")
    await expect(desktop.locator(".el-message--error")).to_have_count(0)
    await screenshot(desktop, "admin-contacts-name-without-phone")


async def test_the_admin_pages_name_their_favicon_and_it_is_served(desktop: Page) -> None:
    await desktop.goto("/admin/login")
    href = await desktop.locator("link[rel=icon]").get_attribute("href")

    response = await desktop.request.get(href or "")

    assert href == "/admin/favicon.svg"
    assert (response.status, response.headers["content-type"]) == (200, "image/svg+xml")


def _remeasured_fever(server: Server, name: str, phone: str, first: float, again: float) -> None:
    """A visitor with a fever entered by a gate keeper of 育才小区东门 and taken again (复测), waited for until the city's
    administrator sees the re-measure in trace."""
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        keeper = {"Authorization": f"Bearer {_admin_token(client, 'yucai_gate')}"}
        gates = client.get("/api/checkin/staff/checkpoints", headers=keeper).json()["items"]
        gate = next(item["id"] for item in gates if item["name"] == "育才小区东门")
        visitor = {"client_id": str(uuid.uuid4()), "name": name, "phone": phone, "temperature": first}
        entered = client.post(f"/api/checkin/staff/checkpoints/{gate}/checkins", json=visitor, headers=keeper)
        entered.raise_for_status()
        record = entered.json()["id"]
        client.post(
            f"/api/checkin/staff/checkins/{record}/remeasure", json={"temperature": again}, headers=keeper
        ).raise_for_status()
        admin = {"Authorization": f"Bearer {_admin_token(client, CITY_ADMIN)}"}
        deadline = time.monotonic() + 20
        while not client.get(f"/api/trace/records/{record}", headers=admin).json().get("remeasure"):
            assert time.monotonic() < deadline, "the re-measure never reached the records store"
            time.sleep(0.2)


async def test_a_fever_taken_again_at_the_gate_shows_both_readings_and_who_took_the_second(
    desktop: Page, server: Server
) -> None:
    _remeasured_fever(server, "郑十二", "13500135012", 38.6, 36.8)

    await open_directly(desktop, "records", CITY_ADMIN)
    row = desktop.locator(".el-table__row", has_text="135****5012")
    await expect(row).to_contain_text("38.6")
    await expect(row.locator(".remeasure")).to_have_text("复测 36.8")
    await expect(row).to_contain_text("准许通行")
    await row.get_by_role("button", name="详情").click()
    drawer = desktop.locator(".el-drawer", has_text="登记详情")

    await expect(drawer).to_contain_text("38.6 ℃")
    await expect(drawer).to_contain_text(re.compile(r"复测体温\s*36\.8 ℃\s*（\S+，.+；以复测为准）"))
    await screenshot(desktop, "admin-record-remeasured")


async def test_an_official_confirms_a_risk_notice_to_the_contacts_found(desktop: Page, index_phone: str) -> None:
    await open_directly(desktop, f"contacts?phone={index_phone}", CITY_ADMIN)
    rows = desktop.locator(".contacts .el-table__body-wrapper .el-table__row")
    await expect(rows.first).to_contain_text("138****800")
    notify = desktop.get_by_role("button", name="发送风险告知")
    await expect(notify).to_be_disabled()
    for row in range(2):
        await rows.nth(row).locator(".el-checkbox").click()
    await expect(notify).to_contain_text("（2 人）")

    await notify.click()
    dialog = desktop.get_by_role("dialog", name="发送风险告知")
    await expect(dialog.locator(".chosen .el-table__row")).to_have_count(2)
    send = dialog.get_by_role("button", name="确认发送")
    await dialog.locator(".text input").fill("请联系建北街道 0311-8888")
    # Nothing goes out before the official confirms the list.
    await expect(send).to_be_disabled()
    await dialog.get_by_text("我已核对以上名单和告知内容，确认发送").click()
    await screenshot(desktop, "admin-risk-notice")
    await send.click()

    # The demo residents logged in with the dev login and subscribed to nothing.
    await expect(dialog.locator(".counts")).to_have_text("微信已发送 0 人；未订阅 2 人；无微信账号 0 人")
    await expect(dialog).to_contain_text("未收到微信消息的 2 人请电话或上门告知")
    await screenshot(desktop, "admin-risk-notice-sent")
    await dialog.get_by_role("button", name="完成").click()

    await open_screen(desktop, "访问日志")
    entry = desktop.locator(".el-table__row", has_text="风险告知").first
    await expect(entry).to_contain_text("告知对象：2 人；告知内容：请联系建北街道 0311-8888")
