"""Accounts an admin made (or whose password an admin reset) change that password before anything else: in the admin
SPA and in the staff view, as the person meets it at their first login."""

from __future__ import annotations

import asyncio

import httpx
from playwright.async_api import Page, expect

from .support import DEMO_PASSWORD, Server, screenshot

MARKET = "建北农贸市场"
FIRST = "First-2026"  # what the superior typed
OWN = "Own-pass-2026"


def _add_account(server: Server, username: str, role: str) -> None:
    """The demo's city admin adds an account at the market's street through the API, as its 新增账号 dialog does."""
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        login = client.post("/api/auth/admin/login", json={"username": "sjz", "password": DEMO_PASSWORD})
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        market = client.get("/api/registry/checkpoints", params={"q": MARKET}, headers=admin).json()["items"][0]
        account = {"username": username, "password": FIRST, "name": "新同事", "region_id": market["region_id"]}
        if role == "staff":
            account |= {"role": "staff", "checkpoint_ids": [market["id"]]}
        client.post("/api/auth/admins", json=account, headers=admin).raise_for_status()


async def test_a_new_admin_changes_the_password_first_then_finds_it_under_the_user_menu(
    desktop: Page, server: Server
) -> None:
    await asyncio.to_thread(_add_account, server, "jianbei_admin", "admin")

    await desktop.goto("/admin/login")
    await desktop.get_by_placeholder("用户名").fill("jianbei_admin")
    await desktop.get_by_placeholder("密码").fill(FIRST)
    await desktop.get_by_role("button", name="登 录").click()
    await desktop.wait_for_url("**/admin/password?redirect=**")
    await expect(desktop.get_by_role("heading", name="修改初始密码")).to_be_visible()
    await desktop.goto("/admin/records")
    await desktop.wait_for_url("**/admin/password?redirect=/records")

    form = desktop.locator(".password-form")
    await form.locator("input[name=old_password]").fill(FIRST)
    await form.locator("input[name=new_password]").fill(FIRST)
    await form.locator("input[name=confirm]").fill("Other-2026")
    await form.get_by_role("button", name="确认修改").click()
    await expect(form.locator(".el-form-item", has_text="新密码").first).to_contain_text("新密码不能与原密码相同")
    await expect(form.locator(".el-form-item", has_text="确认新密码")).to_contain_text("两次输入的新密码不一致")
    await screenshot(desktop, "admin-password-first")

    await form.locator("input[name=new_password]").fill(OWN)
    await form.locator("input[name=confirm]").fill(OWN)
    await form.get_by_role("button", name="确认修改").click()
    await desktop.wait_for_url("**/admin/records")
    await expect(desktop.locator(".el-breadcrumb")).to_contain_text("登记记录")

    await desktop.locator(".header .user").click()
    await desktop.get_by_role("menuitem", name="个人中心").click()
    await desktop.wait_for_url("**/admin/profile")
    await expect(desktop.locator(".el-descriptions")).to_contain_text("jianbei_admin")
    await expect(desktop.locator(".el-descriptions")).to_contain_text("建北街道")
    profile = desktop.locator(".password-form")
    await profile.locator("input[name=old_password]").fill("wrong-pass-1")
    await profile.locator("input[name=new_password]").fill("Newer-2026")
    await profile.locator("input[name=confirm]").fill("Newer-2026")
    await profile.get_by_role("button", name="确认修改").click()
    await expect(profile.locator(".el-form-item", has_text="原密码")).to_contain_text("原密码不正确")
    await screenshot(desktop, "admin-profile")


async def test_a_new_gate_keeper_changes_the_password_then_sees_the_checkpoint(phone: Page, server: Server) -> None:
    await asyncio.to_thread(_add_account, server, "jianbei_gate2", "staff")

    await phone.goto("/staff/")
    await phone.get_by_placeholder("执勤账号").fill("jianbei_gate2")
    await phone.get_by_placeholder("密码").fill(FIRST)
    await phone.get_by_role("button", name="登录").click()
    await expect(phone.get_by_text("修改初始密码")).to_be_visible()
    await phone.locator("input[name=old_password]").fill(FIRST)
    await phone.locator("input[name=new_password]").fill("short")
    await phone.get_by_role("button", name="确认修改").click()
    await expect(phone.get_by_text("密码至少 8 位，且同时包含字母和数字")).to_be_visible()
    await screenshot(phone, "staff-password-first")

    await phone.locator("input[name=new_password]").fill(OWN)
    await phone.locator("input[name=confirm]").fill(OWN)
    await phone.get_by_role("button", name="确认修改").click()
    await expect(phone.get_by_role("heading", name=MARKET)).to_be_visible()
