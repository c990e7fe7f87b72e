"""A stand-in for api.weixin.qq.com that answers the way WeChat's documentation shows, errors included.

Tests mount it with `httpx.ASGITransport(app=create_fake_wechat_app(fake))`, and the gateway's dev mode talks to it in
process; end-to-end and browser tests run it as a server:

    uvicorn --factory lianfang.gateway.wechat.testing:create_fake_wechat_app --port 9100

and point the gateway at it with `LIANFANG_WECHAT_API_BASE=http://127.0.0.1:9100`. It accepts the apps the gateway is
configured with (`LIANFANG_WECHAT_APPID`/`_SECRET` and `LIANFANG_WECHAT_H5_APPID`/`_SECRET`), or every `appid:secret`
pair in `LIANFANG_FAKE_WECHAT_APPS`. Codes, scripted errors and call counts are set up from Python through `FakeWeChat`,
or over HTTP under `/_fake/` (`control.py`). Each WeChat API has its module: `logins`, `tokens`, `phone`, `wxacode`,
`subscribe`.
"""

from lianfang.gateway.wechat.testing.fake import FAKE_APPID, FAKE_SECRET, FakeWeChat
from lianfang.gateway.wechat.testing.server import create_fake_wechat_app
from lianfang.gateway.wechat.testing.state import FakeEndpoint, SentMessage

__all__ = [
    "FAKE_APPID",
    "FAKE_SECRET",
    "FakeEndpoint",
    "FakeWeChat",
    "SentMessage",
    "create_fake_wechat_app",
]
