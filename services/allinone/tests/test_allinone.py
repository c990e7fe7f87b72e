"""`lianfang run`: every service in one process, migrations on start, the demo, and the command line."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest

from lianfang.allinone.app import AllInOne
from lianfang.allinone.cli import main
from lianfang.allinone.demo import DEMO_PASSWORD, DemoLogin
from lianfang.allinone.keys import generate_keys
from lianfang.allinone.server import banner
from lianfang.allinone.settings import AllInOneSettings
from lianfang.common.auth import AdminPrincipal
from lianfang.common.auth.devkeys import DEV_JWT_PRIVATE_KEY, DEV_JWT_PUBLIC_KEY
from lianfang.common.contracts.regions import ROOT_REGION_ID, ROOT_REGION_PATH
from lianfang.common.settings import DEV_PII_KEY
from lianfang.common.testing import bearer, serve
from lianfang.common.testing.plugin import Stores
from lianfang.gateway.main import DEV_LOGIN_WARNING

from .conftest import System, system_settings

pytestmark = pytest.mark.usefixtures("backend")


async def test_every_service_answers_under_its_own_prefix(system: System) -> None:
    auth = await system.client.get("/api/auth/openapi.json")
    registry = await system.client.get("/api/registry/openapi.json")

    assert "/api/auth/admin/login" in auth.json()["paths"]
    assert "/api/registry/regions" in registry.json()["paths"]


async def test_health_readiness_and_metrics_answer_at_the_root(system: System) -> None:
    await system.login()

    health = await system.client.get("/healthz")
    ready = await system.client.get("/readyz")
    metrics = await system.client.get("/metrics")

    assert health.json() == {"status": "ok"}
    assert ready.json() == {
        "status": "ready",
        "checks": [
            "registry-db",
            "redis",
            "accounts-db",
            "rabbitmq",
            "gate-state",
            "trace-db",
            "records-db",
            "ingest-worker",
        ],
    }
    assert 'route="/api/auth/admin/login",service="gateway",status="200"' in metrics.text


async def test_an_unknown_path_is_a_problem(system: System) -> None:
    response = await system.client.get("/api/nowhere")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


class TestDemo:
    async def test_a_first_start_loads_a_tree_with_an_admin_per_level(
        self, stores: Stores, redis_url: str, broker_url: str, tmp_path: Path
    ) -> None:
        ready: list[list[DemoLogin]] = []
        app = AllInOne(await system_settings(stores, redis_url, broker_url, tmp_path), demo=True, on_ready=ready.append)

        async with serve(app.root, asgi=app.asgi) as client:
            system = System(client, app)
            (logins,) = ready
            assert {login.region for login in logins} >= {"石家庄市", "长安区", "育才街道", "唐山市", "路北区"}
            county = await system.login("changan", DEMO_PASSWORD)
            tree = (await client.get("/api/registry/regions/tree", headers=county)).json()
            assert tree["name"] == "长安区"
            assert [child["name"] for child in tree["children"]] == ["育才街道", "建北街道"]
            province = (await client.get("/api/registry/regions/tree", headers=await system.login())).json()
            assert [city["name"] for city in province["children"]] == ["石家庄市", "唐山市"]
            checkpoints = (await client.get("/api/registry/checkpoints?limit=200", headers=await system.login())).json()
            assert len(checkpoints["items"]) == 20
            assert {item["kind"] for item in checkpoints["items"]} == {
                "community",
                "hospital",
                "market",
                "office",
                "vehicle",
                "school",
                "station",
                "village",
            }
            staff = await system.login("yucai_gate", DEMO_PASSWORD)
            me = (await client.get("/api/auth/me", headers=staff)).json()
            assert me["role"] == "staff"
            assert len(me["checkpoint_ids"]) == 2
            assert DemoLogin("qiaotun_gate", "staff", "乔屯街道") in logins

    async def test_a_later_start_keeps_the_demo_and_prints_its_logins_again(
        self, stores: Stores, redis_url: str, broker_url: str, tmp_path: Path
    ) -> None:
        settings = await system_settings(stores, redis_url, broker_url, tmp_path)
        first: list[list[DemoLogin]] = []
        second: list[list[DemoLogin]] = []
        app = AllInOne(settings, demo=True, on_ready=first.append)
        async with serve(app.root, asgi=app.asgi):
            pass

        again = AllInOne(settings, demo=True, on_ready=second.append)
        async with serve(again.root, asgi=again.asgi) as client:
            tree = (await client.get("/api/registry/regions/tree", headers=await System(client, again).login())).json()

        assert first == second
        assert [city["name"] for city in tree["children"]] == ["石家庄市", "唐山市"]

    async def test_no_demo_means_only_the_root(self, system: System) -> None:
        tree = (await system.client.get("/api/registry/regions/tree", headers=await system.login())).json()

        assert (tree["name"], tree["children"]) == ("河北省", [])


def test_the_banner_shows_where_to_click_and_every_login(tmp_path: Path) -> None:
    settings = AllInOneSettings.load(tmp_path)

    text = banner("http://127.0.0.1:8000", settings, [DemoLogin("changan", "admin", "长安区")])

    assert "http://127.0.0.1:8000/admin/" in text
    assert f"root admin   admin, password in {tmp_path / 'root-password.txt'}" in text
    assert "changan      admin  长安区" in text
    assert DEMO_PASSWORD in text


def test_the_banner_never_prints_the_root_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stored = AllInOneSettings.load(tmp_path)
    monkeypatch.setenv("LIANFANG_ROOT_PASSWORD", "Given-root-2026")
    given = AllInOneSettings.load(tmp_path)

    for settings in (stored, given):
        assert str(settings.gateway.root_password) not in banner("http://127.0.0.1:8000", settings, [])
    assert "password from LIANFANG_ROOT_PASSWORD" in banner("http://127.0.0.1:8000", given, [])


def test_a_root_password_is_made_once_and_kept(tmp_path: Path) -> None:
    first = AllInOneSettings.load(tmp_path).gateway.root_password
    second = AllInOneSettings.load(tmp_path).gateway.root_password

    assert first == second
    assert first is not None
    assert len(first) >= 12
    assert (tmp_path / "root-password.txt").stat().st_mode & 0o777 == 0o600


class TestKeys:
    def test_a_first_start_makes_its_own_keys_and_keeps_them(self, tmp_path: Path) -> None:
        first = AllInOneSettings.load(tmp_path)
        second = AllInOneSettings.load(tmp_path)

        assert first.gateway.development_key_problems() == []
        assert first.gateway.jwt_private_key == second.gateway.jwt_private_key
        assert first.trace.pii_keys == second.trace.pii_keys == first.checkin.pii_keys
        assert {first.trace.jwt_public_key, first.checkin.jwt_public_key, first.registry.jwt_public_key} == {
            first.gateway.jwt_public_key
        }
        assert (tmp_path / "keys.env").stat().st_mode & 0o777 == 0o600
        assert first.gateway.jwt_private_key != AllInOneSettings.load(tmp_path / "other").gateway.jwt_private_key

    def test_the_environment_may_name_keys_of_its_own(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        keys = generate_keys()
        for name, value in keys.items():
            monkeypatch.setenv(name, value)

        settings = AllInOneSettings.load(tmp_path)

        assert settings.gateway.jwt_private_key == keys["LIANFANG_JWT_PRIVATE_KEY"].replace("\\n", "\n")
        assert settings.trace.pii_keys == keys["LIANFANG_PII_KEY"]

    @pytest.mark.parametrize("variable", ["LIANFANG_JWT_PRIVATE_KEY", "LIANFANG_PII_KEY"])
    def test_refuses_the_development_keys_committed_for_tests(
        self, variable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv(
            variable, {"LIANFANG_JWT_PRIVATE_KEY": DEV_JWT_PRIVATE_KEY, "LIANFANG_PII_KEY": DEV_PII_KEY}[variable]
        )

        with pytest.raises(SystemExit) as refused:
            main(["run", "--data-dir", str(tmp_path), "--port", "0"])

        message = str(refused.value.code)
        assert message.startswith("lianfang: the all-in-one server refuses the development keys")
        assert variable in message

    async def test_a_token_signed_with_the_development_key_is_refused(self, tmp_path: Path) -> None:
        app = AllInOne(AllInOneSettings.load(tmp_path))
        forged = bearer(AdminPrincipal(uuid.uuid4(), ROOT_REGION_ID, ROOT_REGION_PATH))

        async with serve(app.root, asgi=app.asgi) as client:
            records = await client.get("/api/trace/records", headers=forged)
            admins = await client.get("/api/auth/admins", headers=forged)
            keys = await client.get("/api/auth/keys")

        assert (records.status_code, admins.status_code) == (401, 401)
        assert DEV_JWT_PUBLIC_KEY.strip().splitlines()[1] not in keys.text


class TestDevLogin:
    async def test_is_off_unless_asked_for(self, tmp_path: Path) -> None:
        settings = AllInOneSettings.load(tmp_path)
        app = AllInOne(settings)

        async with serve(app.root, asgi=app.asgi) as client:
            login = await client.post("/api/auth/dev/login", json={"openid": "someone-elses-openid"})
            config = await client.get("/api/auth/config")

        assert login.status_code == 404
        assert config.json()["wechat_mode"] == "live"
        assert "dev login" not in banner("http://127.0.0.1:8000", settings, [])

    async def test_when_asked_for_the_server_says_so_at_start(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        monkeypatch.setenv("LIANFANG_WECHAT_MODE", "dev")
        settings = AllInOneSettings.load(tmp_path)
        app = AllInOne(settings)

        with caplog.at_level(logging.WARNING, logger="lianfang.gateway.main"):
            async with serve(app.root, asgi=app.asgi) as client:
                login = await client.post("/api/auth/dev/login", json={"openid": "o-dev"})

        assert login.status_code == 200
        assert DEV_LOGIN_WARNING in caplog.messages
        assert "dev login on (LIANFANG_WECHAT_MODE=dev)" in banner("http://127.0.0.1:8000", settings, [])


def test_the_stores_live_in_the_data_directory(tmp_path: Path) -> None:
    settings = AllInOneSettings.load(tmp_path, "http://127.0.0.1:9000")

    assert settings.registry.public_url == "http://127.0.0.1:9000"

    assert settings.gateway.accounts_database_url == f"sqlite+aiosqlite:///{tmp_path / 'accounts.db'}"
    assert settings.registry.registry_database_url == f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}"


class TestCommandLine:
    def test_help_lists_the_commands(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as done:
            main(["--help"])

        assert done.value.code == 0
        out = capsys.readouterr().out
        for command in ("run", "serve", "migrate", "keygen"):
            assert command in out

    def test_production_refuses_development_settings_and_says_what_to_set(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.setenv("LIANFANG_ENV", "production")

        with pytest.raises(SystemExit) as refused:
            main(["run", "--data-dir", str(tmp_path), "--port", "0"])

        message = str(refused.value.code)
        assert message.startswith("lianfang: LIANFANG_ENV=production refuses this configuration")
        assert "LIANFANG_WECHAT_APPID" in message
        assert "LIANFANG_ACCOUNTS_DATABASE_URL" in message

    def test_keygen_prints_keys_production_accepts(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        main(["keygen"])

        values = dict(line.split("=", 1) for line in capsys.readouterr().out.strip().splitlines())
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("LIANFANG_ENV", "production")
        monkeypatch.setenv("LIANFANG_REDIS_URL", "redis://redis:6379/0")
        monkeypatch.setenv("LIANFANG_BROKER_URL", "amqp://rabbitmq/")
        monkeypatch.setenv("LIANFANG_ACCOUNTS_DATABASE_URL", "mysql+asyncmy://db/accounts")
        monkeypatch.setenv("LIANFANG_WECHAT_MODE", "live")
        monkeypatch.setenv("LIANFANG_WECHAT_APPID", "wx1")
        monkeypatch.setenv("LIANFANG_WECHAT_SECRET", "s")
        from lianfang.gateway.settings import GatewaySettings

        settings = GatewaySettings()
        assert settings.production_problems() == []
        assert settings.jwt_public_key.startswith("-----BEGIN PUBLIC KEY-----\n")
