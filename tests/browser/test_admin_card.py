"""个人码 in the admin SPA: an administrator prints a personal code for a resident without a smartphone."""

from __future__ import annotations

from playwright.async_api import Page, expect
from stdnum.cn import ric

from .support import screenshot
from .test_admin_pages import CITY_ADMIN, open_directly

NUMBER = "13010219400101003" + str(ric.calc_check_digit("130102194001010030"))


async def test_an_admin_prints_a_personal_code_and_a_bad_field_is_named(desktop: Page) -> None:
    await open_directly(desktop, "records", CITY_ADMIN)
    await desktop.get_by_role("button", name="个人码").click()
    dialog = desktop.locator(".card-dialog")
    await dialog.get_by_placeholder("持卡人姓名").fill("蒋文秀")
    await dialog.get_by_placeholder("与身份证号至少填一项").fill("1380013")
    await dialog.get_by_role("button", name="打印个人码").click()
    await expect(dialog.locator(".el-form-item__error")).to_have_text("请输入 11 位中国大陆手机号")

    await dialog.get_by_placeholder("与身份证号至少填一项").fill("")
    await dialog.get_by_placeholder("与手机号至少填一项").fill(NUMBER)
    await screenshot(desktop, "admin-personal-card")
    async with desktop.expect_popup() as opened:
        await dialog.get_by_role("button", name="打印个人码").click()
    card = await opened.value

    await expect(card.get_by_text("持卡人：蒋**")).to_be_visible()
    await expect(card.locator(".qr svg")).to_be_visible()
    await expect(card.locator("body")).not_to_contain_text(NUMBER)
