"""`lianfang purge`: what is past the retention period leaves the records store now, and the operator is told what."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from lianfang.allinone.cli import main
from lianfang.common.contracts.events import Ancestry, CheckinCreated, PersonalData, RecordStatus
from lianfang.common.db import create_database
from lianfang.common.db.migrate import upgrade
from lianfang.common.ids import new_id
from lianfang.ingest.main import MIGRATIONS
from lianfang.ingest.rows import RECORDS, record_row


def _row(at: datetime) -> dict[str, object]:
    event = CheckinCreated(
        id=new_id(),
        client_key=new_id(),
        city_code="1306",
        checked_at=at,
        checkpoint_id=1,
        checkpoint_kind="community",
        region_id=1,
        ancestry=Ancestry(province_id=1),
        resident_id=None,
        person=PersonalData(name_masked="张*"),
        answers_encrypted="dev.x",
        template_id=1,
        template_version=1,
        temperature=36.5,
        temperature_source=None,
        temperature_measured_at=None,
        status=RecordStatus.passed,
    )
    return record_row(event) | {"stored_at": at}


async def _store(url: str, *times: datetime) -> None:
    await upgrade(MIGRATIONS, url)
    database = create_database(url)
    async with database.engine.begin() as connection:
        await connection.execute(insert(RECORDS), [_row(at) for at in times])
    await database.dispose()


async def _times(url: str) -> list[datetime]:
    database = create_database(url)
    async with database.engine.connect() as connection:
        times = list((await connection.scalars(select(RECORDS.c.checked_at))).all())
    await database.dispose()
    return times


@pytest.fixture
def records_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'records.db'}"
    monkeypatch.setenv("LIANFANG_RECORDS_DATABASE_URL", url)
    return url


def test_purge_keeps_the_retention_period_and_says_what_went(
    records_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    asyncio.run(_store(records_url, now - timedelta(days=12), now - timedelta(days=8), now - timedelta(days=1)))
    monkeypatch.setenv("LIANFANG_RETENTION_DAYS", "10")

    main(["purge"])
    assert len(asyncio.run(_times(records_url))) == 2
    main(["purge", "--days", "7"])

    assert asyncio.run(_times(records_url)) == [now - timedelta(days=1)]
    out = capsys.readouterr().out
    assert "records deleted             1\n" in out
    assert "monthly partitions dropped  none\n" in out


def test_purge_refuses_a_retention_under_a_day(records_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["purge", "--days", "0"])
    assert done.value.code == 2
    assert "--days: must be at least 1, not 0" in capsys.readouterr().err
