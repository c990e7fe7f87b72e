"""Browser tests: the built pages in Debian's headless Chromium, driven by Playwright, against `lianfang run`.

The all-in-one server runs as a user starts it (a subprocess with a fresh data directory and the demo), so these tests
see exactly what `make run` serves. Every test may save screenshots to `.screenshots/` at the repository root, to look at.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from lianfang.common.testing.plugin import TEST_HASHING

from .support import REPOSITORY, Server

# Debian's headless build of its Chromium (package chromium-headless-shell, the same source and version as `chromium`),
# as Playwright itself runs headless: the same pages drawn the same, without the desktop browser's window machinery.
# The browser tests alone took 106 machine CPU-s against 191 with `/usr/bin/chromium` (2026-12-08, one after the other).
CHROMIUM = Path("/usr/bin/chromium-headless-shell")
ROOT_PASSWORD = "Browser-root-2026"
# Without the background-networking flags Chromium keeps dialling Google, which this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Transitions and animations end at once: Chromium then paints a screen once rather than for every frame of a fade or
# a spinner (its CPU in the admin screens' and the staff board's tests: 95 s against 112). Tests wait for what shows,
# not for how it moves. The browsers also ask for reduced motion, as a user can, so the charts are drawn at once too.
STILL = """
addEventListener('DOMContentLoaded', () => {
  const style = document.createElement('style');
  style.textContent = '*, *::before, *::after { transition: none !important; animation: none !important; }';
  document.head.append(style);
});
"""
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# The built pages each test module drives, by the start of its name.
PAGES_OF = {
    "test_admin_": ("admin/dist/index.html",),
    "test_h5_": ("h5/dist/c.html",),
    "test_staff_": ("h5/dist/staff.html", "h5/dist/c.html"),
}


@pytest.fixture(autouse=True)
def _require_built_pages(request: pytest.FixtureRequest) -> None:
    name = request.node.path.name
    needed = [page for prefix, pages in PAGES_OF.items() if name.startswith(prefix) for page in pages]
    missing = [page for page in needed if not (REPOSITORY / "web" / page).exists()]
    if missing:
        pytest.fail(f"the web pages are not built ({', '.join(missing)} missing): run `make web`", pytrace=False)


def _require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.fail(
            "Debian's headless Chromium is not installed: apt-get install -y chromium-headless-shell (make test does)",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("allinone")
    port = _free_port()
    environment = {
        **os.environ,
        "LIANFANG_ROOT_PASSWORD": ROOT_PASSWORD,
        "LIANFANG_WECHAT_MODE": "dev",
        "LIANFANG_LOG_LEVEL": "WARNING",
        **TEST_HASHING,
    }
    log = (data_dir / "server.log").open("w")
    command = [str(Path(sys.executable).with_name("lianfang")), "run", "--port", str(port), "--data-dir", str(data_dir)]
    process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    # One client for every poll: each new one would load the authorities' certificates again (45 ms of CPU).
    with httpx.Client() as client:
        while True:
            try:
                if client.get(f"{base_url}/readyz").status_code == 200 and (data_dir / "demo.json").exists():
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log_text = (data_dir / "server.log").read_text()
                pytest.fail(f"lianfang run did not become ready:\n{log_text}", pytrace=False)
            time.sleep(0.2)
    yield Server(base_url, data_dir)
    process.terminate()
    process.wait(timeout=20)
    log.close()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    _require_chromium()
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def desktop(browser: Browser, server: Server) -> AsyncIterator[Page]:
    """A desktop browser window (1440×900), zh-CN, on the all-in-one server."""
    context = await browser.new_context(
        base_url=server.base_url,
        viewport={"width": 1440, "height": 900},
        locale="zh-CN",
        accept_downloads=True,
        reduced_motion="reduce",
    )
    await context.add_init_script(STILL)
    yield await context.new_page()
    await context.close()


@pytest.fixture
async def phone_context(browser: Browser, server: Server) -> AsyncIterator[BrowserContext]:
    """A phone-sized browser (390×844, touch), zh-CN, on the all-in-one server; pages opened in it share storage."""
    context = await browser.new_context(base_url=server.base_url, locale="zh-CN", reduced_motion="reduce", **PHONE)  # type: ignore[arg-type]
    await context.add_init_script(STILL)
    yield context
    await context.close()


@pytest.fixture
async def phone(phone_context: BrowserContext) -> Page:
    return await phone_context.new_page()
