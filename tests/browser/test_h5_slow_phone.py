"""The check-in page on a cheap phone: 360×640, 400 kbit/s, 400 ms latency, the CPU four times slower (Chrome DevTools
Protocol), an empty cache, then a return visit.

Each run records when the checkpoint's name is first drawn and when the first screen can be used (the login button
for a newcomer; the form with the resident's prefill for a resident), from navigation start, in the page's own clock.
The test asserts what the resident sees, never a time: the machine is shared. With `LIANFANG_BROWSER_BENCH=1` every
case runs five times and the medians go to `bench/results/checkin_page_slow_phone.md`; otherwise each runs once.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from .h5 import checkpoint_code, dev_login, fill
from .support import REPOSITORY, Server, screenshot

CHECKPOINT = "育才小区东门"
REGION = "河北省 › 石家庄市 › 长安区 › 育才街道 › 育才小区"
RESIDENT_NAME = "王五"
SLOW_PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 640},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
# DevTools throttling: bytes per second each way, latency added to every request.
NETWORK = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
CPU_SLOWDOWN = 4
RUNS = 5 if os.environ.get("LIANFANG_BROWSER_BENCH") == "1" else 1
RESULTS = REPOSITORY / "bench" / "results" / "checkin_page_slow_phone.md"

# Watches every frame (requestAnimationFrame runs just before the browser paints) for the name in the page's heading and
# for the first screen being usable; `usable` is a JavaScript expression, true once it is.
WATCH = """
(() => {
  const marks = {}
  window.__lfMarks = marks
  const usable = () => { try { return Boolean(%(usable)s) } catch { return false } }
  const visible = (element) => element !== null && element.getBoundingClientRect().height > 0
  const frame = () => {
    const now = performance.now()
    const heading = document.querySelector('h1')
    if (!('name' in marks) && visible(heading) && heading.textContent.trim() === %(name)s) marks.name = now
    if (!('usable' in marks) && usable()) marks.usable = now
    if (!('name' in marks && 'usable' in marks)) requestAnimationFrame(frame)
  }
  requestAnimationFrame(frame)
})()
"""
LOGIN_USABLE = """[...document.querySelectorAll('button')].some((b) =>
  b.textContent.includes('开发模式登录') && !b.disabled && b.getBoundingClientRect().height > 0)"""
FORM_USABLE = f"""[...document.querySelectorAll('button')].some((b) =>
  b.textContent.includes('提交登记') && !b.disabled && b.getBoundingClientRect().height > 0)
  && [...document.querySelectorAll('.van-field input')].some((i) => i.value === {json.dumps(RESIDENT_NAME)} && !i.disabled)"""


@dataclass
class Case:
    title: str
    name_ms: list[float] = field(default_factory=list)
    usable_ms: list[float] = field(default_factory=list)
    transferred: list[int] = field(default_factory=list)


def requests_of(context: BrowserContext) -> list[str]:
    """The URLs the context asks for from now on, as it asks."""
    asked: list[str] = []
    context.on("request", lambda request: asked.append(request.url))
    return asked


async def throttle(context: BrowserContext, page: Page) -> None:
    session = await context.new_cdp_session(page)
    await session.send("Network.enable")
    await session.send("Network.emulateNetworkConditions", NETWORK)
    await session.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})


async def visit(context: BrowserContext, code: str, usable: str, case: Case) -> Page:
    """Opens the page on a throttled tab, waits until the first screen is usable and records the marks."""
    page = await context.new_page()
    await throttle(context, page)
    await page.add_init_script(WATCH % {"usable": usable, "name": json.dumps(CHECKPOINT)})
    await page.goto(f"/c/{code}", wait_until="commit")
    await page.wait_for_function("() => window.__lfMarks && 'name' in window.__lfMarks && 'usable' in window.__lfMarks")
    marks = await page.evaluate("() => window.__lfMarks")
    transferred = await page.evaluate(
        """() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
             .reduce((sum, entry) => sum + entry.transferSize, 0)"""
    )
    case.name_ms.append(marks["name"])
    case.usable_ms.append(marks["usable"])
    case.transferred.append(int(transferred))
    await expect(page.get_by_role("heading", name=CHECKPOINT)).to_be_visible()
    await expect(page.get_by_text(REGION)).to_be_visible()
    return page


@pytest.fixture(scope="module")
async def resident_storage(browser: Browser, server: Server, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A resident who has checked in here once, unthrottled: their login and prefill, as the phone keeps them."""
    code = await checkpoint_code(server, CHECKPOINT)
    context = await browser.new_context(base_url=server.base_url, **SLOW_PHONE)
    page = await context.new_page()
    await dev_login(page, code)
    await fill(page, "姓名", RESIDENT_NAME)
    await fill(page, "手机号", "13700137000")
    await fill(page, "住址/楼号", "5 号楼 1 单元 101")
    await page.get_by_role("radio", name="是").click()
    await fill(page, "体温", "36.4")
    await page.get_by_role("button", name="提交登记").click()
    await expect(page.get_by_role("heading", name="准许通行")).to_be_visible()
    # Left again, so that the visits below are offered the form rather than 离开.
    await page.goto(f"/c/{code}")
    await page.get_by_role("button", name="登记离开").click()
    await expect(page.get_by_role("heading", name="已登记离开")).to_be_visible()
    path = tmp_path_factory.mktemp("resident") / "storage.json"
    await context.storage_state(path=str(path))
    await context.close()
    return path


@pytest.fixture(scope="module")
def cases() -> dict[str, Case]:
    return {}


@pytest.fixture(scope="module", autouse=True)
async def _write_results(cases: dict[str, Case]) -> AsyncIterator[None]:
    yield
    if RUNS > 1 and cases:
        RESULTS.write_text(_report(cases))


class TestSlowPhone:
    async def test_before_any_script_runs_the_page_names_the_checkpoint(self, browser: Browser, server: Server) -> None:
        code = await checkpoint_code(server, CHECKPOINT)
        context = await browser.new_context(base_url=server.base_url, java_script_enabled=False, **SLOW_PHONE)
        page = await context.new_page()

        await page.goto(f"/c/{code}")

        await expect(page.get_by_role("heading", name=CHECKPOINT)).to_be_visible()
        await expect(page.get_by_text(REGION)).to_be_visible()
        await expect(page.get_by_text("正在加载登记表…")).to_be_visible()
        assert await page.title() == "扫码登记"
        await screenshot(page, "h5-shell")
        await page.goto("/c/NONE2345")
        await expect(page.get_by_role("heading", name="无法打开该卡口")).to_be_visible()
        await expect(page.get_by_text("未找到该卡口，请核对二维码或卡口编号")).to_be_visible()
        await context.close()

    async def test_a_newcomer_sees_the_checkpoint_then_the_login(
        self, browser: Browser, server: Server, cases: dict[str, Case]
    ) -> None:
        code = await checkpoint_code(server, CHECKPOINT)
        case = cases.setdefault("newcomer", Case("first visit, not logged in: empty cache → login button usable"))
        for run in range(RUNS):
            context = await browser.new_context(base_url=server.base_url, **SLOW_PHONE)
            asked = requests_of(context)
            page = await visit(context, code, LOGIN_USABLE, case)
            await expect(page.get_by_role("button", name="开发模式登录（模拟微信）")).to_be_enabled()
            # The page's preload of the login settings is the request the script uses; the checkpoint came with the page.
            assert [url for url in asked if "/api/" in url] == [f"{server.base_url}/api/auth/config"]
            if run == 0:
                await screenshot(page, "h5-slow-phone-newcomer")
            await context.close()

    async def test_a_resident_with_an_empty_cache_then_a_return_visit(
        self, browser: Browser, server: Server, resident_storage: Path, cases: dict[str, Case]
    ) -> None:
        code = await checkpoint_code(server, CHECKPOINT)
        first = cases.setdefault("resident", Case("first visit, logged in: empty cache → form with prefill usable"))
        again = cases.setdefault("return", Case("return visit: cached scripts and styles → form with prefill usable"))
        for run in range(RUNS):
            context = await browser.new_context(
                base_url=server.base_url, storage_state=str(resident_storage), **SLOW_PHONE
            )
            page = await visit(context, code, FORM_USABLE, first)
            name = page.locator(".van-field", has=page.get_by_text("姓名", exact=True)).locator("input")
            await expect(name).to_have_value(RESIDENT_NAME)
            await expect(page.get_by_role("button", name="提交登记")).to_be_enabled()
            await page.close()
            returned = await visit(context, code, FORM_USABLE, again)
            await expect(returned.get_by_role("button", name="提交登记")).to_be_enabled()
            if run == 0:
                await screenshot(returned, "h5-slow-phone-return")
            await context.close()


def _median(values: list[float]) -> str:
    return f"{statistics.median(values) / 1000:.2f} s ({min(values) / 1000:.2f}–{max(values) / 1000:.2f})"


def _machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    load = os.getloadavg()[0]
    return f"{cpu}, {os.cpu_count()} cores, Linux {platform.release()}, load average {load:.2f} at the end"


def _report(cases: dict[str, Case]) -> str:
    rows = [
        f"| {case.title} | {_median(case.name_ms)} | {_median(case.usable_ms)} | "
        f"{statistics.median(case.transferred) / 1024:.1f} KB |"
        for case in cases.values()
    ]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            "# The check-in page on a slow phone",
            "",
            f"Run {when} on {_machine()}; Debian's headless Chromium (chromium-headless-shell), through Playwright "
            "(`LIANFANG_BROWSER_BENCH=1 uv run pytest tests/browser/test_h5_slow_phone.py`).",
            "",
            "Goal (issue 17): the checkpoint's name visible within 2.0 s and the form usable within 3.5 s on a first "
            "visit; within 1 s on a return visit.",
            "",
            f"Conditions: 360×640 phone, {NETWORK['downloadThroughput'] * 8 / 1000:.0f} kbit/s each way and "
            f"{NETWORK['latency']} ms added to every request (DevTools network emulation), CPU {CPU_SLOWDOWN}× slower "
            "(`Emulation.setCPUThrottlingRate`), the all-in-one server on the same machine. Times from navigation "
            "start, in the page's clock: *name* is the first frame whose heading shows the checkpoint's name, *usable* "
            "the first frame where the login button (newcomer) or the submit button beside the resident's prefilled "
            "name (resident) can be used. The return visit opens the page again in the same browser profile. "
            f"Median of {RUNS} runs (min–max); transferred = bytes over the network, headers included.",
            "",
            "Indicative only: the machine is shared with other work while this runs, and the throttled CPU is a "
            "fraction of whatever the shared cores give.",
            "",
            "| case | name visible | first screen usable | transferred |",
            "| --- | ---: | ---: | ---: |",
            *rows,
            "",
        ]
    )
