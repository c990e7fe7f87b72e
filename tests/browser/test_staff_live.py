"""Gate staff at /staff/: the live list of arrivals at their checkpoint, approvals, warnings and hand entry."""

from __future__ import annotations

import asyncio
import re

import httpx
from playwright.async_api import Page, expect

from .h5 import checkpoint_code, dev_login, fill, staff_login
from .support import DEMO_PASSWORD, Server, screenshot

YELLOW = "rgb(242, 169, 0)"
GREEN = "rgb(7, 163, 90)"


class TestStaffView:
    async def test_staff_approve_a_pending_arrival_and_both_screens_change_live(
        self, desktop: Page, phone: Page, server: Server
    ) -> None:
        await desktop.goto("/staff/")
        await expect(desktop.get_by_role("heading", name="卡口执勤")).to_be_visible()
        await screenshot(desktop, "staff-login")
        await staff_login(desktop, "qiaotun_gate")
        await expect(desktop.get_by_role("heading", name="乔屯小区南门")).to_be_visible()
        await expect(desktop.get_by_text("实时", exact=True)).to_be_visible()

        await dev_login(phone, await checkpoint_code(server, "乔屯小区南门"))
        await fill(phone, "姓名", "赵六")
        await fill(phone, "手机号", "13600136000")
        await fill(phone, "住址/楼号", "5 号楼 101")
        await phone.get_by_role("radio", name="否").click()
        await fill(phone, "体温", "36.4")
        await phone.get_by_role("button", name="提交登记").click()
        receipt = phone.locator(".receipt")
        await expect(receipt.get_by_role("heading", name="待审核")).to_be_visible()
        await expect(receipt).to_have_css("background-color", YELLOW)
        await screenshot(phone, "h5-receipt-pending")

        row = desktop.locator(".arrival", has_text="赵*")
        await expect(row.locator(".status")).to_have_text("待审核")
        await screenshot(desktop, "staff-pending")
        await row.get_by_role("button", name="准许通行").click()

        await expect(row.locator(".status")).to_have_text("准许通行")
        await expect(row.get_by_role("button")).to_have_count(0)
        await expect(receipt.get_by_role("heading", name="准许通行")).to_be_visible(timeout=15_000)
        await expect(receipt).to_have_css("background-color", GREEN)

    async def test_a_visitor_entered_by_hand_with_a_fever_shows_as_a_red_row(self, desktop: Page) -> None:
        await staff_login(desktop, "yucai_gate")
        await expect(desktop.get_by_text("育才小区西门")).to_be_visible()
        await screenshot(desktop, "staff-pick")
        await desktop.get_by_text("育才小区东门").click()
        await expect(desktop.get_by_text("实时", exact=True)).to_be_visible()

        await desktop.get_by_role("button", name="手工登记").click()
        entry = desktop.locator(".hand-entry")
        await entry.get_by_placeholder("访客姓名").fill("孙七")
        await entry.get_by_placeholder("与身份证号至少填一项").fill("13500135000")
        await entry.get_by_placeholder("现场测量，如 36.5").fill("38.5")
        await screenshot(desktop, "staff-hand-entry")
        await entry.get_by_role("button", name="登记").click()

        await expect(entry).to_be_hidden()
        row = desktop.locator(".arrival", has_text="孙*")
        await expect(row.locator(".status")).to_have_text("体温异常")
        await expect(row).to_have_class("arrival abnormal alarm")
        await expect(row).to_have_css("background-color", "rgb(253, 236, 238)")
        await screenshot(desktop, "staff-fever")

    async def test_a_fever_is_sent_to_the_regions_alerts_with_what_the_gate_did(
        self, desktop: Page, phone: Page, server: Server
    ) -> None:
        await staff_login(desktop, "yucai_gate")
        await desktop.get_by_text("育才小区东门").click()
        await desktop.get_by_role("button", name="手工登记").click()
        entry = desktop.locator(".hand-entry")
        await entry.get_by_placeholder("访客姓名").fill("周九")
        await entry.get_by_placeholder("与身份证号至少填一项").fill("13500135009")
        await entry.get_by_placeholder("现场测量，如 36.5").fill("38.9")
        await entry.get_by_role("button", name="登记").click()
        row = desktop.locator(".arrival", has_text="周*")
        await expect(row.locator(".status")).to_have_text("体温异常")
        record_id = await row.get_attribute("data-id")
        assert record_id is not None
        # The records store takes the check-in a moment after the board shows it.
        admin = await admin_headers(server, "sjz")
        await alert_stored(server, admin, record_id)

        await row.get_by_role("button", name="处置").click()
        dialog = desktop.locator(".van-dialog", has_text="处置体温异常")
        await expect(dialog.get_by_role("button", name="报送辖区预警")).to_be_disabled()
        await dialog.get_by_placeholder("如：已劝返，通知社区医生上门复测").fill("已劝返，通知社区医生上门复测")
        await screenshot(desktop, "staff-fever-report")
        await dialog.get_by_role("button", name="报送辖区预警").click()

        await expect(desktop.get_by_text("已报送辖区预警（处置中）")).to_be_visible()
        await expect(dialog).to_be_hidden()
        await expect(row.locator(".reported")).to_have_text("已报送辖区预警：已劝返，通知社区医生上门复测")
        await expect(row.get_by_role("button", name="处置")).to_have_count(0)
        await screenshot(desktop, "staff-fever-reported")
        async with httpx.AsyncClient(base_url=server.base_url, headers=admin) as client:
            handling = (await client.get(f"/api/trace/alerts/{record_id}/handling")).json()
        assert (handling["state_label"], handling["steps"][0]["note"]) == ("处置中", "已劝返，通知社区医生上门复测")

        # The board never forgets: after a reload, and on another device, the card says so and offers no second 处置.
        await desktop.reload()
        await staff_login(phone, "yucai_gate")
        await phone.get_by_text("育才小区东门").click()
        for board in (desktop, phone):
            again = board.locator(f'.arrival[data-id="{record_id}"]')
            await expect(again.locator(".reported")).to_have_text("已报送辖区预警：已劝返，通知社区医生上门复测")
            await expect(again.get_by_role("button", name="处置")).to_have_count(0)
            await expect(again.get_by_role("button", name="复测")).to_be_visible()
        await screenshot(desktop, "staff-fever-reported-after-reload")
        await screenshot(phone, "staff-fever-reported-other-device")

    async def test_a_companion_rejected_at_the_gate_shows_on_the_residents_receipt_readably(
        self, desktop: Page, phone: Page, server: Server
    ) -> None:
        await staff_login(desktop, "qiaotun_gate")
        await expect(desktop.get_by_text("实时", exact=True)).to_be_visible()
        await dev_login(phone, await checkpoint_code(server, "乔屯小区南门"))
        await fill(phone, "姓名", "钱一")
        await fill(phone, "手机号", "13600136001")
        await fill(phone, "住址/楼号", "6 号楼 202")
        await phone.get_by_role("radio", name="是").click()
        await fill(phone, "体温", "36.5")
        await phone.get_by_role("button", name="添加同行人员（老人、儿童）").click()
        await phone.locator('input[name="companions.0.answers.name"]').fill("钱小二")
        await phone.locator('input[name="companions.0.answers.phone"]').fill("13600136002")
        await phone.locator('input[name="companions.0.answers.address"]').fill("6 号楼 202")
        await phone.get_by_role("radio", name="是").nth(1).click()
        await phone.locator('input[name="companions.0.temperature"]').fill("36.6")
        await phone.get_by_role("button", name="提交登记").click()
        receipt = phone.locator(".receipt")
        badge = receipt.locator(".companions li", has_text="钱**").locator(".badge")
        await expect(badge).to_have_text("待审核")

        await desktop.locator(".arrival", has_text="钱**").get_by_role("button", name="拒绝").click()
        await desktop.get_by_role("button", name="确认拒绝").click()
        leader = desktop.locator(".arrival", has_text=re.compile(r"钱\*(?!\*)"))
        await leader.get_by_role("button", name="准许通行").click()

        await expect(receipt.get_by_role("heading", name="准许通行")).to_be_visible(timeout=15_000)
        await expect(badge).to_have_text("已拒绝", timeout=15_000)
        # A badge of its own colours on the white card: white on red, whatever colour the band is.
        await expect(badge).to_have_css("background-color", "rgb(200, 30, 44)")
        await expect(badge).to_have_css("color", "rgb(255, 255, 255)")
        await screenshot(phone, "h5-receipt-companion-rejected")

    async def test_the_board_opened_again_keeps_todays_arrivals_and_asks_for_sound(
        self, desktop: Page, phone: Page, server: Server
    ) -> None:
        await staff_login(desktop, "qiaotun_gate")
        await expect(desktop.get_by_text("实时", exact=True)).to_be_visible()
        await dev_login(phone, await checkpoint_code(server, "乔屯小区南门"))
        await fill(phone, "姓名", "孙二")
        await fill(phone, "手机号", "13600136003")
        await fill(phone, "住址/楼号", "7 号楼 303")
        await phone.get_by_role("radio", name="是").click()
        await fill(phone, "体温", "38.2")
        await phone.get_by_role("button", name="添加同行人员（老人、儿童）").click()
        await phone.locator('input[name="companions.0.answers.name"]').fill("孙小三")
        await phone.locator('input[name="companions.0.answers.phone"]').fill("13600136004")
        await phone.locator('input[name="companions.0.answers.address"]').fill("7 号楼 303")
        await phone.get_by_role("radio", name="是").nth(1).click()
        await phone.locator('input[name="companions.0.temperature"]').fill("36.6")
        await phone.get_by_role("button", name="提交登记").click()
        await expect(phone.locator(".receipt").get_by_role("heading", name="体温异常")).to_be_visible()
        feverish = desktop.locator(".arrival", has_text=re.compile(r"孙\*(?!\*)"))
        await expect(feverish.locator(".status")).to_have_text("体温异常")

        # Opened again in a new tab of the same browser: signed in still, and not tapped yet. (A reload may carry the
        # last page's tap over, and then Chromium lets the new page make sound at once: whether it does is a race.)
        reopened = await desktop.context.new_page()
        await reopened.goto(desktop.url)
        feverish = reopened.locator(".arrival", has_text=re.compile(r"孙\*(?!\*)"))

        await expect(feverish.locator(".status")).to_have_text("体温异常")
        await expect(feverish.locator(".temperature")).to_contain_text("38.2 ℃")
        companion = reopened.locator(".arrival", has_text="孙**")
        await expect(companion.locator(".status")).to_have_text("待审核")
        allow = reopened.get_by_role("button", name=re.compile("点击开启提示音"))
        await expect(allow).to_be_visible()
        await screenshot(reopened, "staff-after-reload")
        await allow.click()
        await expect(allow).to_be_hidden()

    async def test_a_leader_and_companion_are_approved_at_once(
        self, desktop: Page, phone: Page, server: Server
    ) -> None:
        await staff_login(desktop, "qiaotun_gate")
        await expect(desktop.get_by_text("实时", exact=True)).to_be_visible()
        await dev_login(phone, await checkpoint_code(server, "乔屯小区南门"))
        await fill(phone, "姓名", "吴一")
        await fill(phone, "手机号", "13600136005")
        await fill(phone, "住址/楼号", "8 号楼 404")
        await phone.get_by_role("radio", name="是").click()
        await fill(phone, "体温", "36.5")
        await phone.get_by_role("button", name="添加同行人员（老人、儿童）").click()
        await phone.locator('input[name="companions.0.answers.name"]').fill("吴小二")
        await phone.locator('input[name="companions.0.answers.phone"]').fill("13600136006")
        await phone.locator('input[name="companions.0.answers.address"]').fill("8 号楼 404")
        await phone.get_by_role("radio", name="是").nth(1).click()
        await phone.locator('input[name="companions.0.temperature"]').fill("36.4")
        await phone.get_by_role("button", name="提交登记").click()
        receipt = phone.locator(".receipt")
        await expect(receipt.get_by_role("heading", name="待审核")).to_be_visible()

        leader = desktop.locator(".arrival", has_text=re.compile(r"吴\*(?!\*)"))
        group = leader.get_by_role("button", name="全部准许（2 人）")
        await expect(leader).to_contain_text("带同行 1 人")
        box = await group.bounding_box()
        assert box is not None
        assert box["height"] >= 44
        await screenshot(desktop, "staff-group")
        await group.click()

        await expect(leader.locator(".status")).to_have_text("准许通行")
        await expect(desktop.locator(".arrival", has_text="吴**").locator(".status")).to_have_text("准许通行")
        await expect(receipt.get_by_role("heading", name="准许通行")).to_be_visible(timeout=15_000)
        await expect(receipt.locator(".badge")).to_have_text("准许通行", timeout=15_000)


async def admin_headers(server: Server, username: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        login = await client.post("/api/auth/admin/login", json={"username": username, "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def alert_stored(server: Server, admin: dict[str, str], record_id: str) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, headers=admin) as client:
        for _ in range(100):
            if (await client.get(f"/api/trace/alerts/{record_id}/handling")).status_code == 200:
                return
            await asyncio.sleep(0.1)
    raise AssertionError(f"the fever {record_id} was not stored within 10 s")
