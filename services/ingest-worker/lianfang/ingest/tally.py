"""What a transaction changes in the rollups (`record_hours`, `record_days`), added up in Python."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from lianfang.common.contracts.records import ROLLUP_COUNTS
from lianfang.common.contracts.rollups import ANCESTRY, day_of, hour_of

__all__ = ["NULLABLE", "RollupRow", "Tally", "rollup_columns"]

# A rollup row's key: city, UTC hour (or Shanghai day), checkpoint, kind.
HourKey = tuple[str, datetime, int, str]
DayKey = tuple[str, date, int, str]
# A rollup row as the tally hands it over: the key, the ancestry, the counts (`rollup_columns`' order).
RollupRow = tuple[Any, ...]
_STATUS_INDEX = {status: index for index, status in enumerate(ROLLUP_COUNTS)}
NULLABLE = frozenset(range(5, 9))  # city_id … unit_id: NULL above the checkpoint's level


def rollup_columns(time: str) -> tuple[str, ...]:
    return ("city_code", time, "checkpoint_id", "checkpoint_kind", *ANCESTRY, *ROLLUP_COUNTS)


@dataclass(slots=True)
class Tally:
    """What a transaction changes in the rollups, per (city, hour, checkpoint, kind): the counts to add, negative for
    the status a decision moved a record out of, and the checkpoint's ancestry for rows not there yet."""

    counts: dict[HourKey, list[int]] = field(default_factory=dict)
    places: dict[HourKey, tuple[int | None, ...]] = field(default_factory=dict)

    def _cell(self, record: Mapping[Any, Any]) -> list[int]:
        key = (record["city_code"], hour_of(record["checked_at"]), record["checkpoint_id"], record["checkpoint_kind"])
        cell = self.counts.get(key)
        if cell is None:
            cell = self.counts[key] = [0] * len(ROLLUP_COUNTS)
            self.places[key] = tuple(record[name] for name in ANCESTRY)
        return cell

    def stored(self, record: Mapping[Any, Any]) -> None:
        cell = self._cell(record)
        cell[0] += 1
        cell[_STATUS_INDEX[record["status"]]] += 1

    def moved(self, record: Mapping[Any, Any], status: str) -> None:
        """A decision changed a stored record's status from the one in `record` to `status`."""
        if status == record["status"]:
            return
        cell = self._cell(record)
        cell[_STATUS_INDEX[record["status"]]] -= 1
        cell[_STATUS_INDEX[status]] += 1

    def hours(self) -> list[RollupRow]:
        """The rows of `record_hours` to add, in key order (so that two writers lock shared rows in the same order)."""
        places = self.places
        return [(*key, *places[key], *counts) for key, counts in sorted(self.counts.items()) if any(counts)]

    def days(self) -> list[RollupRow]:
        summed: dict[DayKey, list[int]] = {}
        places: dict[DayKey, tuple[int | None, ...]] = {}
        for (city_code, hour, checkpoint_id, kind), counts in self.counts.items():
            key = (city_code, day_of(hour), checkpoint_id, kind)
            cell = summed.get(key)
            if cell is None:
                summed[key] = list(counts)
                places[key] = self.places[city_code, hour, checkpoint_id, kind]
            else:
                for index, count in enumerate(counts):
                    cell[index] += count
        return [(*key, *places[key], *counts) for key, counts in sorted(summed.items()) if any(counts)]
