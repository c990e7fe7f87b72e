from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Self

from pydantic import Field, model_validator
from sqlalchemy.engine import make_url

from lianfang.common.settings import ServiceSettings, SettingsError
from lianfang.common.shards import ShardedStore, ShardMap

__all__ = ["IngestSettings"]

# Statements the worker keeps prepared per connection: a handful in steady state (one INSERT per table, a few SELECTs).
_PREPARED_STATEMENTS = 64


class IngestSettings(ServiceSettings):
    records_database_url: str = "sqlite+aiosqlite:///.lianfang/records.db"
    # The city → shard map of a sharded records store (`deploy/shards.toml`): the records URL is then its write front
    # (Spider, MyCat, ShardingSphere), and the worker reaches each shard's primary for the monthly partitions and
    # retention, and writes a batch a node at a time.
    records_shard_map: Path | None = None
    # Deliveries RabbitMQ hands over before the worker acks: enough for the next batches to be waiting while one commits.
    ingest_prefetch: int = Field(default=2000, ge=1, le=65535)
    ingest_batch_size: int = Field(default=500, ge=1)
    ingest_flush_ms: int = Field(default=50, ge=0)
    # While the records store is down, a batch is tried again after these pauses, doubling up to the maximum.
    ingest_retry_initial_ms: int = Field(default=500, ge=1)
    ingest_retry_max_ms: int = Field(default=30_000, ge=1)
    # How long one write waits for a lock (MySQL's lock_wait_timeout, SQLite's busy_timeout) before it counts as a
    # failed attempt: a store held by a lock shows up in the metrics and the worker still stops on time.
    ingest_lock_wait_seconds: int = Field(default=10, ge=1)
    # Records (and the check-in keys and stray decisions that go with them) older than this are purged (PIPL: kept no
    # longer than the epidemic work needs them).
    retention_days: int = Field(default=30, ge=1, le=3650)
    # Rows one DELETE of the purge takes: each batch commits on its own, so no lock is held for long.
    retention_batch_size: int = Field(default=5000, ge=1, le=100_000)
    # Monthly partitions of `records` (MySQL) kept ready beyond the current month.
    ingest_partition_months_ahead: int = Field(default=3, ge=1, le=24)
    # Parse and write in a process of its own, leaving this one to the broker (`lianfang.ingest.writer`). None chooses:
    # yes with RabbitMQ, no with the in-process broker of the embedded mode, which stays one process.
    ingest_writer_process: bool | None = None

    # The worker uses no Redis: a production worker must not be refused for leaving LIANFANG_REDIS_URL unset.
    durable_urls: ClassVar[tuple[str, ...]] = ("broker_url", "records_database_url")

    @property
    def records_engine_url(self) -> str:
        """`records_database_url` as the worker connects to it. On MySQL and MariaDB with a cache of server-side
        prepared statements: asyncmy then sends a batch's rows to MariaDB in one binary COM_STMT_BULK_EXECUTE, no SQL
        text to escape and parse, which halves the time a batch takes on both sides (bench/ingest_drain.py).

        Not through the front of a sharded store: Spider turns a bulk execution into one remote INSERT per row, while
        it sends a text multi-row INSERT on in batches; MyCat has no bulk command and emulates prepared statements."""
        url = make_url(self.records_database_url)
        if url.get_backend_name() != "mysql" or "stmt_cache_size" in url.query or self.records_shard_map is not None:
            return self.records_database_url
        return url.update_query_dict({"stmt_cache_size": str(_PREPARED_STATEMENTS)}).render_as_string(
            hide_password=False
        )

    def sharded_store(self) -> ShardedStore | None:
        if self.records_shard_map is None:
            return None
        url = self.records_database_url
        return ShardedStore(ShardMap.load(self.records_shard_map), url, url)

    def records_backends(self) -> list[str]:
        """Where the monthly partitions and retention run: every node's database on its primary, or the store."""
        store = self.sharded_store()
        return [self.records_database_url] if store is None else list(store.backend_urls().values())

    @model_validator(mode="after")
    def _writer_process_follows_the_broker(self) -> Self:
        if self.ingest_writer_process is None:
            self.ingest_writer_process = not self.broker_url.startswith("memory:")
        return self

    @model_validator(mode="after")
    def _shards_behind_a_mysql_front(self) -> Self:
        if self.records_shard_map is not None and make_url(self.records_database_url).get_backend_name() != "mysql":
            raise SettingsError(
                "LIANFANG_RECORDS_SHARD_MAP needs LIANFANG_RECORDS_DATABASE_URL to be the sharded store's front "
                "(mysql+asyncmy://…: Spider, MyCat or ShardingSphere-Proxy)"
            )
        return self

    @model_validator(mode="after")
    def _prefetch_holds_a_batch(self) -> Self:
        if self.ingest_prefetch < self.ingest_batch_size:
            raise SettingsError(
                f"LIANFANG_INGEST_PREFETCH ({self.ingest_prefetch}) must be at least LIANFANG_INGEST_BATCH_SIZE "
                f"({self.ingest_batch_size}): a batch never fills beyond the deliveries the broker hands over"
            )
        return self
