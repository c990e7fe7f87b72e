from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from lianfang.common.settings import SigningSettings, WeChatMode

__all__ = ["WECHAT_API", "GatewaySettings"]

WECHAT_API = "https://api.weixin.qq.com"


class GatewaySettings(SigningSettings):
    accounts_database_url: str = "sqlite+aiosqlite:///.lianfang/accounts.db"
    registry_url: str = "http://127.0.0.1:8000"
    # `dev` adds the dev login (anyone may log in as any resident): only when a developer asks for it by name.
    wechat_mode: WeChatMode = WeChatMode.live
    wechat_appid: str = ""
    wechat_secret: str = ""
    # The H5 pages run under an official account (公众号), which usually has its own appid; empty means the same as above.
    wechat_h5_appid: str = ""
    wechat_h5_secret: str = ""
    wechat_api_base: str = WECHAT_API
    # The subscribe message "审核结果通知" picked in the mini-program's console (its keywords: thing1 地点, phrase2
    # 审核结果, time3 审核时间, thing4 备注); empty sends none. `wechat_mp_state` is which version a message opens.
    wechat_template_decision: str = ""
    # "离开提醒" (thing1 地点, time2 登记时间, thing3 温馨提示), sent when a check-in's assumed stay ends without a check-out;
    # "风险告知" (thing1 告知内容, thing2 发布单位, time3 发布时间), the notice an official confirms for screened contacts.
    wechat_template_checkout_reminder: str = ""
    wechat_template_risk_notice: str = ""
    wechat_mp_state: Literal["developer", "trial", "formal"] = "formal"
    wechat_mp_page: str = "pages/mine/index"
    root_username: str = "admin"
    root_password: str | None = None
    # Argon2id's cost: the memory and passes of RFC 9106's second recommended option (64 MiB, 3 passes) in one lane,
    # not four: the same CPU per hash, in one thread instead of four (see docs/DESIGN-NOTES.md). Tests lower it.
    password_time_cost: int = Field(default=3, ge=1, le=20)
    password_memory_kib: int = Field(default=65_536, ge=8, le=1_048_576)
    password_parallelism: int = Field(default=1, ge=1, le=16)
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    # The records' retention as the ingest worker applies it (the same LIANFANG_RETENTION_DAYS): the privacy notice
    # tells residents how long their check-ins are kept. The login log, with its addresses, is kept as long.
    retention_days: int = Field(default=30, ge=1, le=3650)
    # The operation log (操作日志) outlives the records: who changed an account or a checkpoint stays answerable for
    # half a year (`LIANFANG_OPERATION_LOG_RETENTION_DAYS`); older entries are purged every `log_purge_interval_seconds`.
    operation_log_retention_days: int = Field(default=180, ge=30, le=3650)
    log_purge_interval_seconds: float = Field(default=3600.0, gt=0)

    durable_urls: ClassVar[tuple[str, ...]] = (*SigningSettings.durable_urls, "accounts_database_url")

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.wechat_mode is WeChatMode.dev:
            problems.append("LIANFANG_WECHAT_MODE is `dev` (anyone may log in as anyone): set it to `live`")
        elif not (self.wechat_appid and self.wechat_secret):
            problems.append("LIANFANG_WECHAT_APPID and LIANFANG_WECHAT_SECRET must be set in live mode")
        return problems
