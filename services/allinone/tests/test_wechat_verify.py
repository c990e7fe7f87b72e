from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from lianfang.allinone.cluster import render_template
from lianfang.allinone.web import web_router
from lianfang.allinone.wechat_verify import WeChatVerifySettings, wechat_verify_router

TEMPLATE = (Path(__file__).resolve().parents[3] / "deploy" / "nginx.conf").read_text()


def _client(settings: WeChatVerifySettings, web_dir: Path) -> httpx.AsyncClient:
    (web_dir / "h5" / "dist").mkdir(parents=True)
    (web_dir / "h5" / "dist" / "c.html").write_text("<title>扫码登记</title>")
    app = FastAPI()
    app.include_router(wechat_verify_router(settings))
    app.include_router(web_router(web_dir))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


class TestAllInOne:
    async def test_wechat_finds_its_file_under_the_poster_prefix(self, tmp_path: Path) -> None:
        settings = WeChatVerifySettings(wechat_verify_file_name="Ab3dE9fG1h.txt", wechat_verify_file_content="9f8e7d6c")
        async with _client(settings, tmp_path) as client:
            verify = await client.get("/c/Ab3dE9fG1h.txt")
            page = await client.get("/c/K7M3QF9X")

        assert verify.status_code == 200
        assert verify.text == "9f8e7d6c"
        assert verify.headers["content-type"].startswith("text/plain")
        assert "扫码登记" in page.text

    async def test_without_a_file_every_path_under_c_is_the_check_in_page(self, tmp_path: Path) -> None:
        async with _client(WeChatVerifySettings(), tmp_path) as client:
            response = await client.get("/c/Ab3dE9fG1h.txt")

        assert "扫码登记" in response.text


class TestSettings:
    @pytest.mark.parametrize("name", ["../secret.txt", "a b.txt", "verify.html", "x.txt;"])
    def test_a_name_that_is_not_a_plain_txt_file_is_refused(self, name: str) -> None:
        with pytest.raises(ValidationError):
            WeChatVerifySettings(wechat_verify_file_name=name)

    def test_content_that_could_break_out_of_nginx_quotes_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            WeChatVerifySettings(wechat_verify_file_name="a.txt", wechat_verify_file_content='x"; return 200 "y')

    def test_read_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("LIANFANG_WECHAT_VERIFY_FILE_NAME", "Ab3dE9fG1h.txt")
        monkeypatch.setenv("LIANFANG_WECHAT_VERIFY_FILE_CONTENT", "9f8e7d6c")

        assert WeChatVerifySettings().nginx_values() == {
            "LIANFANG_WECHAT_VERIFY_FILE_NAME": "Ab3dE9fG1h.txt",
            "LIANFANG_WECHAT_VERIFY_FILE_CONTENT": "9f8e7d6c",
        }


class TestNginx:
    def _rendered(self, values: dict[str, str]) -> str:
        others = {name: "x" for name in set(re.findall(r"\$\{(LIANFANG_[A-Z0-9_]+)\}", TEMPLATE))}
        return render_template(TEMPLATE, others | values)

    def test_the_file_is_an_exact_location_answered_as_text(self) -> None:
        settings = WeChatVerifySettings(wechat_verify_file_name="Ab3dE9fG1h.txt", wechat_verify_file_content="9f8e7d6c")

        rendered = self._rendered(settings.nginx_values())

        assert (
            'location = /c/Ab3dE9fG1h.txt {\n            default_type text/plain;\n            return 200 "9f8e7d6c";'
            in rendered
        )

    def test_without_a_file_the_location_is_a_placeholder_answering_nothing(self) -> None:
        rendered = self._rendered(WeChatVerifySettings().nginx_values())

        assert (
            'location = /c/wechat-verify-unset.txt {\n            default_type text/plain;\n            return 200 "";'
            in rendered
        )
