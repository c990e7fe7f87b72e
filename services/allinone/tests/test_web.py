from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from lianfang.allinone.web import Include, web_router

CHECKIN_PAGE = """<title>扫码登记</title><div id="app">
<!--# block name="stub" --><h1>正在打开卡口…</h1><!--# endblock -->
<!--# include virtual="/api/checkin/checkpoints/${lf_checkpoint_code}/shell" stub="stub" -->
<p>正在加载登记表…</p></div>"""


def _client(web_dir: Path, include: Include | None = None) -> httpx.AsyncClient:
    app = FastAPI()
    app.include_router(web_router(web_dir, include))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
def built(tmp_path: Path) -> Path:
    for page, content in {
        "admin/dist/index.html": "<title>管理后台</title>",
        "admin/dist/assets/index-3f2a.js": "console.log('admin')",
        "h5/dist/c.html": CHECKIN_PAGE,
        "h5/dist/staff.html": "<title>执勤</title>",
        "h5/dist/assets/c-9b1e.js": "console.log('h5')",
    }.items():
        (tmp_path / page).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / page).write_text(content)
    (tmp_path / "secret.txt").write_text("not a page")
    return tmp_path


class TestBuiltPages:
    async def test_admin_routes_all_serve_the_spa_and_are_revalidated(self, built: Path) -> None:
        async with _client(built) as client:
            for path in ("/admin/", "/admin/records", "/admin/regions/3/checkpoints"):
                response = await client.get(path)
                assert response.status_code == 200
                assert "管理后台" in response.text
                assert response.headers["cache-control"] == "no-cache"

    async def test_hashed_assets_are_cached_for_good(self, built: Path) -> None:
        async with _client(built) as client:
            admin = await client.get("/admin/assets/index-3f2a.js")
            h5 = await client.get("/h5/assets/c-9b1e.js")
        assert admin.text == "console.log('admin')"
        assert h5.text == "console.log('h5')"
        assert admin.headers["cache-control"] == h5.headers["cache-control"] == "public, max-age=31536000, immutable"

    async def test_a_checkpoint_code_opens_the_checkin_page_and_staff_the_staff_view(self, built: Path) -> None:
        async with _client(built) as client:
            checkin = await client.get("/c/AB23CD45")
            staff = await client.get("/staff/")
            staff_bare = await client.get("/staff")
        assert "扫码登记" in checkin.text
        assert "执勤" in staff.text
        assert "执勤" in staff_bare.text

    async def test_the_root_leads_to_the_admin_spa(self, built: Path) -> None:
        async with _client(built) as client:
            response = await client.get("/")
        assert response.status_code == 307
        assert response.headers["location"] == "/admin/"

    async def test_nothing_outside_the_built_folders_is_served(self, built: Path) -> None:
        async with _client(built) as client:
            escaped = await client.get("/h5/..%2F..%2Fsecret.txt")
            missing = await client.get("/h5/assets/gone.js")
        assert escaped.status_code == 404
        assert missing.status_code == 404

    async def test_pages_not_built_yet_say_how_to_build_them(self, tmp_path: Path) -> None:
        async with _client(tmp_path) as client:
            admin = await client.get("/admin/")
            checkin = await client.get("/c/AB23CD45")
        assert admin.status_code == checkin.status_code == 404
        assert "make web" in admin.text
        assert "扫码登记页尚未构建" in checkin.text


class TestCompressedAssets:
    @pytest.fixture
    def compressed(self, built: Path) -> Path:
        script = built / "h5/dist/assets/c-9b1e.js"
        (script.parent / "c-9b1e.js.br").write_bytes(b"brotli bytes")
        (script.parent / "c-9b1e.js.gz").write_bytes(gzip.compress(script.read_bytes()))
        return built

    async def test_brotli_is_sent_to_a_browser_that_takes_it(self, compressed: Path) -> None:
        async with _client(compressed) as client:
            request = client.build_request("GET", "/h5/assets/c-9b1e.js", headers={"Accept-Encoding": "gzip, br"})
            response = await client.send(request, stream=True)
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
        assert (response.headers["content-encoding"], raw) == ("br", b"brotli bytes")
        assert response.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript")
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"

    async def test_gzip_otherwise_and_the_file_itself_to_a_browser_that_takes_neither(self, compressed: Path) -> None:
        async with _client(compressed) as client:
            gzipped = await client.get("/h5/assets/c-9b1e.js", headers={"Accept-Encoding": "gzip, br;q=0"})
            plain = await client.get("/h5/assets/c-9b1e.js", headers={"Accept-Encoding": "identity"})
        # httpx decodes gzip: the browser gets the same script.
        assert (gzipped.headers["content-encoding"], gzipped.text) == ("gzip", "console.log('h5')")
        assert "content-encoding" not in plain.headers
        assert plain.text == "console.log('h5')"

    async def test_an_asset_without_a_compressed_copy_goes_as_it_is(self, built: Path) -> None:
        async with _client(built) as client:
            response = await client.get("/admin/assets/index-3f2a.js", headers={"Accept-Encoding": "br, gzip"})
        assert "content-encoding" not in response.headers
        assert response.text == "console.log('admin')"


class TestCheckinPageShell:
    async def test_the_server_fills_in_the_checkpoint_of_the_code(self, built: Path) -> None:
        asked: list[str] = []

        async def include(uri: str) -> str:
            asked.append(uri)
            return "<h1>育才小区东门</h1>"

        async with _client(built, include) as client:
            response = await client.get("/c/GATE2345", headers={"Accept-Encoding": "gzip"})
        assert asked == ["/api/checkin/checkpoints/GATE2345/shell"]
        assert "<h1>育才小区东门</h1>" in response.text
        assert "正在打开卡口" not in response.text
        assert "<!--#" not in response.text
        assert response.headers["cache-control"] == "no-cache"

    async def test_the_stub_stands_in_when_the_include_fails(self, built: Path) -> None:
        async def include(uri: str) -> str:
            return ""

        async with _client(built, include) as client:
            response = await client.get("/c/GATE2345")
        assert "<h1>正在打开卡口…</h1>" in response.text
        assert response.text.count("正在打开卡口") == 1
        assert "<!--#" not in response.text

    async def test_only_a_code_shaped_segment_reaches_the_include(self, built: Path) -> None:
        asked: list[str] = []

        async def include(uri: str) -> str:
            asked.append(uri)
            return ""

        async with _client(built, include) as client:
            await client.get("/c/..%2Fstaff%3Fx=1")
            await client.get("/c/AB23CD45/extra")
        assert asked == ["/api/checkin/checkpoints/-/shell", "/api/checkin/checkpoints/AB23CD45/shell"]

    async def test_a_large_page_is_sent_gzipped(self, built: Path) -> None:
        async def include(uri: str) -> str:
            return "<p>卡口</p>" * 400

        async with _client(built, include) as client:
            response = await client.get("/c/GATE2345", headers={"Accept-Encoding": "gzip, br"})
        assert response.headers["content-encoding"] == "gzip"
        assert response.text.count("<p>卡口</p>") == 400
