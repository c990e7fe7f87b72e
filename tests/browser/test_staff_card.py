"""A visitor without a smartphone at the gate: a personal code (个人码) printed from the staff view, shown to the
tablet's rear camera (Chromium's fake camera playing the printed QR), a temperature, one tap."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Browser, Page, async_playwright, expect
from stdnum.cn import ric

from .conftest import CHROMIUM, CHROMIUM_ARGS
from .h5 import staff_login
from .support import Server, screenshot

FRAME = (640, 480)
NUMBER = "13010219600101002" + str(ric.calc_check_digit("130102196001010020"))


def y4m(png: bytes) -> bytes:
    """A Y4M video of the image on white, centred, for `--use-file-for-fake-video-capture`: grey levels in the Y
    plane, neutral chroma (a black and white QR needs no colour)."""
    width, height = FRAME
    frame = Image.new("L", FRAME, 255)
    picture = Image.open(io.BytesIO(png)).convert("L")
    side = int(height * 0.8)
    frame.paste(picture.resize((side, side), Image.Resampling.NEAREST), ((width - side) // 2, (height - side) // 2))
    chroma = bytes([128]) * (width // 2 * height // 2)
    body = b"FRAME\n" + frame.tobytes() + chroma + chroma
    # Chromium plays the file in a loop; a few identical frames are a still card held in front of the lens.
    return f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + body * 3


@pytest.fixture
def camera_file(tmp_path: Path) -> Path:
    return tmp_path / "card.y4m"


@pytest.fixture
async def tablet(camera_file: Path, server: Server) -> AsyncIterator[Page]:
    """A gate tablet (768×1024) whose rear camera films `camera_file`; the file is read when the camera starts."""
    async with async_playwright() as playwright:
        browser: Browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={camera_file}",
            ],
        )
        context = await browser.new_context(
            base_url=server.base_url, viewport={"width": 768, "height": 1024}, locale="zh-CN", has_touch=True
        )
        await context.grant_permissions(["camera"], origin=server.base_url)
        yield await context.new_page()
        await browser.close()


class TestPersonalCode:
    async def test_printed_scanned_measured_and_on_the_board(self, tablet: Page, camera_file: Path) -> None:
        await staff_login(tablet, "yucai_gate")
        await tablet.get_by_text("育才小区东门").click()
        await expect(tablet.get_by_text("实时", exact=True)).to_be_visible()

        await tablet.get_by_role("button", name="手工登记").click()
        entry = tablet.locator(".hand-entry")
        await entry.get_by_placeholder("访客姓名").fill("褚卫东")
        await entry.get_by_placeholder("18 位居民身份证号码").fill(NUMBER)
        async with tablet.expect_popup() as opened:
            await entry.get_by_role("button", name="打印个人码").click()
        card = await opened.value
        await expect(card.get_by_text("持卡人：褚**")).to_be_visible()
        await expect(card.get_by_role("heading", name="联防个人码")).to_be_visible()
        for personal in ("褚卫东", NUMBER):
            await expect(card.locator("body")).not_to_contain_text(personal)
        await screenshot(card, "staff-card-print")
        video = y4m(await card.locator(".qr svg").screenshot())
        await asyncio.to_thread(camera_file.write_bytes, video)
        await card.close()
        await tablet.locator(".van-popup__close-icon").click()
        await expect(entry).to_be_hidden()

        await tablet.get_by_role("button", name="扫码登记").click()
        holder = tablet.locator('[aria-label="个人码持卡人"]')
        await expect(holder).to_contain_text("褚**", timeout=15_000)
        await expect(holder).to_contain_text(f"130{'*' * 11}{NUMBER[-4:]}")
        await entry.get_by_placeholder("现场测量，如 36.5").fill("36.5")
        await screenshot(tablet, "staff-card-scanned")
        await entry.get_by_role("button", name="确认登记").click()

        await expect(entry).to_be_hidden()
        row = tablet.locator(".arrival", has_text="褚**")
        await expect(row.locator(".status")).to_have_text("准许通行")
        await expect(row).to_contain_text("36.5")
        await screenshot(tablet, "staff-card-arrival")
