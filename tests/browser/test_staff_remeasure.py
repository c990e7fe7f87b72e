"""复测 on the staff board's fever card: the gate keeper types the temperature taken again, the card shows both readings
and the later one's status, and another board on the same checkpoint follows live."""

from __future__ import annotations

import re

from playwright.async_api import Page, ViewportSize, expect

from .h5 import staff_login
from .support import screenshot

TABLET = ViewportSize(width=768, height=1024)


async def open_gate(page: Page) -> None:
    await staff_login(page, "yucai_gate")
    await page.get_by_text("育才小区东门").click()
    await expect(page.get_by_text("实时", exact=True)).to_be_visible()


async def test_a_fever_taken_again_below_the_threshold_clears_the_card_on_every_board(
    desktop: Page, phone: Page
) -> None:
    await desktop.set_viewport_size(TABLET)
    await open_gate(desktop)
    await open_gate(phone)
    await desktop.get_by_role("button", name="手工登记").click()
    entry = desktop.locator(".hand-entry")
    await entry.get_by_placeholder("访客姓名").fill("钱十")
    await entry.get_by_placeholder("与身份证号至少填一项").fill("13500135010")
    await entry.get_by_placeholder("现场测量，如 36.5").fill("38.3")
    await entry.get_by_role("button", name="登记").click()
    row = desktop.locator(".arrival", has_text="钱*")
    other = phone.locator(".arrival", has_text="钱*")
    await expect(row.locator(".status")).to_have_text("体温异常")
    await expect(other.locator(".status")).to_have_text("体温异常")
    remeasure = row.get_by_role("button", name="复测")
    box = await remeasure.bounding_box()
    assert box is not None
    assert box["height"] >= 44

    await remeasure.click()
    dialog = desktop.locator(".van-dialog", has_text="复测体温")
    await expect(dialog).to_contain_text("钱* · 首次 38.3 ℃")
    await expect(dialog.get_by_role("button", name="确认复测")).to_be_disabled()
    await dialog.get_by_placeholder("如 36.6").fill("43")
    await dialog.get_by_role("button", name="确认复测").click()
    await expect(dialog).to_contain_text("体温应在 35.0～42.5 ℃ 之间，请重新测量")
    await dialog.get_by_placeholder("如 36.6").fill("36.7")
    await screenshot(desktop, "staff-remeasure")
    await dialog.get_by_role("button", name="确认复测").click()

    await expect(dialog).to_be_hidden()
    # Hand entries need no audit: below the threshold the visitor may pass, both readings on the card.
    for board in (row, other):
        await expect(board.locator(".status")).to_have_text("准许通行")
        await expect(board.locator(".remeasure")).to_contain_text(re.compile(r"复测 36\.7 ℃\s+\S+ · \d{2}:\d{2}"))
        await expect(board.locator(".temperature")).to_contain_text("38.3 ℃ 首次")
        await expect(board.get_by_role("button", name="复测")).to_have_count(0)
    await expect(row).not_to_have_class(re.compile("alarm"))
    await screenshot(desktop, "staff-remeasured")
    await screenshot(phone, "staff-remeasured-other-board")


async def test_a_fever_confirmed_by_a_second_reading_stays_red_with_both(desktop: Page) -> None:
    await desktop.set_viewport_size(TABLET)
    await open_gate(desktop)
    await desktop.get_by_role("button", name="手工登记").click()
    entry = desktop.locator(".hand-entry")
    await entry.get_by_placeholder("访客姓名").fill("孔十一")
    await entry.get_by_placeholder("与身份证号至少填一项").fill("13500135011")
    await entry.get_by_placeholder("现场测量，如 36.5").fill("37.9")
    await entry.get_by_role("button", name="登记").click()
    row = desktop.locator(".arrival", has_text="孔**")
    await expect(row.locator(".status")).to_have_text("体温异常")

    await row.get_by_role("button", name="复测").click()
    dialog = desktop.locator(".van-dialog", has_text="复测体温")
    await dialog.get_by_placeholder("如 36.6").fill("38.4")
    await dialog.get_by_role("button", name="确认复测").click()

    await expect(desktop.get_by_text("复测 38.4 ℃，确认发热")).to_be_visible()
    await expect(dialog).to_be_hidden()
    await expect(row.locator(".status")).to_have_text("体温异常")
    await expect(row.locator(".remeasure")).to_contain_text("复测 38.4 ℃")
    await expect(row.locator(".warning").first).to_have_text("⚠ 体温 38.4 ℃，达到发热标准（37.3 ℃）")
    # Still a fever: it can be taken again, and handled (处置).
    await expect(row.get_by_role("button", name="复测")).to_be_visible()
    await expect(row.get_by_role("button", name="处置")).to_be_visible()
    await screenshot(desktop, "staff-remeasure-confirmed")
