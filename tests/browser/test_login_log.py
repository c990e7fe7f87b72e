"""登录日志 in the admin SPA: a city admin reads who logged in to its area, when, from where and how it ended."""

from __future__ import annotations

import asyncio

import httpx
from playwright.async_api import Page, expect

from .support import DEMO_PASSWORD, Server, screenshot
from .test_admin_pages import CITY_ADMIN, log_in, open_screen


def _tries(server: Server) -> None:
    """A wrong password for a street's admin (never the county one another test locks), then the right one."""
    with httpx.Client(base_url=server.base_url, timeout=10, headers={"User-Agent": "Mozilla/5.0 WeChat"}) as client:
        client.post("/api/auth/admin/login", json={"username": "qiaoxi", "password": "not-the-password-1"})
        client.post("/api/auth/admin/login", json={"username": "qiaoxi", "password": DEMO_PASSWORD})


async def test_a_city_admin_reads_logins_filters_failures_and_exports_them(desktop: Page, server: Server) -> None:
    await asyncio.to_thread(_tries, server)
    await log_in(desktop, CITY_ADMIN)
    await open_screen(desktop, "登录日志")

    table = desktop.locator(".el-table")
    first = table.locator(".el-table__row").first
    await expect(first).to_contain_text(CITY_ADMIN)
    await expect(first).to_contain_text("登录成功")
    await expect(first).to_contain_text("石家庄市")
    failed = table.locator(".el-table__row", has_text="用户名或密码错误").filter(has_text="qiaoxi")
    await expect(failed).to_contain_text("桥西区")
    await expect(failed).to_contain_text("Mozilla/5.0 WeChat")
    await screenshot(desktop, "admin-login-log")

    await desktop.get_by_placeholder("完整用户名").fill("qiaoxi")
    await desktop.locator(".el-form-item", has_text="结果").locator(".el-select").click()
    await desktop.locator(".el-select-dropdown__item:visible", has_text="用户名或密码错误").click()
    await desktop.get_by_role("button", name="查询").click()
    await expect(table.locator(".el-table__row")).to_have_count(1)
    await expect(table.locator(".el-table__row")).to_contain_text("qiaoxi")

    async with desktop.expect_download() as waiting:
        await desktop.get_by_role("button", name="导出").click()
    download = await waiting.value
    text = (await download.path()).read_text(encoding="utf-8-sig")
    assert download.suggested_filename.startswith("登录日志-")
    lines = text.splitlines()
    assert lines[0] == "时间,用户名,姓名,所属地区,结果,来源地址,浏览器"
    assert len(lines) == 2
    assert ",qiaoxi,桥西区管理员,桥西区,用户名或密码错误,127.0.0.1,Mozilla/5.0 WeChat" in lines[1]
