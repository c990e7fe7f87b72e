"""`lianfang demo-records`: a records store filled with what the reference deployment looked like, scaled to the machine.

A province's cities down to their communities with a few thousand checkpoints (made in the registry), a resident
population with heavy-tailed visit counts, the morning and evening rush, companions, check-outs, fevers, audits.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from lianfang.allinone.demo_records.people import make_population
from lianfang.allinone.demo_records.store import write_rows
from lianfang.allinone.demo_records.tree import build_tree
from lianfang.allinone.demo_records.visits import Shape, rows_of_days, today_in_shanghai
from lianfang.common.db import create_database
from lianfang.common.db.migrate import upgrade
from lianfang.common.pii import PiiCipher
from lianfang.common.settings import SigningSettings
from lianfang.ingest.main import MIGRATIONS as RECORDS_MIGRATIONS
from lianfang.ingest.settings import IngestSettings
from lianfang.registry.main import MIGRATIONS as REGISTRY_MIGRATIONS
from lianfang.registry.settings import RegistrySettings

__all__ = ["Generated", "generate_records"]

# Visits per resident over the period, on average: two gates a day for a month, give or take.
_VISITS_PER_PERSON = 40
_MAX_POPULATION = 300_000


@dataclass(frozen=True)
class Generated:
    records: int
    checkpoints: int
    people: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


async def generate_records(
    *,
    records: int,
    days: int,
    seed: int,
    cities: int = 3,
    batch: int = 5000,
    records_url: str | None = None,
    registry: RegistrySettings | None = None,
    signing: SigningSettings | None = None,
    today: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> Generated:
    """Add `records` records over the `days` days before `today` (Shanghai), at the checkpoints of `cities` cities.
    The stores default to those of the LIANFANG_* settings and are migrated first."""
    if records < 1 or days < 1:
        raise ValueError("records and days must be positive")
    records_url = records_url or IngestSettings().records_database_url
    registry = registry or RegistrySettings()
    signing = signing or SigningSettings()
    await upgrade(REGISTRY_MIGRATIONS, registry.registry_database_url)
    await upgrade(RECORDS_MIGRATIONS, records_url)
    tree = await build_tree(registry, signing, cities=cities)
    rng = random.Random(seed)  # noqa: S311 - made-up data that a seed repeats
    homes = len({site.ancestry[4] for site in tree.sites if site.ancestry[4] is not None})
    size = min(max(records // _VISITS_PER_PERSON, 100), _MAX_POPULATION)
    population = make_population(PiiCipher(signing.pii_keys), rng, size=size, homes=homes)
    shape = Shape(records=records, days=days, today=today or today_in_shanghai())
    database = create_database(records_url)
    started = time.perf_counter()
    try:
        written = await write_rows(
            database.engine,
            tree.sites,
            population.people,
            rows_of_days(tree, population, shape, rng),
            since=shape.first_day.astimezone(UTC).date(),
            batch=batch,
            progress=progress,
        )
    finally:
        await database.dispose()
    return Generated(written, len(tree.sites), len(population.people), time.perf_counter() - started)
