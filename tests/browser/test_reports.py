"""流调报告 from the admin SPA: the trajectory and the contact screening printed as PDFs, masked or in full for a
reason, read back with poppler."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Download, Page, expect

from .support import Server, screenshot
from .test_admin_pages import CITY_ADMIN, MARKET, _admin_token, _check_in, confirm_in_box, open_directly

# Two residents at the market a minute apart: each other's contacts.
VISITORS = (("冯刚", "13800138101", 36.6), ("陈静", "13800138102", 36.8))


@pytest.fixture(scope="module")
def index_phone(server: Server) -> str:
    _check_in(server, CITY_ADMIN, MARKET, VISITORS)
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        admin = {"Authorization": f"Bearer {_admin_token(client, CITY_ADMIN)}"}
        deadline = time.monotonic() + 20
        for _, phone, _ in VISITORS:
            while not client.get("/api/trace/people/trajectory", params={"phone": phone}, headers=admin).json()[
                "visits"
            ]:
                assert time.monotonic() < deadline, "the check-ins never reached the records store"
                time.sleep(0.2)
    return VISITORS[0][1]


def pdftotext(path: Path) -> str:
    binary = shutil.which("pdftotext")
    if binary is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run([binary, "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


async def printed(page: Page, version: str, reason: str | None = None) -> tuple[Download, str]:
    await page.get_by_role("button", name="打印流调报告").click()
    async with page.expect_download() as waiting:
        await page.locator(".el-dropdown-menu__item:visible", has_text=version).click()
        if reason is not None:
            await confirm_in_box(page, "填写事由", reason)
    download = await waiting.value
    path = await download.path()
    assert path.read_bytes().startswith(b"%PDF")
    return download, pdftotext(path)


async def test_a_trajectory_prints_as_a_report_masked_and_in_full_for_a_reason(desktop: Page, index_phone: str) -> None:
    await open_directly(desktop, "trajectory", CITY_ADMIN)
    await desktop.get_by_placeholder("11 位手机号").fill(index_phone)
    await desktop.get_by_role("button", name="查询").click()
    await expect(desktop.locator(".el-timeline")).to_contain_text(MARKET)
    await screenshot(desktop, "admin-trajectory-report")

    download, text = await printed(desktop, "PDF（脱敏）")

    assert re.fullmatch(r"流调报告-个人轨迹-\d{8}-\d{6}\.pdf", download.suggested_filename)
    assert "138****8101" in text
    assert MARKET in text
    assert "13800138101" not in text
    assert "本报告仅供疫情防控使用" in text

    download, text = await printed(desktop, "PDF（完整信息，需填写事由）", reason="病例流调核实")

    assert "13800138101" not in download.suggested_filename
    assert "13800138101" in text
    assert "冯刚" in text
    assert "病例流调核实" in text


async def test_a_contact_screening_prints_as_a_report(desktop: Page, index_phone: str) -> None:
    await open_directly(desktop, f"contacts?phone={index_phone}", CITY_ADMIN)
    await expect(desktop.locator(".contacts")).to_contain_text("138****8102")
    await screenshot(desktop, "admin-contacts-report")

    download, text = await printed(desktop, "PDF（脱敏）")

    assert re.fullmatch(r"流调报告-密接筛查-\d{8}-\d{6}\.pdf", download.suggested_filename)
    for shown in ("密接筛查", "138****8101", "138****8102", MARKET):
        assert shown in text, shown
    assert "13800138102" not in text
