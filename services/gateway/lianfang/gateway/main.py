from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI

from lianfang.common.app import add_routers, create_service_app
from lianfang.common.auth import TokenSigner
from lianfang.common.contracts.paths import AUTH
from lianfang.common.db.retention import Retention, purge_periodically
from lianfang.common.oplog import operation_log_router
from lianfang.common.pii import PiiCipher
from lianfang.common.runtime import Runtime
from lianfang.common.settings import WeChatMode
from lianfang.gateway import keys
from lianfang.gateway.accounts import router as accounts
from lianfang.gateway.bootstrap import ensure_root_admin
from lianfang.gateway.loginlog import router as loginlog
from lianfang.gateway.metrics import gateway_metrics
from lianfang.gateway.models import LoginEvent, OperationEntry
from lianfang.gateway.notifications import router as notifications
from lianfang.gateway.passwords import Passwords
from lianfang.gateway.privacy import router as privacy
from lianfang.gateway.registry_client import RegistryClient
from lianfang.gateway.residents import router as residents
from lianfang.gateway.revocation import TokenRevoker
from lianfang.gateway.sessions import router as sessions
from lianfang.gateway.settings import WECHAT_API, GatewaySettings
from lianfang.gateway.wechat import WeChatClient
from lianfang.gateway.wechat.testing import FAKE_APPID, FAKE_SECRET, FakeWeChat, create_fake_wechat_app
from lianfang.gateway.wxacodes import router as wxacodes

__all__ = ["DEV_LOGIN_WARNING", "MIGRATIONS", "PREFIX", "create_app"]

PREFIX = AUTH
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
DEV_LOGIN_WARNING = (
    "LIANFANG_WECHAT_MODE=dev: the dev login is on, anyone who knows an openid can log in as that resident "
    "(POST /api/auth/dev/login); never on a server that holds real people's data"
)

log = logging.getLogger(__name__)


def create_app(
    settings: GatewaySettings | None = None,
    *,
    registry_transport: httpx.AsyncBaseTransport | None = None,
    wechat_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The gateway. Transports stand in for the network: the all-in-one server and tests reach the registry and a fake
    WeChat in-process."""
    settings = settings or GatewaySettings()
    appid, secret = settings.wechat_appid, settings.wechat_secret
    if wechat_transport is None and settings.wechat_mode is WeChatMode.dev and settings.wechat_api_base == WECHAT_API:
        # Development without a WeChat of its own (and no fake server named in LIANFANG_WECHAT_API_BASE): the fake
        # answers in-process, so what needs WeChat's server side, a mini-program code, still works and is a real PNG.
        appid, secret = appid or FAKE_APPID, secret or FAKE_SECRET
        wechat_transport = httpx.ASGITransport(app=create_fake_wechat_app(FakeWeChat({appid: secret})))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with Runtime() as runtime:
            app.state.database = runtime.database("accounts-db", settings.accounts_database_url)
            cache = runtime.cache(settings.redis_url)
            signer = TokenSigner(
                settings.jwt_private_key,
                issuer=settings.jwt_issuer,
                lifetime=timedelta(minutes=settings.access_token_minutes),
            )
            # Read by the typed dependencies of `lianfang.gateway.deps`.
            app.state.cache = cache
            app.state.signer = signer
            app.state.pii = PiiCipher(settings.pii_keys)
            app.state.registry = RegistryClient(runtime.http_client(settings.registry_url, registry_transport))
            app.state.wechat = WeChatClient(
                runtime.http_client(settings.wechat_api_base, wechat_transport),
                cache,
                appid=appid,
                secret=secret,
                oauth_appid=settings.wechat_h5_appid or None,
                oauth_secret=settings.wechat_h5_secret or None,
            )
            app.state.passwords = Passwords(settings)
            app.state.revoker = TokenRevoker(cache, signer)
            app.state.readiness = runtime.readiness
            # On /metrics from the start, at zero, rather than from the first request.
            gateway_metrics()
            await ensure_root_admin(app.state.database, settings)
            if settings.wechat_mode is WeChatMode.dev:
                log.warning(DEV_LOGIN_WARNING)
            retentions = (
                # Its source addresses are personal data: kept no longer than the check-ins.
                Retention("login log", LoginEvent.id, LoginEvent.at, settings.retention_days),
                Retention("operation log", OperationEntry.id, OperationEntry.at, settings.operation_log_retention_days),
            )
            runtime.background(
                "gateway-log-retention",
                lambda stopping: purge_periodically(
                    app.state.database,
                    retentions,
                    interval_seconds=settings.log_purge_interval_seconds,
                    stopping=stopping,
                ),
            )
            yield

    app = create_service_app(
        service="gateway", prefix=PREFIX, title="Lianfang 账号与登录", settings=settings, lifespan=lifespan
    )
    add_routers(
        app,
        sessions.router,
        accounts.router,
        loginlog.router,
        operation_log_router(AUTH, OperationEntry, "admin and staff accounts"),
        residents.router,
        privacy.router,
        keys.router,
        wxacodes.internal_router,
        notifications.internal_router,
    )
    logins = residents.DIRECT_LOGINS
    if settings.wechat_mode is WeChatMode.dev:
        add_routers(app, residents.dev_router)
        logins += residents.DIRECT_DEV_LOGINS
    for path, endpoint, body in logins:
        app.add_direct_route("POST", path, endpoint, body=body)
    return app
