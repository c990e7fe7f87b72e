from __future__ import annotations

import asyncio
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import update

from lianfang.common.cache import connect_cache
from lianfang.gateway.models import Account, AccountRole
from lianfang.gateway.sessions.lockout import unlock

from .conftest import ROOT_PASSWORD, Gateway

pytestmark = pytest.mark.usefixtures("backend")


async def login(gateway: Gateway, username: str = "admin", password: str = ROOT_PASSWORD) -> Any:
    return await gateway.client.post("/api/auth/admin/login", json={"username": username, "password": password})


async def add_staff(gateway: Gateway, username: str = "gatekeeper", *, disabled: bool = False) -> None:
    async with gateway.database.sessionmaker() as session:
        session.add(
            Account(
                username=username,
                password_hash=await gateway.app.state.passwords.hash("Staff-pass-1"),
                name="门岗执勤",
                role=AccountRole.staff,
                region_id=5,
                region_path="/1/2/5/",
                checkpoint_ids=[11, 12],
                disabled=disabled,
                failed_logins=0,
            )
        )
        await session.commit()


class TestAdminLogin:
    async def test_the_root_admin_logs_in_and_sees_itself(self, gateway: Gateway) -> None:
        response = await login(gateway)

        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 900
        assert body["account"]["username"] == "admin"
        assert body["account"]["role"] == "admin"
        assert body["account"]["region_path"] == "/1/"
        me = await gateway.client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.status_code == 200
        assert me.json()["username"] == "admin"
        assert me.json()["region_id"] == 1

    async def test_staff_tokens_carry_their_checkpoints(self, gateway: Gateway) -> None:
        await add_staff(gateway)

        body = (await login(gateway, "gatekeeper", "Staff-pass-1")).json()

        claims = jwt.decode(body["access_token"], options={"verify_signature": False})
        assert claims["role"] == "staff"
        assert claims["checkpoint_ids"] == [11, 12]
        assert claims["region_path"] == "/1/2/5/"

    async def test_a_wrong_password_says_how_many_tries_are_left(self, gateway: Gateway) -> None:
        response = await login(gateway, password="wrong-password-1")

        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == "invalid_credentials"
        assert problem["title"] == "用户名或密码错误"
        assert problem["detail"] == "用户名或密码错误，再错 4 次将锁定 15 分钟"

    async def test_an_unknown_username_gets_the_same_answer_as_a_wrong_password(self, gateway: Gateway) -> None:
        unknown = [await login(gateway, username="nobody", password=f"guess-{attempt}") for attempt in range(5)]
        known = [await login(gateway, password=f"guess-{attempt}") for attempt in range(5)]

        assert [(answer.status_code, answer.json()) for answer in unknown] == [
            (answer.status_code, answer.json()) for answer in known
        ]

    async def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(self, gateway: Gateway) -> None:
        answers = [await login(gateway, password=f"wrong-{attempt}") for attempt in range(5)]

        assert [answer.status_code for answer in answers] == [401, 401, 401, 401, 429]
        assert answers[-1].json()["code"] == "account_locked"
        assert 899 <= int(answers[-1].headers["retry-after"]) <= 900
        still_locked = await login(gateway)
        assert still_locked.status_code == 429
        assert still_locked.json()["detail"] == "密码错误次数过多，请 15 分钟后再试"

    async def test_the_lock_lifts_when_its_time_is_up(self, gateway: Gateway) -> None:
        for attempt in range(5):
            await login(gateway, password=f"wrong-{attempt}")
        cache = connect_cache(gateway.redis_url)
        (key,) = [key async for key in cache.scan_iter(match="lianfang:auth:login-failures:*")]
        assert 899 <= await cache.ttl(key) <= 900
        await cache.delete(key)  # what Redis does when those fifteen minutes have passed
        await cache.aclose()

        assert (await login(gateway)).status_code == 200

    async def test_concurrent_guesses_get_five_tries_and_no_more(self, gateway: Gateway) -> None:
        answers = await asyncio.gather(*(login(gateway, password=f"guess-{attempt}") for attempt in range(20)))

        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [401] * 4 + [429] * 16
        assert (await login(gateway)).status_code == 429

    async def test_a_lock_holds_one_address_only_so_nobody_locks_the_root_admin_out(self, gateway: Gateway) -> None:
        for attempt in range(5):
            await login(gateway, password=f"wrong-{attempt}")
        elsewhere = httpx.ASGITransport(app=gateway.app, client=("203.0.113.7", 40000))

        async with httpx.AsyncClient(transport=elsewhere, base_url="http://testserver") as office:
            response = await office.post("/api/auth/admin/login", json={"username": "admin", "password": ROOT_PASSWORD})

        assert response.status_code == 200
        assert (await login(gateway)).status_code == 429

    async def test_unlock_lifts_the_lock_from_every_address(self, gateway: Gateway) -> None:
        for attempt in range(5):
            await login(gateway, password=f"wrong-{attempt}")
        cache = connect_cache(gateway.redis_url)

        lifted = await unlock(cache, "admin")
        await cache.aclose()

        assert lifted == 1
        assert (await login(gateway)).status_code == 200

    async def test_a_right_password_resets_the_count(self, gateway: Gateway) -> None:
        for attempt in range(4):
            await login(gateway, password=f"wrong-{attempt}")
        assert (await login(gateway)).status_code == 200

        answers = [await login(gateway, password=f"wrong-again-{attempt}") for attempt in range(4)]

        assert [answer.status_code for answer in answers] == [401, 401, 401, 401]

    async def test_a_disabled_account_cannot_log_in(self, gateway: Gateway) -> None:
        await add_staff(gateway, disabled=True)

        response = await login(gateway, "gatekeeper", "Staff-pass-1")

        assert response.status_code == 403
        assert response.json()["code"] == "account_disabled"

    async def test_missing_fields_are_named(self, gateway: Gateway) -> None:
        response = await gateway.client.post("/api/auth/admin/login", json={"username": "admin"})

        assert response.status_code == 422
        assert response.json()["errors"] == [{"field": "password", "message": "必填", "code": "missing"}]

    async def test_malformed_json_is_a_bad_request(self, gateway: Gateway) -> None:
        response = await gateway.client.post(
            "/api/auth/admin/login", content=b'{"username": ', headers={"content-type": "application/json"}
        )

        assert response.status_code == 400
        assert response.json()["code"] == "bad_request"

    async def test_an_oversized_body_is_refused(self, gateway: Gateway) -> None:
        response = await gateway.client.post(
            "/api/auth/admin/login", json={"username": "a" * 2_000_000, "password": "x"}
        )

        assert response.status_code == 413
        assert response.json()["code"] == "payload_too_large"


class TestRefresh:
    async def test_a_refresh_token_gives_a_new_pair_once(self, gateway: Gateway) -> None:
        first = (await login(gateway)).json()

        second = await gateway.client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})

        assert second.status_code == 200
        assert second.json()["refresh_token"] != first["refresh_token"]
        assert second.json()["account"]["username"] == "admin"

    async def test_reusing_a_refresh_token_ends_the_whole_chain(self, gateway: Gateway) -> None:
        first = (await login(gateway)).json()
        second = (await gateway.client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()

        replay = await gateway.client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
        after = await gateway.client.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]})

        assert replay.status_code == 401
        assert replay.json()["code"] == "refresh_token_reused"
        assert after.status_code == 401
        assert after.json()["code"] == "refresh_token_invalid"

    async def test_other_logins_survive_a_reuse_in_one_chain(self, gateway: Gateway) -> None:
        stolen = (await login(gateway)).json()
        other_device = (await login(gateway)).json()
        await gateway.client.post("/api/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
        await gateway.client.post("/api/auth/refresh", json={"refresh_token": stolen["refresh_token"]})

        response = await gateway.client.post("/api/auth/refresh", json={"refresh_token": other_device["refresh_token"]})

        assert response.status_code == 200

    async def test_an_unknown_refresh_token_is_refused(self, gateway: Gateway) -> None:
        response = await gateway.client.post("/api/auth/refresh", json={"refresh_token": "made-up"})

        assert response.status_code == 401
        assert response.json()["code"] == "refresh_token_invalid"

    async def test_logout_ends_the_chain(self, gateway: Gateway) -> None:
        tokens = (await login(gateway)).json()

        logout = await gateway.client.post("/api/auth/logout", json={"refresh_token": tokens["refresh_token"]})
        response = await gateway.client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

        assert logout.status_code == 204
        assert response.status_code == 401

    async def test_a_disabled_account_cannot_refresh(self, gateway: Gateway) -> None:
        await add_staff(gateway)
        tokens = (await login(gateway, "gatekeeper", "Staff-pass-1")).json()
        async with gateway.database.sessionmaker() as session:
            await session.execute(update(Account).where(Account.username == "gatekeeper").values(disabled=True))
            await session.commit()

        response = await gateway.client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

        assert response.status_code == 403


class TestMe:
    async def test_without_a_token_the_caller_is_asked_to_log_in(self, gateway: Gateway) -> None:
        response = await gateway.client.get("/api/auth/me")

        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["detail"] == "请先登录"

    async def test_a_forged_token_is_refused(self, gateway: Gateway) -> None:
        forged = jwt.encode({"sub": "x", "role": "admin"}, "a-guessed-secret-of-thirty-two-bytes", algorithm="HS256")

        response = await gateway.client.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"})

        assert response.status_code == 401
        assert response.json()["detail"] == "登录凭证无效"

    async def test_a_refresh_token_is_not_an_access_token(self, gateway: Gateway) -> None:
        tokens = (await login(gateway)).json()

        response = await gateway.client.get(
            "/api/auth/me", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}
        )

        assert response.status_code == 401

    async def test_the_public_key_verifies_issued_tokens(self, gateway: Gateway) -> None:
        tokens = (await login(gateway)).json()
        keys = (await gateway.client.get("/api/auth/keys")).json()

        claims = jwt.decode(tokens["access_token"], keys["public_key_pem"], algorithms=["EdDSA"], issuer="lianfang")

        assert claims["role"] == "admin"
        assert keys["keys"][0]["crv"] == "Ed25519"


class TestOwnPassword:
    async def test_changing_the_password_ends_other_sessions(self, gateway: Gateway) -> None:
        tokens = (await login(gateway)).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}

        changed = await gateway.client.post(
            "/api/auth/me/password",
            json={"old_password": ROOT_PASSWORD, "new_password": "New-pass-2026"},
            headers=headers,
        )

        assert changed.status_code == 204
        assert (await login(gateway)).status_code == 401
        assert (await login(gateway, password="New-pass-2026")).status_code == 200
        refresh = await gateway.client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert refresh.status_code == 401

    async def test_a_wrong_old_password_or_a_weak_new_one_is_named(self, gateway: Gateway) -> None:
        headers = {"Authorization": f"Bearer {(await login(gateway)).json()['access_token']}"}

        wrong = await gateway.client.post(
            "/api/auth/me/password", json={"old_password": "nope", "new_password": "New-pass-2026"}, headers=headers
        )
        weak = await gateway.client.post(
            "/api/auth/me/password", json={"old_password": ROOT_PASSWORD, "new_password": "short"}, headers=headers
        )

        assert wrong.json()["errors"] == [{"field": "old_password", "message": "原密码不正确", "code": "invalid"}]
        assert weak.json()["errors"][0]["field"] == "new_password"
        assert weak.json()["errors"][0]["message"] == "密码至少 8 位，且同时包含字母和数字"
