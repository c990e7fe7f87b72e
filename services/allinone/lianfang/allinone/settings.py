from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lianfang.allinone.keys import key_settings, stored_root_password
from lianfang.allinone.wechat_verify import WeChatVerifySettings
from lianfang.checkin.settings import CheckinSettings
from lianfang.common.settings import Environment, SettingsError
from lianfang.gateway.settings import GatewaySettings
from lianfang.ingest.settings import IngestSettings
from lianfang.registry.settings import RegistrySettings
from lianfang.trace.settings import TraceSettings

__all__ = ["AllInOneSettings", "sqlite_unless_set"]

# In-process transports reach the other services at this made-up origin; nothing listens on it.
IN_PROCESS_ORIGIN = "http://lianfang.internal"


def sqlite_unless_set(variable: str, path: Path) -> dict[str, Any]:
    """The store's SQLite file in the data directory, unless the environment names another database."""
    return (
        {} if os.environ.get(variable) else {variable.removeprefix("LIANFANG_").lower(): f"sqlite+aiosqlite:///{path}"}
    )


def _root_password(data_dir: Path) -> dict[str, Any]:
    """Without LIANFANG_ROOT_PASSWORD the all-in-one server makes one on first start and keeps it in the data directory."""
    if os.environ.get("LIANFANG_ROOT_PASSWORD"):
        return {}
    return {"root_password": stored_root_password(data_dir)}


def default_web_dir() -> Path:
    """`LIANFANG_WEB_DIR`, else the repository's `web/` beside the workspace this package is installed from."""
    configured = os.environ.get("LIANFANG_WEB_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[4] / "web"


def checkin_settings(records_database_url: str, **values: Any) -> CheckinSettings:
    """Check-in in the all-in-one server: the registry in-process, and the records store to rebuild its state from,
    which it does at every start (its Redis is in-process too, and starts empty). The worker runs in the same process:
    a short settle covers its commit."""
    return CheckinSettings(
        registry_url=IN_PROCESS_ORIGIN,
        gateway_url=IN_PROCESS_ORIGIN,
        trace_url=IN_PROCESS_ORIGIN,
        records_database_url=records_database_url,
        rebuild_settle_seconds=1.5,
        **values,
    )


@dataclass(frozen=True)
class AllInOneSettings:
    data_dir: Path
    gateway: GatewaySettings
    registry: RegistrySettings
    checkin: CheckinSettings
    ingest: IngestSettings
    trace: TraceSettings
    web_dir: Path = field(default_factory=default_web_dir)
    wechat_verify: WeChatVerifySettings = field(default_factory=WeChatVerifySettings)

    @classmethod
    def load(cls, data_dir: Path, base_url: str = "http://127.0.0.1:8000") -> AllInOneSettings:
        """`base_url` is where this server listens: QR codes point there unless LIANFANG_PUBLIC_URL says otherwise."""
        data_dir.mkdir(parents=True, exist_ok=True)
        # The server's own keys, made on first start: never the development keys committed for tests.
        keys = key_settings(data_dir, os.environ)
        signing = {name: value for name, value in keys.items() if name == "jwt_private_key"}
        shared: dict[str, Any] = {name: value for name, value in keys.items() if name != "jwt_private_key"}
        if not os.environ.get("LIANFANG_PUBLIC_URL"):
            shared["public_url"] = base_url
        if not os.environ.get("LIANFANG_BROKER_URL"):
            # The in-process broker with a journal in the data directory: a check-in it confirmed outlives a SIGKILL.
            shared["broker_url"] = f"memory://lianfang?journal={quote(str(data_dir / 'broker.db'))}"
        gateway = GatewaySettings(
            **sqlite_unless_set("LIANFANG_ACCOUNTS_DATABASE_URL", data_dir / "accounts.db"),
            **_root_password(data_dir),
            **signing,
            **shared,
            registry_url=IN_PROCESS_ORIGIN,
        )
        registry = RegistrySettings(
            **sqlite_unless_set("LIANFANG_REGISTRY_DATABASE_URL", data_dir / "registry.db"),
            **shared,
            gateway_url=IN_PROCESS_ORIGIN,
        )
        records = sqlite_unless_set("LIANFANG_RECORDS_DATABASE_URL", data_dir / "records.db")
        ingest = IngestSettings(**records, **shared)
        settings = cls(
            data_dir=data_dir,
            gateway=gateway,
            registry=registry,
            checkin=checkin_settings(ingest.records_database_url, **shared),
            ingest=ingest,
            trace=TraceSettings(
                **records,
                **sqlite_unless_set("LIANFANG_TRACE_DATABASE_URL", data_dir / "trace.db"),
                **shared,
                registry_url=IN_PROCESS_ORIGIN,
                gateway_url=IN_PROCESS_ORIGIN,
            ),
        )
        settings.refuse_development_keys()
        return settings

    def refuse_development_keys(self) -> None:
        """The committed development keys serve tests only: anyone can sign a root token or read PII with them."""
        problems = self.gateway.development_key_problems()
        if problems and self.gateway.env is not Environment.test:
            raise SettingsError("the all-in-one server refuses the development keys:\n  " + "\n  ".join(problems))
