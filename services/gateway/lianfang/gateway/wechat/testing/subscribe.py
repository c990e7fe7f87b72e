"""Subscribe messages: one a person accepted, one sent."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from lianfang.gateway.wechat.testing.fake import FakeWeChat
from lianfang.gateway.wechat.testing.state import Answer, SentMessage

__all__ = ["subscribe_send"]

# What each kind of subscribe-message value may hold (the documentation's table of keyword types).
_VALUE_RULES: Final[Mapping[str, re.Pattern[str]]] = {
    "thing": re.compile(r"^.{1,20}$", re.S),
    "phrase": re.compile(r"^[\u4e00-\u9fff]{1,5}$"),
    "time": re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$|^\d{1,2}:\d{2}$"),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$"),
    "character_string": re.compile(r"^[0-9A-Za-z_\-]{1,32}$"),
    "number": re.compile(r"^[0-9.]{1,32}$"),
    "name": re.compile(r"^.{1,10}$", re.S),
}
_MINIPROGRAM_STATES: Final = ("developer", "trial", "formal")


# https://developers.weixin.qq.com/miniprogram/dev/server/API/mp-message-management/subscribe-message/api_sendmessage.html
def subscribe_send(fake: FakeWeChat, query: Mapping[str, str], raw_body: bytes) -> Answer:
    call = fake.authorised_body(query, raw_body)
    if isinstance(call, Answer):
        return call
    _, payload = call
    touser, template_id, data = payload.get("touser"), payload.get("template_id"), payload.get("data")
    state = payload.get("miniprogram_state", "formal")
    if not isinstance(touser, str) or not touser:
        return Answer(fake.error(40003))
    if not isinstance(template_id, str) or (fake.templates is not None and template_id not in fake.templates):
        return Answer(fake.error(40037))
    if not isinstance(data, dict) or state not in _MINIPROGRAM_STATES:
        return Answer(fake.error(47003))
    values: dict[str, str] = {}
    for key, item in data.items():
        kind = re.sub(r"\d+$", "", str(key))
        value = item.get("value") if isinstance(item, dict) else None
        rule = _VALUE_RULES.get(kind)
        if not isinstance(value, str) or rule is None or not rule.match(value):
            error = fake.error(47003)
            error["errmsg"] = f"argument invalid! data.{key}.value invalid, {error['errmsg'].split(', ', 1)[1]}"
            return Answer(error)
        values[str(key)] = value
    if fake.state.subscriptions[(touser, template_id)] <= 0:
        return Answer(fake.error(43101))
    fake.state.subscriptions[(touser, template_id)] -= 1
    page = payload.get("page")
    fake.state.sent.append(
        SentMessage(touser, template_id, page if isinstance(page, str) else None, values, str(state))
    )
    return Answer({"errcode": 0, "errmsg": "ok", "msgid": 3_000_000_000 + len(fake.state.sent)})
