from __future__ import annotations

import pytest

from lianfang.common.testing import Scraped, scrape

from .conftest import Gateway
from .test_sessions import login

pytestmark = pytest.mark.usefixtures("backend")


def grew(before: Scraped, after: Scraped, name: str, **labels: str) -> float:
    return after.value(name, **labels) - before.value(name, **labels)


class TestLoginMetrics:
    async def test_failed_logins_then_the_lockout_are_counted(self, gateway: Gateway) -> None:
        before = await scrape(gateway.client)
        answers = [await login(gateway, password=f"wrong-{attempt}") for attempt in range(5)]
        still_locked = await login(gateway)
        after = await scrape(gateway.client)

        assert [answer.status_code for answer in [*answers, still_locked]] == [401, 401, 401, 401, 429, 429]
        assert grew(before, after, "lianfang_logins_total", kind="admin", outcome="failed") == 4
        assert grew(before, after, "lianfang_logins_total", kind="admin", outcome="locked") == 2
        assert grew(before, after, "lianfang_logins_total", kind="admin", outcome="succeeded") == 0
        assert grew(before, after, "lianfang_account_lockouts_total") == 1

    async def test_a_good_login_and_a_resident_login_count_as_succeeded(self, gateway: Gateway) -> None:
        before = await scrape(gateway.client)
        assert (await login(gateway)).status_code == 200
        resident = await gateway.client.post("/api/auth/dev/login", json={"openid": "o-metrics-test"})
        after = await scrape(gateway.client)

        assert resident.status_code == 200, resident.text
        assert grew(before, after, "lianfang_logins_total", kind="admin", outcome="succeeded") == 1
        assert grew(before, after, "lianfang_logins_total", kind="dev", outcome="succeeded") == 1
        assert after.value("lianfang_dependency_up", dependency="accounts-db") == 1
