"""record_hours and record_days: the records counted per checkpoint and UTC hour, and per Asia/Shanghai day

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 09:00:00.000000

Both tables are filled from the records already stored, in SQL (one INSERT … SELECT … GROUP BY each: the hours from
`records`, the days from the hours). Run it with the ingest workers stopped — check-ins wait in RabbitMQ meanwhile — so
that no record is stored between the count and the first worker that keeps the counts. On ten million records in
MariaDB the count of the hours reads the whole table once. The SQL is written out here rather than imported, so this
revision keeps doing what it did when the code that counts changes.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from lianfang.common.db import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Indexed levels: a county and below is read along its city's index.
LEVELS = ("province", "city")
ANCESTRY = "province_id, city_id, county_id, township_id, unit_id, region_id"
COUNTS = "records, passed, pending, rejected, abnormal"
# The UTC hour of `checked_at` as each database stores a DATETIME, and the Shanghai date of an hour. SQLite stores
# `YYYY-MM-DD HH:MM:SS.ffffff` text, cut here rather than given to its date functions, which round to milliseconds.
HOUR = {
    "mysql": "DATE_FORMAT(checked_at, '%Y-%m-%d %H:00:00')",
    "sqlite": "(substr(checked_at, 1, 13) || ':00:00.000000')",
}
DAY = {"mysql": "DATE(hour + INTERVAL 8 HOUR)", "sqlite": "date(substr(hour, 1, 19), '+8 hours')"}


def _columns(time: sa.Column[Any]) -> list[sa.Column[Any]]:
    return [
        sa.Column("city_code", sa.String(length=4), nullable=False),
        time,
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_kind", sa.String(length=16), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("county_id", sa.Integer(), nullable=True),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS.split(", ")),
    ]


def upgrade() -> None:
    for table, time in (
        ("record_hours", sa.Column("hour", UTCDateTime(), nullable=False)),
        ("record_days", sa.Column("day", sa.Date(), nullable=False)),
    ):
        op.create_table(
            table,
            *_columns(time),
            sa.PrimaryKeyConstraint("city_code", time.name, "checkpoint_id", "checkpoint_kind", name=f"pk_{table}"),
        )
        for level in LEVELS:
            op.create_index(f"ix_{table}_{level}_{time.name}", table, [f"{level}_id", time.name], unique=False)

    dialect = op.get_bind().dialect.name
    statuses = ", ".join(
        f"SUM(CASE WHEN status = '{status}' THEN 1 ELSE 0 END)"
        for status in ("passed", "pending", "rejected", "abnormal")
    )
    ancestry = ", ".join(f"MAX({name})" for name in ANCESTRY.split(", "))
    op.execute(
        f"INSERT INTO record_hours (city_code, hour, checkpoint_id, checkpoint_kind, {ANCESTRY}, {COUNTS}) "  # noqa: S608
        f"SELECT city_code, {HOUR[dialect]}, checkpoint_id, checkpoint_kind, {ancestry}, COUNT(*), {statuses} "
        f"FROM records GROUP BY city_code, {HOUR[dialect]}, checkpoint_id, checkpoint_kind"
    )
    sums = ", ".join(f"SUM({name})" for name in COUNTS.split(", "))
    op.execute(
        f"INSERT INTO record_days (city_code, day, checkpoint_id, checkpoint_kind, {ANCESTRY}, {COUNTS}) "  # noqa: S608
        f"SELECT city_code, {DAY[dialect]}, checkpoint_id, checkpoint_kind, {ancestry}, {sums} "
        f"FROM record_hours GROUP BY city_code, {DAY[dialect]}, checkpoint_id, checkpoint_kind"
    )


def downgrade() -> None:
    for table, time in (("record_days", "day"), ("record_hours", "hour")):
        for level in reversed(LEVELS):
            op.drop_index(f"ix_{table}_{level}_{time}", table_name=table)
        op.drop_table(table)
