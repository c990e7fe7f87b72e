"""What the check-in page and staff view tests share: checkpoint codes from the demo, and a resident checking in."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from .support import DEMO_PASSWORD, Server

# Demo admins whose subtrees hold every demo checkpoint.
CITY_ADMINS = ("sjz", "tangshan")


async def checkpoint_code(server: Server, name: str) -> str:
    """The public code of a demo checkpoint, as its city's admin finds it in the registry."""
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        for username in CITY_ADMINS:
            login = await client.post("/api/auth/admin/login", json={"username": username, "password": DEMO_PASSWORD})
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            found = await client.get("/api/registry/checkpoints", params={"q": name}, headers=headers)
            for checkpoint in found.json()["items"]:
                if checkpoint["name"] == name:
                    code: str = checkpoint["code"]
                    return code
    raise AssertionError(f"no demo checkpoint named {name}")


async def dev_login(page: Page, code: str) -> None:
    """Opens the checkpoint's page and logs in with the dev login, as a resident outside WeChat does locally, agreeing
    to the privacy notice when it is asked (once per resident)."""
    await page.goto(f"/c/{code}")
    await page.get_by_role("button", name="开发模式登录（模拟微信）").click()
    submit = page.get_by_role("button", name="提交登记")
    agree = page.get_by_role("button", name="同意并继续登记")
    await expect(submit.or_(agree)).to_be_visible()
    if await agree.is_visible():
        await agree.click()
    await expect(submit).to_be_visible()


async def fill(page: Page, label: str, value: str) -> None:
    await page.locator(".van-field", has=page.get_by_text(label, exact=True)).locator("input").fill(value)


async def staff_login(page: Page, username: str) -> None:
    """Logs a gate keeper of the demo into the staff view; with one checkpoint, its live list opens at once."""
    await page.goto("/staff/")
    await page.get_by_placeholder("执勤账号").fill(username)
    await page.get_by_placeholder("密码").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="登录").click()
