"""records, check-in keys and pending decisions

Revision ID: 0001
Revises:
Create Date: 2026-11-25 18:14:03.242653
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

from lianfang.common.db import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Months partitioned ahead of the current one; `lianfang.ingest.partitions` keeps adding them from then on.
MONTHS_AHEAD = 3


def upgrade() -> None:
    op.create_table(
        "checkin_keys",
        sa.Column("city_code", sa.String(length=4), nullable=False),
        sa.Column("client_key", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("city_code", "client_key", name=op.f("pk_checkin_keys")),
    )
    with op.batch_alter_table("checkin_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkin_keys_checked_at"), ["checked_at"], unique=False)

    op.create_table(
        "pending_decisions",
        sa.Column("city_code", sa.String(length=4), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("city_code", "record_id", name=op.f("pk_pending_decisions")),
    )
    op.create_table(
        "records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("city_code", sa.String(length=4), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.Column("client_key", sa.Uuid(), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("county_id", sa.Integer(), nullable=True),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_kind", sa.String(length=16), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=True),
        sa.Column("companion_of", sa.Uuid(), nullable=True),
        sa.Column("entered_by", sa.Uuid(), nullable=True),
        sa.Column("name_encrypted", sa.String(length=255), nullable=True),
        sa.Column("name_masked", sa.String(length=64), nullable=True),
        sa.Column("phone_encrypted", sa.String(length=255), nullable=True),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("phone_masked", sa.String(length=16), nullable=True),
        sa.Column("id_card_encrypted", sa.String(length=255), nullable=True),
        sa.Column("id_card_hash", sa.String(length=64), nullable=True),
        sa.Column("id_card_masked", sa.String(length=24), nullable=True),
        sa.Column("answers_encrypted", sa.Text(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("temperature", sa.Float(), nullable=True),
        sa.Column("temperature_source", sa.String(length=16), nullable=True),
        sa.Column("temperature_measured_at", UTCDateTime(), nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decision_reason", sa.String(length=200), nullable=True),
        sa.Column("stored_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", "city_code", "checked_at", name=op.f("pk_records")),
    )
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.create_index("ix_records_checkpoint_time", ["checkpoint_id", "checked_at"], unique=False)
        batch_op.create_index("ix_records_city_time", ["city_id", "checked_at"], unique=False)
        batch_op.create_index("ix_records_county_time", ["county_id", "checked_at"], unique=False)
        batch_op.create_index("ix_records_id_card_time", ["id_card_hash", "checked_at"], unique=False)
        batch_op.create_index("ix_records_phone_time", ["phone_hash", "checked_at"], unique=False)
        batch_op.create_index("ix_records_province_time", ["province_id", "checked_at"], unique=False)
        batch_op.create_index("ix_records_resident_time", ["resident_id", "checked_at"], unique=False)
        batch_op.create_index("ix_records_township_time", ["township_id", "checked_at"], unique=False)
        batch_op.create_index("ix_records_unit_time", ["unit_id", "checked_at"], unique=False)
    if op.get_bind().dialect.name == "mysql":
        _partition_records_by_month()


def downgrade() -> None:
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index("ix_records_unit_time")
        batch_op.drop_index("ix_records_township_time")
        batch_op.drop_index("ix_records_resident_time")
        batch_op.drop_index("ix_records_province_time")
        batch_op.drop_index("ix_records_phone_time")
        batch_op.drop_index("ix_records_id_card_time")
        batch_op.drop_index("ix_records_county_time")
        batch_op.drop_index("ix_records_city_time")
        batch_op.drop_index("ix_records_checkpoint_time")

    op.drop_table("records")
    op.drop_table("pending_decisions")
    with op.batch_alter_table("checkin_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_keys_checked_at"))

    op.drop_table("checkin_keys")


def _partition_records_by_month() -> None:
    """Monthly RANGE partitions on `checked_at` (UTC) from the current month on (the first also takes anything older),
    and `pmax` for anything later, so no insert is ever refused: the partition job splits each month off `pmax` before
    it starts. Written out here rather than imported, so this revision keeps doing what it did when the job changes."""
    today = datetime.now(UTC).date()
    partitions = []
    for offset in range(MONTHS_AHEAD + 1):
        month = _add_months(today.replace(day=1), offset)
        partitions.append(f"PARTITION p{month:%Y%m} VALUES LESS THAN ('{_add_months(month, 1):%Y-%m-%d} 00:00:00')")
    partitions.append("PARTITION pmax VALUES LESS THAN (MAXVALUE)")
    op.execute(f"ALTER TABLE records PARTITION BY RANGE COLUMNS(checked_at) ({', '.join(partitions)})")


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
