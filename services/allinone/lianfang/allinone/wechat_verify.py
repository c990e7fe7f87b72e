"""The file WeChat fetches to verify the domain of "扫普通链接二维码打开小程序": the mini-program's console names a file and
its content, to be served under the rule's prefix (`https://<host>/c/<name>`). nginx serves it in the cluster
(deploy/nginx.conf), this router in the all-in-one server; both from the same two settings."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["PLACEHOLDER_NAME", "WeChatVerifySettings", "wechat_verify_router"]

# nginx's template needs a name even when none is configured: one nobody asks for, answered with nothing.
PLACEHOLDER_NAME = "wechat-verify-unset.txt"


class WeChatVerifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIANFANG_", extra="ignore")

    # What WeChat's console gives: a name like `Ab3dE9fG1h.txt` and a short string; both land in nginx's
    # configuration, so only these characters are taken.
    wechat_verify_file_name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}\.txt$")
    wechat_verify_file_content: str = Field(default="", pattern=r"^[A-Za-z0-9_-]{0,128}$")

    def nginx_values(self) -> dict[str, str]:
        return {
            "LIANFANG_WECHAT_VERIFY_FILE_NAME": self.wechat_verify_file_name or PLACEHOLDER_NAME,
            "LIANFANG_WECHAT_VERIFY_FILE_CONTENT": self.wechat_verify_file_content
            if self.wechat_verify_file_name
            else "",
        }


def wechat_verify_router(settings: WeChatVerifySettings) -> APIRouter:
    """The file at /c/<name> when one is configured; included before the check-in page, whose /c/ it shares."""
    router = APIRouter(include_in_schema=False)
    name = settings.wechat_verify_file_name
    if name is not None:
        content = settings.wechat_verify_file_content

        @router.get(f"/c/{name}")
        async def wechat_verify_file() -> PlainTextResponse:
            return PlainTextResponse(content)

    return router
