"""A resident on a phone scans a checkpoint's QR code: the check-in page at /c/<code>."""

from __future__ import annotations

import json
import re

from playwright.async_api import Browser, BrowserContext, Page, Request, expect

from .conftest import PHONE
from .h5 import checkpoint_code, dev_login, fill
from .support import Server, screenshot

GREEN = "rgb(7, 163, 90)"
RED = "rgb(224, 36, 51)"


class TestCheckin:
    async def test_a_resident_checks_in_then_again_with_the_temperature_reused(
        self, phone: Page, server: Server
    ) -> None:
        code = await checkpoint_code(server, "育才小区东门")

        await phone.goto(f"/c/{code}")
        await expect(phone.get_by_role("heading", name="育才小区东门")).to_be_visible()
        await expect(phone.get_by_text("河北省 › 石家庄市 › 长安区 › 育才街道 › 育才小区")).to_be_visible()
        await screenshot(phone, "h5-checkpoint")

        await phone.get_by_role("button", name="开发模式登录（模拟微信）").click()
        notice = phone.get_by_role("region", name="个人信息处理告知")
        await expect(notice.get_by_text("登记记录保存 30 天，期满自动删除。")).to_be_visible()
        await expect(notice.get_by_text("仅用于疫情防控", exact=False)).to_be_visible()
        await expect(notice.get_by_role("note")).to_contain_text("敏感个人信息")
        await expect(
            notice.get_by_text("登记表填写：姓名、手机号、住址/楼号、是否本小区居民；另需体温。")
        ).to_be_visible()
        await expect(phone.get_by_role("button", name="提交登记")).to_have_count(0)
        await screenshot(phone, "h5-privacy-notice")
        await notice.get_by_role("link", name="查看完整告知").click()
        await expect(notice.get_by_role("heading", name="三、敏感个人信息")).to_be_visible()
        await screenshot(phone, "h5-privacy-full-text")
        async with phone.expect_response(re.compile(r"/api/auth/me/privacy-consent$")) as consented:
            await notice.get_by_role("button", name="同意并继续登记").click()
        assert (await consented.value).status == 201
        await fill(phone, "姓名", "张三")
        await fill(phone, "手机号", "12345")
        await fill(phone, "住址/楼号", "3 号楼 2 单元 501")
        await phone.get_by_role("radio", name="是").click()
        await phone.get_by_role("button", name="提交登记").click()
        await expect(phone.get_by_text("请输入 11 位中国大陆手机号")).to_be_visible()
        await expect(phone.get_by_text("请测量体温后填写")).to_be_visible()
        await screenshot(phone, "h5-form-problems")

        await fill(phone, "手机号", "138 0013 8000")
        await fill(phone, "体温", "36.5")
        await screenshot(phone, "h5-form")
        async with phone.expect_response(re.compile(r"/api/checkin/checkins$")) as first:
            await phone.get_by_role("button", name="提交登记").click()
        receipt = phone.locator(".receipt")
        await expect(receipt).to_have_css("background-color", GREEN)
        await expect(receipt.get_by_role("heading", name="准许通行")).to_be_visible()
        await expect(receipt.get_by_text("36.5 ℃", exact=True)).to_be_visible()
        assert (await (await first.value).json())["temperature"]["source"] == "measured"
        ticking = await receipt.locator(".time").inner_text()
        await expect(receipt.locator(".time")).not_to_have_text(ticking)
        await screenshot(phone, "h5-receipt-passed")

        await phone.reload()
        # Back within the gate's assumed stay: leaving comes first, checking in again is one tap away.
        await expect(phone.get_by_text(re.compile(r"^您于 \d\d:\d\d 在此登记进入$"))).to_be_visible()
        await expect(phone.get_by_role("button", name="登记离开")).to_be_visible()
        await phone.get_by_role("button", name="再次登记进入").click()
        # After 20:00 Beijing time the four hours of validity end tomorrow, and the note names the day.
        await expect(phone.get_by_text(re.compile(r"^您的体温在有效期内（至 (\S+ )?\d\d:\d\d）$"))).to_be_visible()
        name = phone.locator(".van-field", has=phone.get_by_text("姓名", exact=True)).locator("input")
        await expect(name).to_have_value("张三")
        await screenshot(phone, "h5-form-temperature-valid")
        async with phone.expect_response(re.compile(r"/api/checkin/checkins$")) as second:
            await phone.get_by_role("button", name="提交登记").click()
        reused = (await (await second.value).json())["temperature"]
        assert (reused["value"], reused["source"]) == (36.5, "reused")
        await expect(receipt.get_by_text(re.compile(r"^36\.5 ℃（沿用 \d\d:\d\d 的测量）$"))).to_be_visible()

        await receipt.get_by_role("button", name="我的登记记录").click()
        await expect(phone.get_by_text("育才小区东门")).to_have_count(2)
        await screenshot(phone, "h5-history")

    async def test_scanning_again_within_the_stay_offers_to_leave_with_the_same_companions(
        self, phone: Page, server: Server
    ) -> None:
        code = await checkpoint_code(server, "东里菜市场")
        await dev_login(phone, code)
        await fill(phone, "姓名", "吴十")
        await fill(phone, "手机号", "13600136000")
        await fill(phone, "体温", "36.4")
        await phone.get_by_role("button", name="添加同行人员（老人、儿童）").click()
        # A child without a phone: reached through the resident's.
        await phone.locator('input[name="companions.0.answers.name"]').fill("吴小十")
        await expect(phone.locator('input[name="companions.0.answers.phone"]')).to_have_attribute(
            "placeholder", "没有可不填，使用本人手机号"
        )
        await phone.locator('input[name="companions.0.temperature"]').fill("36.6")
        await phone.get_by_role("button", name="提交登记").click()
        await expect(phone.locator(".receipt").get_by_role("heading", name="准许通行")).to_be_visible()

        await phone.goto(f"/c/{code}")
        await expect(phone.get_by_text(re.compile(r"^您于 \d\d:\d\d 在此登记进入（含同行 1 人）$"))).to_be_visible()
        await expect(phone.get_by_role("button", name="提交登记")).to_have_count(0)
        await screenshot(phone, "h5-stay-offers-leaving")
        async with phone.expect_response(re.compile(r"/api/checkin/checkouts$")) as leaving:
            await phone.get_by_role("button", name="登记离开").click()

        left = await (await leaving.value).json()
        assert (left["direction"], [companion["name_masked"] for companion in left["companions"]]) == ("out", ["吴**"])
        receipt = phone.locator(".receipt")
        await expect(receipt.get_by_role("heading", name="已登记离开")).to_be_visible()
        await expect(receipt.locator("dd", has_text="离开")).to_be_visible()
        await expect(receipt.locator(".companions li")).to_have_text("吴** · 36.6 ℃准许通行")
        # Everyone on it has a badge of their own, readable on the white card (white on green), whatever the band says.
        badges = receipt.locator(".badge")
        await expect(badges).to_have_text(["准许通行", "准许通行"])
        await expect(receipt.locator(".own-status .badge")).to_be_visible()
        for index in range(2):
            await expect(badges.nth(index)).to_have_css("background-color", "rgb(5, 128, 74)")
            await expect(badges.nth(index)).to_have_css("color", "rgb(255, 255, 255)")
        await screenshot(phone, "h5-receipt-left")
        await receipt.get_by_role("button", name="再登记一次").click()
        # Left: the next scan is a check-in again.
        await expect(phone.get_by_role("button", name="提交登记")).to_be_visible()
        await expect(phone.get_by_role("button", name="登记离开")).to_have_count(0)

    async def test_the_position_goes_only_with_the_residents_consent_and_in_gcj02(
        self, browser: Browser, server: Server
    ) -> None:
        code = await checkpoint_code(server, "石家庄站北广场")
        # Where the browser says the phone is (WGS-84): the page sends it in GCJ-02, as WeChat would.
        allowed = await browser.new_context(
            base_url=server.base_url,
            locale="zh-CN",
            geolocation={"latitude": 39.911954, "longitude": 116.377817, "accuracy": 30},
            permissions=["geolocation"],
            **PHONE,  # type: ignore[arg-type]
        )
        phone = await allowed.new_page()
        await dev_login(phone, code)
        await fill(phone, "姓名", "钱二")
        await fill(phone, "手机号", "13500135000")
        await fill(phone, "体温", "36.5")
        await expect(phone.get_by_text("仅用于核对是否在卡口现场，只保存与卡口的距离，不保存位置")).to_be_visible()
        await phone.get_by_role("switch", name="附带我的位置").click()
        await expect(phone.get_by_role("switch", name="附带我的位置")).to_have_attribute("aria-checked", "true")
        await screenshot(phone, "h5-form-location")
        async with phone.expect_request(re.compile(r"/api/checkin/checkins$")) as shared:
            await phone.get_by_role("button", name="提交登记").click()

        body = json.loads((await shared.value).post_data or "{}")
        assert body["location_consent"] is True
        assert body["location"] == {"latitude": 39.91334545536069, "longitude": 116.38404722455657, "accuracy": 30}
        await expect(phone.locator(".receipt").get_by_role("heading", name="准许通行")).to_be_visible()
        await allowed.close()

        # The browser's permission refused: said once, switched off, and the check-in goes on without a position.
        refused = await browser.new_context(base_url=server.base_url, locale="zh-CN", **PHONE)  # type: ignore[arg-type]
        phone = await refused.new_page()
        await phone.add_init_script("localStorage.setItem('lf.location.share', 'yes')")
        await dev_login(phone, code)
        await fill(phone, "姓名", "孙三")
        await fill(phone, "手机号", "13500135001")
        await fill(phone, "体温", "36.5")
        async with phone.expect_request(re.compile(r"/api/checkin/checkins$")) as unshared:
            await phone.get_by_role("button", name="提交登记").click()
        await expect(phone.get_by_text("未获得位置授权，本次登记不附带位置")).to_be_visible()
        body = json.loads((await unshared.value).post_data or "{}")
        assert (body["location"], body["location_consent"]) == (None, False)
        await expect(phone.locator(".receipt").get_by_role("heading", name="准许通行")).to_be_visible()
        await refused.close()

    async def test_large_type_and_the_result_spoken_aloud(self, phone: Page, server: Server) -> None:
        # Records what the page asks the browser to say (headless Chromium has no voice to hear).
        await phone.add_init_script(
            "window.__said = []; speechSynthesis.speak = (utterance) => window.__said.push([utterance.text, utterance.lang])"
        )
        await dev_login(phone, await checkpoint_code(server, "石家庄站北广场"))
        name = phone.locator('input[name="answers.name"]')
        normal = await name.evaluate("(input) => parseFloat(getComputedStyle(input).fontSize)")

        await phone.get_by_role("button", name="大字模式").click()
        await phone.get_by_role("button", name="语音播报").click()
        await expect(phone.get_by_role("button", name="大字模式：开")).to_have_attribute("aria-pressed", "true")
        large = await name.evaluate("(input) => parseFloat(getComputedStyle(input).fontSize)")
        assert large > normal
        await expect(phone.locator("html")).to_have_class("lf-large")
        await fill(phone, "姓名", "郑九")
        await fill(phone, "手机号", "13900139009")
        await fill(phone, "体温", "36.6")
        await screenshot(phone, "h5-large-type")
        await phone.get_by_role("button", name="提交登记").click()

        await expect(phone.locator(".receipt").get_by_role("heading", name="准许通行")).to_be_visible()
        await phone.wait_for_function("() => window.__said.length === 2")
        assert await phone.evaluate("() => window.__said") == [["已开启语音播报", "zh-CN"], ["准许通行", "zh-CN"]]
        await phone.reload()
        await expect(phone.get_by_role("button", name="语音播报：开")).to_be_visible()

    async def test_a_fever_shows_red(self, phone: Page, server: Server) -> None:
        await dev_login(phone, await checkpoint_code(server, "石家庄站北广场"))
        await fill(phone, "姓名", "李四")
        await fill(phone, "手机号", "13900139000")
        await fill(phone, "体温", "38.2")

        await phone.get_by_role("button", name="提交登记").click()

        receipt = phone.locator(".receipt")
        await expect(receipt.get_by_role("heading", name="体温异常")).to_be_visible()
        await expect(receipt).to_have_css("background-color", RED)
        await screenshot(phone, "h5-receipt-fever")

    async def test_an_unknown_code_says_so(self, phone: Page) -> None:
        await phone.goto("/c/ZZZZ2222")

        await expect(phone.get_by_text("未找到该卡口，请核对二维码或卡口编号")).to_be_visible()
        await screenshot(phone, "h5-unknown")

    async def test_the_privacy_notice_is_asked_once_per_resident_on_any_phone(
        self, browser: Browser, server: Server
    ) -> None:
        code = await checkpoint_code(server, "育才小区东门")
        first = await browser.new_context(base_url=server.base_url, locale="zh-CN", **PHONE)  # type: ignore[arg-type]
        second = await browser.new_context(base_url=server.base_url, locale="zh-CN", **PHONE)  # type: ignore[arg-type]
        declining = await first.new_page()
        await declining.goto(f"/c/{code}")
        await declining.get_by_label("模拟 openid").fill("privacy-once")
        await declining.get_by_role("button", name="开发模式登录（模拟微信）").click()
        await declining.get_by_role("button", name="不同意").click()
        await expect(declining.get_by_role("alert")).to_have_text(
            "不同意将无法在线登记。您可以向现场工作人员出示证件，由工作人员为您人工登记。"
        )
        await expect(declining.get_by_role("button", name="提交登记")).to_have_count(0)
        await declining.get_by_role("button", name="同意并继续登记").click()
        await expect(declining.get_by_role("button", name="提交登记")).to_be_visible()

        other_phone = await second.new_page()
        await other_phone.goto(f"/c/{code}")
        await other_phone.get_by_label("模拟 openid").fill("privacy-once")
        await other_phone.get_by_role("button", name="开发模式登录（模拟微信）").click()
        await expect(other_phone.get_by_role("button", name="提交登记")).to_be_visible()
        await expect(other_phone.get_by_role("button", name="同意并继续登记")).to_have_count(0)
        await first.close()
        await second.close()

    async def test_a_check_in_that_meets_no_network_goes_out_once_after_a_reload(
        self, phone_context: BrowserContext, phone: Page, server: Server
    ) -> None:
        await dev_login(phone, await checkpoint_code(server, "建北农贸市场"))
        await fill(phone, "姓名", "王五")
        await fill(phone, "手机号", "13700137000")
        await fill(phone, "体温", "36.6")
        await phone_context.set_offline(True)

        await phone.get_by_role("button", name="提交登记").click()
        await expect(phone.get_by_text(re.compile("网络不佳，\\d+ 秒后自动重试"))).to_be_visible()
        queued = await phone.evaluate("JSON.parse(localStorage.getItem('lf.checkin.queue'))")
        await phone_context.set_offline(False)
        posted: list[Request] = []
        phone.on("request", lambda request: posted.append(request) if request.url.endswith("/checkins") else None)
        await phone.reload()

        await expect(phone.locator(".receipt").get_by_role("heading", name="准许通行")).to_be_visible()
        first_id = next(iter(queued.values()))["body"]["client_id"]
        assert [json.loads(request.post_data or "{}")["client_id"] for request in posted] == [first_id]

    async def test_a_resident_checks_in_a_companion_with_their_own_answers_and_temperature(
        self, phone: Page, server: Server
    ) -> None:
        await dev_login(phone, await checkpoint_code(server, "东里菜市场"))
        await fill(phone, "姓名", "周八")
        await fill(phone, "手机号", "13300133000")
        await fill(phone, "体温", "36.5")

        await phone.get_by_role("button", name="添加同行人员（老人、儿童）").click()
        await phone.locator('input[name="companions.0.answers.name"]').fill("周小九")
        await phone.locator('input[name="companions.0.answers.phone"]').fill("13300133001")
        # Only the server knows the companion has no valid temperature on record: its 422 lands on their field.
        await phone.get_by_role("button", name="提交登记").click()
        await expect(phone.get_by_text("请测量体温后填写")).to_be_visible()
        await phone.locator('input[name="companions.0.temperature"]').fill("37.9")
        await expect(phone.get_by_text("请测量体温后填写")).to_have_count(0)
        await screenshot(phone, "h5-form-companion")
        await phone.get_by_role("button", name="提交登记").click()

        receipt = phone.locator(".receipt")
        await expect(receipt.get_by_role("heading", name="准许通行")).to_be_visible()
        companion = receipt.locator(".companions li")
        await expect(companion).to_have_text("周** · 37.9 ℃体温异常")
        await screenshot(phone, "h5-receipt-companion")
