from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from lianfang.allinone.web import web_router


def _client(web_dir: Path) -> httpx.AsyncClient:
    app = FastAPI()
    app.include_router(web_router(web_dir))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
def built(tmp_path: Path) -> Path:
    for page, content in {
        "admin/dist/index.html": "<title>管理后台</title>",
        "admin/dist/assets/index-3f2a.js": "console.log('admin')",
        "h5/dist/c.html": "<title>扫码登记</title>",
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
