"""The records of a population's visits over some days: a morning and an evening rush (Asia/Shanghai), quieter weekends,
people mostly at their own community's gates and sometimes anywhere in their county, companions, check-outs where a
stay has an end, a few per cent of fevers, pending and rejected records where staff audit.

Rows come out in the records table's storage form (ids as 32 hex digits, times as naive UTC text), ready for a bulk
INSERT, in time order within each day.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from lianfang.allinone.demo_records.people import Population, random_uuid
from lianfang.allinone.demo_records.tree import Site, Tree
from lianfang.common.beijing import in_beijing

__all__ = [
    "COLUMNS",
    "HOUR_WEIGHTS",
    "PERSON_COLUMNS",
    "SITE_COLUMNS",
    "Row",
    "Shape",
    "rows_of_days",
    "today_in_shanghai",
]

# Check-ins per hour of the day in Shanghai, relative: the gates' morning and evening rush, the night all but empty.
HOUR_WEIGHTS = (
    0.3, 0.2, 0.15, 0.1, 0.15, 0.5, 2.0, 6.0, 8.0, 5.0, 3.5, 3.5,
    4.0, 3.0, 3.0, 3.5, 4.5, 7.0, 7.5, 5.0, 3.5, 2.5, 1.5, 0.7,
)  # fmt: skip
# Minutes a stay lasts where people check out, and how many of them do.
CHECKOUT_MINUTES = {"hospital": (20, 240), "office": (30, 480), "school": (420, 540), "vehicle": (10, 70)}
CHECKOUT_SHARE = 0.6
FEVER_SHARE = 0.02
COMPANION_SHARE = 0.3  # of the visits of someone who has a companion
PENDING_SHARE = 0.06  # of records where staff audit: never decided
REJECTED_SHARE = 0.04
REJECTED_REASON = "非本单位人员，未予放行"
MICROS = 1_000_000

# The order of the columns in a row: the visit's own, its checkpoint's, its person's, then the rest.
COLUMNS = (
    *("id", "checked_at", "client_key"),
    *("city_code", "province_id", "city_id", "county_id", "township_id", "unit_id", "region_id", "checkpoint_id"),
    *("checkpoint_kind", "template_id", "template_version"),
    *("name_encrypted", "name_hash", "name_masked", "phone_encrypted", "phone_hash", "phone_masked"),
    *("id_card_encrypted", "id_card_hash", "id_card_masked", "answers_encrypted"),
    *("resident_id", "companion_of", "entered_by", "temperature", "temperature_source", "temperature_measured_at"),
    *("status", "decided_by", "decided_at", "decision_reason", "direction", "stored_at"),
)
SITE_COLUMNS = COLUMNS[3:14]
PERSON_COLUMNS = COLUMNS[14:24]

# resident_id … stored_at, in `COLUMNS` order.
Dynamic = tuple[
    str | None, str | None, str | None, float | None, str | None, str | None, str, str | None, str | None, str | None,
    str, str,
]  # fmt: skip
# temperature, its source, when it was measured, status, decided by, decided at, reason.
_Entry = tuple[float, str, str, str, str | None, str | None, str | None]
# id, checked_at, client_key, index of the site, index of the person, the rest.
Row = tuple[str, str, str, int, int, Dynamic]


@dataclass(frozen=True)
class Shape:
    records: int
    days: int
    # The generated days end where this Shanghai day starts (the records fill the days before it).
    today: datetime

    @property
    def first_day(self) -> datetime:
        return self.today - timedelta(days=self.days)


def _stamp(micros: int) -> str:
    seconds, fraction = divmod(micros, MICROS)
    t = time.gmtime(seconds)
    return "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (  # noqa: UP031 - the fastest of the ways to write it
        t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, fraction,
    )  # fmt: skip


def _day_quotas(shape: Shape) -> list[tuple[int, int]]:
    """(start of the day in UTC microseconds, records that day), weekends a little quieter; the quotas add up exactly."""
    days = [shape.first_day + timedelta(days=offset) for offset in range(shape.days)]
    weights = [0.85 if day.weekday() >= 5 else 1.0 for day in days]
    total = sum(weights)
    quotas = [int(shape.records * weight / total) for weight in weights]
    for index in range(shape.records - sum(quotas)):
        quotas[index % len(quotas)] += 1
    return [(int(day.timestamp()) * MICROS, quota) for day, quota in zip(days, quotas, strict=True)]


class _Visits:
    def __init__(self, tree: Tree, population: Population, rng: random.Random) -> None:
        self.sites = tree.sites
        self.population = population
        self.rng = rng
        self.staff = [random_uuid(rng) for _ in self.sites]
        units: dict[int, list[int]] = {}
        for index, site in enumerate(self.sites):
            if site.ancestry[4] is not None:
                units.setdefault(site.ancestry[4], []).append(index)
        counties = tree.counties
        # Per home (a community): its gates, its other places, and everything in its county.
        self.homes = [
            (
                [index for index in members if self.sites[index].kind == "community"] or members,
                [index for index in members if self.sites[index].kind != "community"] or members,
                counties[self.sites[members[0]].ancestry[2] or 0],
            )
            for members in units.values()
        ]
        self.hours = list(accumulate(HOUR_WEIGHTS))

    def _id(self, micros: int) -> str:
        """A UUIDv7 of the time, random below the millisecond."""
        tail = self.rng.getrandbits(74)
        value = (micros // 1000) << 80 | 0x7 << 76 | (tail >> 62) << 64 | 0b10 << 62 | (tail & ((1 << 62) - 1))
        return f"{value:032x}"

    def _site(self, home: int) -> int:
        gates, others, county = self.homes[home]
        draw = self.rng.random()
        if draw < 0.6:
            return self.rng.choice(gates)
        if draw < 0.75:
            return self.rng.choice(others)
        if draw < 0.97:
            return self.rng.choice(county)
        return self.rng.randrange(len(self.sites))

    def _entry(self, site: Site, staff: str, at: int, stamp: str) -> _Entry:
        rng = self.rng
        if rng.random() < FEVER_SHARE:
            temperature = round(rng.uniform(site.fever_threshold, 39.6), 1)
            return temperature, "measured", stamp, "abnormal", None, None, None
        temperature = min(max(round(rng.gauss(36.5, 0.25), 1), 35.8), round(site.fever_threshold - 0.1, 1))
        source, measured = "measured", stamp
        if site.temp_valid_minutes and rng.random() < 0.35:
            source = "reused"
            measured = _stamp(at - int(rng.uniform(5, site.temp_valid_minutes) * 60 * MICROS))
        if not site.requires_audit:
            return temperature, source, measured, "passed", None, None, None
        draw = rng.random()
        if draw < PENDING_SHARE:
            return temperature, source, measured, "pending", None, None, None
        decided = _stamp(at + int(rng.uniform(20, 300) * MICROS))
        if draw < PENDING_SHARE + REJECTED_SHARE:
            return temperature, source, measured, "rejected", staff, decided, REJECTED_REASON
        return temperature, source, measured, "passed", staff, decided, None

    def day(self, start: int, quota: int) -> Iterator[Row]:
        """`quota` rows of the day starting at `start`, in time order but for check-outs."""
        rng, population = self.rng, self.population
        visitors = rng.choices(range(len(population.homes)), cum_weights=population.cumulative, k=quota)
        hours = rng.choices(range(24), cum_weights=self.hours, k=quota)
        # Hours are Shanghai's; `start` is the Shanghai midnight.
        times = sorted(start + hour * 3600 * MICROS + int(rng.random() * 3600 * MICROS) for hour in hours)
        made = 0
        for at, person in zip(times, visitors, strict=True):
            if made >= quota:
                return
            site_index = self._site(population.homes[person])
            site, staff, stamp = self.sites[site_index], self.staff[site_index], _stamp(at)
            account = population.accounts[person]
            entered_by = None if account else staff
            main = self._id(at)
            entry = self._entry(site, staff, at, stamp)
            key = random_uuid(rng)
            yield main, stamp, key, site_index, person, (account, None, entered_by, *entry, "in", stamp)
            made += 1
            companion = population.companions[person]
            if companion >= 0 and made < quota and rng.random() < COMPANION_SHARE:
                own = self._entry(site, staff, at, stamp)
                yield self._id(at), stamp, random_uuid(rng), site_index, companion, (
                    account, main, entered_by, *own, "in", stamp,
                )  # fmt: skip
                made += 1
            stay = CHECKOUT_MINUTES.get(site.kind)
            if stay and made < quota and rng.random() < CHECKOUT_SHARE:
                out = at + int(rng.uniform(*stay) * 60 * MICROS)
                out_stamp = _stamp(out)
                yield self._id(out), out_stamp, random_uuid(rng), site_index, person, (
                    account, None, entered_by, None, None, None, "passed", None, None, None, "out", out_stamp,
                )  # fmt: skip
                made += 1


def rows_of_days(tree: Tree, population: Population, shape: Shape, rng: random.Random) -> Iterator[Row]:
    """Exactly `shape.records` rows over the days."""
    visits = _Visits(tree, population, rng)
    for start, quota in _day_quotas(shape):
        yield from visits.day(start, quota)


def today_in_shanghai(now: datetime | None = None) -> datetime:
    local = in_beijing(now or datetime.now(UTC))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
