"""操作日志 in the admin SPA: a city admin adds a region, then finds who did it in 操作日志, filters and exports it."""

from __future__ import annotations

from playwright.async_api import Page, expect

from .support import screenshot
from .test_admin_pages import CITY_ADMIN, log_in, open_screen


async def test_a_city_admin_finds_its_own_change_and_the_accounts_made_for_its_area(desktop: Page) -> None:
    await log_in(desktop, CITY_ADMIN)
    await open_screen(desktop, "地区与账号")
    await desktop.locator(".region-tree").get_by_text("东里街道", exact=True).click()
    await desktop.get_by_role("button", name="新增下级地区").click()
    dialog = desktop.get_by_role("dialog", name="在“东里街道”下新增地区")
    await dialog.get_by_placeholder("如：育才街道").fill("操作日志新村")
    await dialog.get_by_role("button", name="保存").click()
    await expect(desktop.locator(".region-card")).to_contain_text("东里街道 › 操作日志新村")

    await open_screen(desktop, "操作日志")
    table = desktop.locator(".el-table")
    # The accounts of its area were made by the root admin when the demo was loaded (other tests on the same server
    # may have made newer ones since).
    made = table.locator(".el-table__row", has_text="新建账号").filter(has_text="系统管理员").first
    await expect(made).to_contain_text("admin")
    await expect(made).to_contain_text("上级地区")

    await desktop.get_by_role("tab", name="地区·卡口·模板·导入").click()
    first = table.locator(".el-table__row").first
    await expect(first).to_contain_text("新建地区")
    await expect(first).to_contain_text("操作日志新村")
    await expect(first).to_contain_text(CITY_ADMIN)
    await expect(first).to_contain_text("上级地区：东里街道")
    await screenshot(desktop, "admin-operation-log")

    await desktop.get_by_placeholder("完整用户名").fill(CITY_ADMIN)
    await desktop.locator(".el-form-item", has_text="操作").locator(".el-select").click()
    await desktop.locator(".el-select-dropdown__item:visible", has_text="新建地区").click()
    await desktop.get_by_role("button", name="查询").click()
    # Other tests on the same server may have added regions as this admin: its own is the newest of the rows. The
    # rows are counted once the filtered page replaced the whole tab's (counted before, CI saw a row more than shown).
    rows = table.locator(".el-table__row")
    await expect(rows.first).to_contain_text("操作日志新村")
    await expect(rows.filter(has_not_text="新建地区")).to_have_count(0)
    await expect(rows.filter(has_not_text=CITY_ADMIN)).to_have_count(0)
    shown = await rows.count()

    async with desktop.expect_download() as waiting:
        await desktop.get_by_role("button", name="导出").click()
    download = await waiting.value
    lines = (await download.path()).read_text(encoding="utf-8-sig").splitlines()
    assert download.suggested_filename.startswith("操作日志-地区卡口模板-")
    assert lines[0] == "时间,操作人,姓名,操作人地区,操作,对象类型,对象,对象所在地区,内容"
    assert len(lines) == shown + 1
    assert f",{CITY_ADMIN},石家庄市管理员,石家庄市,新建地区,地区,操作日志新村,操作日志新村," in lines[1]
