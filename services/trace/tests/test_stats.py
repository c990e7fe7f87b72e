from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from lianfang.common.auth import ResidentPrincipal
from lianfang.common.beijing import BEIJING
from lianfang.common.contracts.records import Record
from lianfang.common.testing import bearer

from .conftest import RecordsStore
from .support import CHECKPOINTS, REGIONS, FakeRegistry, Json, Person, admin, field_errors, record

pytestmark = pytest.mark.usefixtures("backend")

STATS = "/api/trace/stats"
LI = Person("李四", "13900001111")
WEEK_AGO = (datetime.now(UTC) - timedelta(days=7)).isoformat()


@pytest.fixture
def day0() -> datetime:
    """Midnight in Shanghai five days ago: 16:00 UTC the day before."""
    return datetime.now(BEIJING).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=5)


def at(day0: datetime, days: int, hours: float) -> datetime:
    return (day0 + timedelta(days=days, hours=hours)).astimezone(UTC)


def period(day0: datetime, days: int = 3) -> dict[str, str]:
    return {"from": day0.isoformat(), "to": (day0 + timedelta(days=days)).isoformat()}


async def stats(client: httpx.AsyncClient, headers: dict[str, str], **params: str | int) -> Json:
    response = await client.get(STATS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    answer: Json = response.json()
    return answer


def children(answer: Json) -> dict[int, int]:
    return {child["region_id"]: child["total"]["records"] for child in answer["children"]}


@pytest.fixture
async def week(store: RecordsStore, day0: datetime) -> None:
    """Over two Shanghai days: 石家庄 (长安区 and 桥西区) and 唐山, some abnormal and pending."""
    await store.add(
        # Day 0: 23:30 in Shanghai is 15:30 UTC, the same UTC date.
        record(LI, 4201, at(day0, 0, 23.5)),
        record(LI, 4201, at(day0, 0, 8), status="abnormal", temperature=38.1),
        record(LI, 4202, at(day0, 0, 9), status="pending"),
        # Day 1: 00:30 in Shanghai is 16:30 UTC of the day before, yet it counts for day 1.
        record(LI, 4203, at(day0, 1, 0.5)),
        record(LI, 4301, at(day0, 1, 10)),
        record(LI, 4301, at(day0, 1, 11)),
        record(LI, 4301, at(day0, 1, 12), status="abnormal", temperature=37.9),
        record(LI, 4302, at(day0, 1, 13)),
        record(LI, 8001, at(day0, 0, 10)),
        record(LI, 8001, at(day0, 1, 10), status="abnormal", temperature=39.0),
    )


@pytest.mark.usefixtures("week")
class TestByDay:
    async def test_a_city_sees_its_totals_series_and_districts(self, client: httpx.AsyncClient, day0: datetime) -> None:
        answer = await stats(client, admin(7), **period(day0))
        assert (answer["region_id"], answer["region_name"], answer["granularity"]) == (7, "石家庄市", "day")
        assert answer["total"] == {"records": 8, "abnormal": 2, "pending": 1}
        assert answer["series"] == [
            {"at": day0.isoformat(), "records": 3, "abnormal": 1, "pending": 1},
            {"at": (day0 + timedelta(days=1)).isoformat(), "records": 5, "abnormal": 1, "pending": 0},
            {"at": (day0 + timedelta(days=2)).isoformat(), "records": 0, "abnormal": 0, "pending": 0},
        ]
        assert [(child["region_id"], child["region_name"], child["own"]) for child in answer["children"]] == [
            (42, "长安区", False),
            (43, "桥西区", False),
        ]
        changan = answer["children"][0]
        assert changan["total"] == {"records": 4, "abnormal": 1, "pending": 1}
        assert [point["records"] for point in changan["series"]] == [3, 1, 0]

    async def test_a_city_never_counts_another_city(self, client: httpx.AsyncClient, day0: datetime) -> None:
        tangshan = await stats(client, admin(8), **period(day0))
        shijiazhuang = await stats(client, admin(7), **period(day0))
        assert (tangshan["total"]["records"], children(tangshan)) == (2, {80: 2})
        assert 80 not in children(shijiazhuang)
        assert shijiazhuang["total"]["records"] == 8

    @pytest.mark.parametrize(
        ("caller", "region_id", "expected"),
        [
            (1, None, {7: 8, 8: 2}),
            (1, 7, {42: 4, 43: 4}),
            (7, 42, {88: 3, 89: 1}),
            (42, None, {88: 3, 89: 1}),
            (42, 88, {91: 2, 92: 1}),
            (91, None, {91: 2}),
        ],
    )
    async def test_every_level_splits_into_its_direct_sub_regions(
        self, client: httpx.AsyncClient, day0: datetime, caller: int, region_id: int | None, expected: dict[int, int]
    ) -> None:
        params = period(day0) | ({"region_id": region_id} if region_id else {})
        assert children(await stats(client, admin(caller), **params)) == expected

    async def test_records_at_a_regions_own_checkpoints_are_listed_as_the_region_itself(
        self, client: httpx.AsyncClient, day0: datetime
    ) -> None:
        (own,) = (await stats(client, admin(43), **period(day0)))["children"]
        assert (own["region_id"], own["region_name"], own["own"], own["total"]["records"]) == (43, "桥西区", True, 4)

    async def test_the_busiest_checkpoints_and_the_kinds_come_with_their_names(
        self, client: httpx.AsyncClient, day0: datetime
    ) -> None:
        answer = await stats(client, admin(7), top=2, **period(day0))
        assert answer["busiest_checkpoints"] == [
            {
                "checkpoint_id": 4301,
                "checkpoint_name": "桥西区人民医院",
                "checkpoint_kind": "hospital",
                "checkpoint_kind_label": "医院",
                "region_id": 43,
                "region_name": "桥西区",
                "records": 3,
                "abnormal": 1,
                "pending": 0,
            },
            {
                "checkpoint_id": 4201,
                "checkpoint_name": "建明社区北门",
                "checkpoint_kind": "community",
                "checkpoint_kind_label": "小区/社区",
                "region_id": 91,
                "region_name": "建明社区",
                "records": 2,
                "abnormal": 1,
                "pending": 0,
            },
        ]
        assert [(kind["kind"], kind["kind_label"], kind["records"]) for kind in answer["kinds"]] == [
            ("community", "小区/社区", 3),
            ("hospital", "医院", 3),
            ("market", "商超/市场", 1),
            ("vehicle", "车辆/班车", 1),
        ]

    async def test_a_period_without_records_is_all_zeros(self, client: httpx.AsyncClient, day0: datetime) -> None:
        answer = await stats(client, admin(7), **period(day0 - timedelta(days=10), days=2))
        assert answer["total"] == {"records": 0, "abnormal": 0, "pending": 0}
        assert [point["records"] for point in answer["series"]] == [0, 0]
        assert (answer["children"], answer["busiest_checkpoints"], answer["kinds"]) == ([], [], [])

    async def test_names_are_left_blank_while_the_registry_is_down(
        self, client: httpx.AsyncClient, registry: FakeRegistry, day0: datetime
    ) -> None:
        registry.down = True
        answer = await stats(client, admin(7), **period(day0))
        assert answer["region_name"] is None
        assert answer["total"]["records"] == 8
        assert {child["region_name"] for child in answer["children"]} == {None}


@pytest.mark.usefixtures("week")
class TestByHour:
    async def test_a_day_has_twenty_four_points_each_at_its_shanghai_hour(
        self, client: httpx.AsyncClient, day0: datetime
    ) -> None:
        answer = await stats(client, admin(42), granularity="hour", **period(day0 + timedelta(days=1), days=1))
        assert len(answer["series"]) == 24
        assert answer["series"][0]["at"] == (day0 + timedelta(days=1)).isoformat()
        busy = [(point["at"], point["records"]) for point in answer["series"] if point["records"]]
        assert busy == [((day0 + timedelta(days=1)).isoformat(), 1)]

    async def test_a_period_starting_mid_hour_begins_with_that_hour(
        self, client: httpx.AsyncClient, day0: datetime
    ) -> None:
        start = day0 + timedelta(hours=7, minutes=40)
        params = {"from": start.isoformat(), "to": (start + timedelta(hours=2)).isoformat(), "granularity": "hour"}
        answer = await stats(client, admin(7), **params)
        assert [(point["at"], point["records"]) for point in answer["series"]] == [
            ((day0 + timedelta(hours=7)).isoformat(), 0),
            ((day0 + timedelta(hours=8)).isoformat(), 1),
            ((day0 + timedelta(hours=9)).isoformat(), 1),
        ]

    async def test_hours_after_days_are_still_hours(self, client: httpx.AsyncClient, day0: datetime) -> None:
        # A dashboard asks for the week by day and today by hour at once: neither may answer in the other's buckets.
        by_day = await stats(client, admin(7), **period(day0))
        by_hour = await stats(client, admin(7), granularity="hour", **period(day0, days=1))
        assert [point["records"] for point in by_day["series"]] == [3, 5, 0]
        assert [point["records"] for point in by_hour["series"] if point["records"]] == [1, 1, 1]


class TestScopeAndBadInput:
    @pytest.mark.parametrize(("caller", "region_id"), [(42, 43), (42, 7), (7, 8), (91, 92)])
    async def test_a_region_outside_the_subtree_is_forbidden(
        self, client: httpx.AsyncClient, day0: datetime, caller: int, region_id: int
    ) -> None:
        response = await client.get(STATS, params=period(day0) | {"region_id": region_id}, headers=admin(caller))
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({}, [("from", "missing")]),
            ({"from": "2026-11-20T00:00:00+08:00", "to": "2026-11-19T00:00:00+08:00"}, [("to", "period_order")]),
            ({"from": "2026-01-01T00:00:00+08:00", "to": "2026-06-01T00:00:00+08:00"}, [("from", "period_too_long")]),
            (
                {"from": "2026-11-01T00:00:00+08:00", "to": "2026-11-09T00:00:00+08:00", "granularity": "hour"},
                [("from", "period_too_long")],
            ),
            ({"from": "2026-11-01T00:00:00"}, [("from", "timezone_aware")]),
            ({"from": WEEK_AGO, "granularity": "week"}, [("granularity", "enum")]),
            ({"from": WEEK_AGO, "top": 0}, [("top", "greater_than_equal")]),
            ({"from": WEEK_AGO, "region_id": 999}, [("region_id", "not_found")]),
        ],
    )
    async def test_each_bad_parameter_is_a_422_naming_it(
        self, client: httpx.AsyncClient, params: Json, expected: list[tuple[str, str]]
    ) -> None:
        assert field_errors(await client.get(STATS, params=params, headers=admin(1))) == expected

    async def test_a_week_by_the_hour_is_allowed(self, client: httpx.AsyncClient, day0: datetime) -> None:
        answer = await stats(client, admin(1), granularity="hour", **period(day0, days=7))
        assert len(answer["series"]) == 7 * 24

    async def test_only_admins_read_statistics(self, client: httpx.AsyncClient, day0: datetime) -> None:
        response = await client.get(STATS, params=period(day0), headers=bearer(ResidentPrincipal(uuid.uuid4())))
        assert response.status_code == 403


def moment(day0: datetime, days: int, hour: int, minute: int, second: int = 0, micro: int = 0) -> datetime:
    """A Shanghai wall-clock time `days` after day0, as stored (UTC)."""
    return (day0 + timedelta(days=days, hours=hour, minutes=minute, seconds=second, microseconds=micro)).astimezone(UTC)


@pytest.fixture
async def ragged(store: RecordsStore, day0: datetime) -> dict[str, str]:
    """Records on both sides of each edge of a period from 10:17 on day 0 to 15:42 three days later (Shanghai):
    the minutes at its ends are read from the records, the hours next to them from the hourly counts, the whole days
    between from the daily ones."""
    await store.add(
        record(LI, 4201, moment(day0, 0, 10, 16, 59, 999_999)),  # a moment before the period
        record(LI, 4201, moment(day0, 0, 10, 17)),
        record(LI, 4202, moment(day0, 0, 10, 59, 59, 999_999), status="pending"),
        record(LI, 4301, moment(day0, 0, 11, 0), status="abnormal", temperature=38.0),
        record(LI, 4201, moment(day0, 0, 23, 59, 59)),
        record(LI, 4203, moment(day0, 1, 0, 0)),
        record(LI, 4301, moment(day0, 1, 12, 0), status="pending"),
        record(LI, 4302, moment(day0, 2, 8, 30), status="abnormal", temperature=37.6),
        record(LI, 8001, moment(day0, 2, 9, 0)),  # 唐山
        record(LI, 4201, moment(day0, 3, 0, 30)),
        record(LI, 4202, moment(day0, 3, 14, 59, 59), status="rejected"),
        record(LI, 4301, moment(day0, 3, 15, 0), status="pending"),
        record(LI, 4203, moment(day0, 3, 15, 41, 59, 999_999), status="abnormal", temperature=38.5),
        record(LI, 4201, moment(day0, 3, 15, 42)),  # the period's end: not in it
    )
    return {
        "from": (day0 + timedelta(hours=10, minutes=17)).isoformat(),
        "to": (day0 + timedelta(days=3, hours=15, minutes=42)).isoformat(),
    }


class TestRaggedPeriods:
    async def test_by_day_every_edge_counts_once(
        self, client: httpx.AsyncClient, day0: datetime, ragged: dict[str, str]
    ) -> None:
        answer = await stats(client, admin(7), top=10, **ragged)
        assert answer["total"] == {"records": 11, "abnormal": 3, "pending": 3}
        assert [(point["at"], point["records"], point["abnormal"], point["pending"]) for point in answer["series"]] == [
            (day0.isoformat(), 4, 1, 1),
            ((day0 + timedelta(days=1)).isoformat(), 2, 0, 1),
            ((day0 + timedelta(days=2)).isoformat(), 1, 1, 0),
            ((day0 + timedelta(days=3)).isoformat(), 4, 1, 1),
        ]
        assert [(child["region_id"], child["total"]) for child in answer["children"]] == [
            (42, {"records": 7, "abnormal": 1, "pending": 1}),
            (43, {"records": 4, "abnormal": 2, "pending": 2}),
        ]
        assert [point["records"] for point in answer["children"][0]["series"]] == [3, 1, 0, 3]
        assert [(item["checkpoint_id"], item["records"]) for item in answer["busiest_checkpoints"]] == [
            (4201, 3),
            (4301, 3),
            (4202, 2),
            (4203, 2),
            (4302, 1),
        ]
        assert [(kind["kind"], kind["records"], kind["abnormal"]) for kind in answer["kinds"]] == [
            ("community", 5, 0),
            ("hospital", 3, 1),
            ("market", 2, 1),
            ("vehicle", 1, 1),
        ]

    async def test_by_hour_every_edge_counts_once(
        self, client: httpx.AsyncClient, day0: datetime, ragged: dict[str, str]
    ) -> None:
        answer = await stats(client, admin(7), granularity="hour", **ragged)
        assert answer["total"] == {"records": 11, "abnormal": 3, "pending": 3}
        series = answer["series"]
        assert (series[0]["at"], series[-1]["at"], len(series)) == (
            (day0 + timedelta(hours=10)).isoformat(),
            (day0 + timedelta(days=3, hours=15)).isoformat(),
            3 * 24 + 6,
        )

        def hour(days: int, hours: int) -> str:
            return (day0 + timedelta(days=days, hours=hours)).isoformat()

        assert [(point["at"], point["records"]) for point in series if point["records"]] == [
            (hour(0, 10), 2),
            (hour(0, 11), 1),
            (hour(0, 23), 1),
            (hour(1, 0), 1),
            (hour(1, 12), 1),
            (hour(2, 8), 1),
            (hour(3, 0), 1),
            (hour(3, 14), 1),
            (hour(3, 15), 2),
        ]

    async def test_a_period_inside_one_hour_is_read_from_the_records(
        self, client: httpx.AsyncClient, day0: datetime, ragged: dict[str, str]
    ) -> None:
        params = {"from": moment(day0, 3, 15, 0).isoformat(), "to": moment(day0, 3, 15, 42).isoformat()}
        answer = await stats(client, admin(42), granularity="hour", **params)
        assert answer["total"] == {"records": 1, "abnormal": 1, "pending": 0}
        assert [(point["at"], point["records"]) for point in answer["series"]] == [
            ((day0 + timedelta(days=3, hours=15)).isoformat(), 1)
        ]


def expected_stats(records: list[Record], caller: int, start: datetime, end: datetime, hourly: bool) -> Json:
    """What statistics answer, worked out from the records themselves, as grouping the records in SQL did before the
    rollups."""
    scope = REGIONS[caller]
    depth = len(scope.ids) - 1

    def counts(items: list[Record]) -> dict[str, int]:
        return {
            "records": len(items),
            "abnormal": sum(item.status == "abnormal" for item in items),
            "pending": sum(item.status == "pending" for item in items),
        }

    chosen = [
        item
        for item in records
        if start <= item.checked_at < end and CHECKPOINTS[item.checkpoint_id].region.path.startswith(scope.path)
    ]
    first = start.astimezone(BEIJING).replace(minute=0, second=0, microsecond=0)
    if not hourly:
        first = first.replace(hour=0)
    step = timedelta(hours=1) if hourly else timedelta(days=1)
    series = []
    while first < end:
        inside = [item for item in chosen if first <= item.checked_at < first + step]
        series.append((first.isoformat(), counts(inside)))
        first += step
    children: dict[int, list[Record]] = {}
    for item in chosen:
        ids = CHECKPOINTS[item.checkpoint_id].region.ids
        children.setdefault(ids[depth + 1] if len(ids) > depth + 1 else caller, []).append(item)
    by_checkpoint: dict[int, list[Record]] = {}
    for item in chosen:
        by_checkpoint.setdefault(item.checkpoint_id, []).append(item)
    kinds: dict[str, list[Record]] = {}
    for item in chosen:
        kinds.setdefault(item.checkpoint_kind, []).append(item)
    return {
        "total": counts(chosen),
        "series": series,
        "children": {child: counts(items) for child, items in children.items()},
        "busiest": sorted(
            ((checkpoint, counts(items)) for checkpoint, items in by_checkpoint.items()),
            key=lambda pair: (-pair[1]["records"], pair[0]),
        ),
        "kinds": {kind: counts(items) for kind, items in kinds.items()},
    }


def seen(answer: Json) -> Json:
    return {
        "total": answer["total"],
        "series": [
            (point["at"], {name: point[name] for name in ("records", "abnormal", "pending")})
            for point in answer["series"]
        ],
        "children": {child["region_id"]: child["total"] for child in answer["children"]},
        "busiest": [
            (item["checkpoint_id"], {name: item[name] for name in ("records", "abnormal", "pending")})
            for item in answer["busiest_checkpoints"]
        ],
        "kinds": {
            kind["kind"]: {name: kind[name] for name in ("records", "abnormal", "pending")} for kind in answer["kinds"]
        },
    }


async def test_any_period_counts_what_the_records_hold(
    client: httpx.AsyncClient, store: RecordsStore, day0: datetime
) -> None:
    """Many records at random moments (some right on an hour), and periods with random ends, by day and by hour, at
    three levels of the tree: the answer is always what counting the records one by one gives."""
    rng = random.Random(2020)
    statuses = ["passed"] * 6 + ["pending", "rejected", "abnormal"]
    records = []
    for _ in range(240):
        at = day0 + timedelta(seconds=rng.uniform(-12 * 3600, 5 * 24 * 3600))
        if rng.random() < 0.15:
            at = at.replace(minute=0, second=0, microsecond=0)
        status = rng.choice(statuses)
        records.append(record(LI, rng.choice(list(CHECKPOINTS)), at.astimezone(UTC), status=status))
    await store.add(*records)
    for _ in range(12):
        start = day0 + timedelta(minutes=rng.randrange(-12 * 60, 2 * 24 * 60))
        if rng.random() < 0.3:
            start = start.replace(minute=0)
        end = start + timedelta(minutes=rng.randrange(1, 4 * 24 * 60))
        hourly = rng.random() < 0.4
        caller = rng.choice([1, 7, 42])
        params: dict[str, str | int] = {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "top": 100,
            "granularity": "hour" if hourly else "day",
        }
        answer = await stats(client, admin(caller), **params)
        assert seen(answer) == expected_stats(records, caller, start, end, hourly), params
