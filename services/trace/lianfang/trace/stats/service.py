from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.beijing import in_beijing
from lianfang.common.db import Database
from lianfang.trace.deps import RecordsSession, RecordsStore, records_session
from lianfang.trace.directory import CheckpointInfo
from lianfang.trace.periods import Period, resolve_period, split
from lianfang.trace.reader import CurrentReader, Reader
from lianfang.trace.records.buckets import DAY, HOUR
from lianfang.trace.records.repository import BucketCounts, CheckpointCounts, Counts, RecordRepository
from lianfang.trace.records.schemas import kind_label, place_of
from lianfang.trace.scope import Scope
from lianfang.trace.stats.repository import StatsRepository
from lianfang.trace.stats.schemas import (
    CheckpointStatsOut,
    CountsOut,
    Granularity,
    KindStatsOut,
    PointOut,
    RegionStatsOut,
    StatsOut,
)

__all__ = ["Stats", "StatsService"]

_STEP = {Granularity.day: timedelta(days=1), Granularity.hour: timedelta(hours=1)}
_PATTERN = {Granularity.day: DAY, Granularity.hour: HOUR}


def _buckets(period: Period, granularity: Granularity) -> list[datetime]:
    """The Shanghai days (or hours) the period touches, each by its start."""
    first = in_beijing(period.start).replace(minute=0, second=0, microsecond=0)
    if granularity is Granularity.day:
        first = first.replace(hour=0)
    starts = []
    while first < period.end:
        starts.append(first)
        first += _STEP[granularity]
    return starts


def _per_checkpoint(parts: Iterable[CheckpointCounts]) -> list[CheckpointCounts]:
    """The counts of each checkpoint (and kind) added up over the parts of the period they came from."""
    totals: dict[tuple[int, str, int, int | None], list[int]] = {}
    for item in parts:
        cell = totals.setdefault((item.checkpoint_id, item.checkpoint_kind, item.region_id, item.child_id), [0, 0, 0])
        cell[0] += item.records
        cell[1] += item.abnormal
        cell[2] += item.pending
    return [
        CheckpointCounts(
            records,
            abnormal,
            pending,
            checkpoint_id=checkpoint_id,
            checkpoint_kind=kind,
            region_id=region,
            child_id=child,
        )
        for (checkpoint_id, kind, region, child), (records, abnormal, pending) in totals.items()
        if records
    ]


def _sum(counts: Iterable[Counts]) -> CountsOut:
    total = CountsOut(records=0, abnormal=0, pending=0)
    for item in counts:
        total.records += item.records
        total.abnormal += item.abnormal
        total.pending += item.pending
    return total


class StatsService:
    """The counts per bucket are read in the request's session and the counts per checkpoint in a session of their own
    beside it: the answer comes in the longer of the two, not in their sum (the province's 30 days took 0.8 s through
    the shards' read front, which asks the shards of each statement in turn). The two snapshots start together; a
    check-in stored between them counts in one only, as any count of records still arriving may."""

    def __init__(self, session: AsyncSession, reader: Reader, records_store: Database) -> None:
        self.reader = reader
        self.session = session
        self.records_store = records_store

    async def _by_bucket(self, scope: Scope, period: Period, granularity: Granularity) -> list[BucketCounts]:
        """Counts per sub-region and day (or hour), several items for the same day when its parts come from different
        tables: the whole days from the daily rollup, whole hours from the hourly one, the minutes at the period's ends
        from the records."""
        pattern = _PATTERN[granularity]
        parts = split(period, days=granularity is Granularity.day)
        records, rollups = RecordRepository(self.session), StatsRepository(self.session)
        counts = await records.counts_by_bucket(scope, parts.minutes, pattern)
        counts += await rollups.hours_by_bucket(scope, parts.hours, pattern)
        if parts.days:
            counts += await rollups.days_by_bucket(scope, *parts.days)
        return counts

    async def _by_checkpoint(self, scope: Scope, period: Period) -> list[CheckpointCounts]:
        """Counts per checkpoint, from whole days where the period has them whatever its granularity."""
        parts = split(period, days=True)
        async with records_session(self.records_store) as session:
            records, rollups = RecordRepository(session), StatsRepository(session)
            counts = await records.counts_by_checkpoint(scope, parts.minutes)
            counts += await rollups.hours_by_checkpoint(scope, parts.hours)
            if parts.days:
                counts += await rollups.days_by_checkpoint(scope, *parts.days)
        return _per_checkpoint(counts)

    async def stats(
        self, *, region_id: int | None, start: datetime, end: datetime | None, granularity: Granularity, top: int
    ) -> StatsOut:
        """Totals and series of a region and of each sub-region with records, grouped in the database along the
        region's index of each rollup (and of the records for the minutes at the period's ends); names come from the
        registry afterwards. The answer is what grouping the records themselves would give: the rollups count them,
        decisions included, in the transactions that store and decide them (DESIGN-NOTES, Records and trace)."""
        reader = self.reader
        settings = reader.settings
        longest = settings.max_period_days if granularity is Granularity.day else settings.stats_max_hourly_days
        period = resolve_period(start, end, default_days=longest, max_days=longest)
        scope = await reader.scope(region_id)
        by_bucket, by_checkpoint = await asyncio.gather(
            self._by_bucket(scope, period, granularity), self._by_checkpoint(scope, period)
        )
        tally = _Tally(
            by_bucket=by_bucket,
            by_checkpoint=by_checkpoint,
            buckets=_buckets(period, granularity),
            pattern=_PATTERN[granularity],
        )
        children = tally.per_child()
        busiest = sorted(tally.by_checkpoint, key=lambda item: (-item.records, item.checkpoint_id))[:top]
        regions = await reader.directory.regions(
            [scope.region_id, *(child for child in children if child is not None)], reader.token
        )
        checkpoints = await reader.checkpoints(item.checkpoint_id for item in busiest)

        def name_of(region_id: int) -> str | None:
            info = regions.get(region_id)
            return info.name if info else None

        child_stats = [
            _child_stats(scope.region_id, child, counts, tally, name_of) for child, counts in children.items()
        ]
        return StatsOut(
            region_id=scope.region_id,
            region_name=name_of(scope.region_id),
            start=in_beijing(period.start),
            end=in_beijing(period.end),
            granularity=granularity,
            total=_sum(tally.by_checkpoint),
            series=tally.series(set(children)),
            children=sorted(child_stats, key=lambda item: (-item.total.records, item.own, item.region_id)),
            busiest_checkpoints=[_checkpoint_stats(item, checkpoints.get(item.checkpoint_id)) for item in busiest],
            kinds=tally.kinds(),
        )


def _child_stats(
    region_id: int,
    child: int | None,
    counts: Sequence[Counts],
    tally: _Tally,
    name_of: Callable[[int], str | None],
) -> RegionStatsOut:
    """One sub-region's totals and series; records at the region's own checkpoints have no sub-region: they are listed
    as the region itself."""
    child_region = region_id if child is None else child
    return RegionStatsOut(
        region_id=child_region,
        region_name=name_of(child_region),
        own=child is None,
        total=_sum(counts),
        series=tally.series({child}),
    )


@dataclass(frozen=True, slots=True)
class _Tally:
    """A period's counts of a region, per sub-region and bucket and per checkpoint, read as the answer's parts."""

    by_bucket: list[BucketCounts]
    by_checkpoint: list[CheckpointCounts]
    buckets: list[datetime]
    pattern: str

    def series(self, child_ids: set[int | None]) -> list[PointOut]:
        """Every bucket of the period, the sub-regions' counts added up (zero where they had none)."""
        cells: dict[str, list[Counts]] = {}
        for item in self.by_bucket:
            if item.child_id in child_ids:
                cells.setdefault(item.bucket, []).append(item)
        return [PointOut(at=at, **_sum(cells.get(at.strftime(self.pattern), [])).model_dump()) for at in self.buckets]

    def per_child(self) -> dict[int | None, list[Counts]]:
        children: dict[int | None, list[Counts]] = {}
        for item in self.by_checkpoint:
            children.setdefault(item.child_id, []).append(item)
        return children

    def kinds(self) -> list[KindStatsOut]:
        """The counts per checkpoint kind, the busiest kind first."""
        kinds: dict[str, list[Counts]] = {}
        for item in self.by_checkpoint:
            kinds.setdefault(item.checkpoint_kind, []).append(item)
        return sorted(
            (
                KindStatsOut(kind=kind, kind_label=kind_label(kind), **_sum(counts).model_dump())
                for kind, counts in kinds.items()
            ),
            key=lambda item: (-item.records, item.kind),
        )


def _checkpoint_stats(item: CheckpointCounts, info: CheckpointInfo | None) -> CheckpointStatsOut:
    return CheckpointStatsOut(
        **place_of(item.checkpoint_id, item.checkpoint_kind, item.region_id, info).model_dump(),
        records=item.records,
        abnormal=item.abnormal,
        pending=item.pending,
    )


async def stats_service(reader: CurrentReader, session: RecordsSession, records_store: RecordsStore) -> StatsService:
    return StatsService(session, reader, records_store)


Stats = Annotated[StatsService, Depends(stats_service)]
