"""The test plugin gives each pytest-xdist worker a Redis database and a RabbitMQ virtual host of its own."""

from __future__ import annotations

import pytest

from lianfang.common.testing.plugin import _real_urls

GIVEN = {
    "LIANFANG_TEST_MYSQL_URL": "mysql+asyncmy://root@127.0.0.1:3306/test",
    "LIANFANG_TEST_AMQP_URL": "amqp://guest:guest@127.0.0.1:5672/h13",
    "LIANFANG_TEST_REDIS_URL": "redis://127.0.0.1:6379/11",
}


@pytest.fixture
def given(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in GIVEN.items():
        monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("given")
def test_one_process_uses_exactly_the_given_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)

    assert _real_urls() == GIVEN


@pytest.mark.usefixtures("given")
def test_a_worker_takes_the_database_its_number_above_and_a_virtual_host_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")

    assert _real_urls() == GIVEN | {
        "LIANFANG_TEST_AMQP_URL": "amqp://guest:guest@127.0.0.1:5672/h13-gw1",
        "LIANFANG_TEST_REDIS_URL": "redis://127.0.0.1:6379/12",
    }


@pytest.mark.usefixtures("given")
def test_the_default_virtual_host_and_database_get_names_a_url_can_carry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIANFANG_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    monkeypatch.setenv("LIANFANG_TEST_REDIS_URL", "redis://127.0.0.1:6379")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")

    urls = _real_urls()

    assert urls is not None
    assert urls["LIANFANG_TEST_AMQP_URL"] == "amqp://guest:guest@127.0.0.1:5672/default-gw0"
    assert urls["LIANFANG_TEST_REDIS_URL"] == "redis://127.0.0.1:6379/0"


def test_half_the_servers_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIANFANG_TEST_MYSQL_URL", GIVEN["LIANFANG_TEST_MYSQL_URL"])
    monkeypatch.delenv("LIANFANG_TEST_AMQP_URL", raising=False)
    monkeypatch.delenv("LIANFANG_TEST_REDIS_URL", raising=False)

    with pytest.raises(pytest.UsageError, match="missing: LIANFANG_TEST_AMQP_URL, LIANFANG_TEST_REDIS_URL"):
        _real_urls()
