"""Mini-program codes (getwxacodeunlimit), drawn as a badge of the scene."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from lianfang.gateway.wechat.testing.fake import FakeWeChat
from lianfang.gateway.wechat.testing.png import badge_png
from lianfang.gateway.wechat.testing.state import Answer, Image

__all__ = ["wxacode_unlimited"]

_SCENE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")
_ENV_VERSIONS: Final = ("release", "trial", "develop")


# https://developers.weixin.qq.com/miniprogram/dev/server/API/qrcode-link/qr-code/api_getunlimitedqrcode.html
# The image on success (JPEG, or PNG with a transparent background when `is_hyaline`), JSON errors otherwise. The
# fake draws a PNG in both cases (a stand-in, not a scannable code); the gateway always asks for `is_hyaline`.
def wxacode_unlimited(fake: FakeWeChat, query: Mapping[str, str], raw_body: bytes) -> Answer | Image:
    call = fake.authorised_body(query, raw_body)
    if isinstance(call, Answer):
        return call
    token, payload = call
    scene = payload.get("scene")
    if not isinstance(scene, str) or not 1 <= len(scene) <= 32:
        return Answer(fake.error(40169))
    if not _SCENE.match(scene):
        return Answer(fake.error(40129))
    if "scancode_time" in scene:
        return Answer(fake.error(85096))
    page = payload.get("page", "")
    env_version = payload.get("env_version", "release")
    width = payload.get("width", 430)
    check_path = payload.get("check_path", True)
    is_hyaline = payload.get("is_hyaline", False)
    if (
        not isinstance(page, str)
        or env_version not in _ENV_VERSIONS
        or not isinstance(width, int)
        or isinstance(width, bool)
        or not isinstance(check_path, bool)
        or not isinstance(is_hyaline, bool)
    ):
        return Answer(fake.error(40097))
    # "根路径前不要填加 /，不能携带参数"; an unreleased page only when the check is asked for (the default).
    if page.startswith("/") or "?" in page or (check_path and page and page not in fake.released_pages):
        return Answer(fake.error(41030))
    side = min(1280, max(280, width))
    return Image(badge_png(f"{token.appid}:{page}:{scene}", side, transparent=is_hyaline), "image/png")
