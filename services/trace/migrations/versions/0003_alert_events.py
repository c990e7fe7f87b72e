"""alert events: handling fever alerts (待处置 / 处置中 / 已处置) with notes, who and when

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 11:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lianfang.common.db import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "handling", "handled", name="alertstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("actor_region_id", sa.Integer(), nullable=False),
        sa.Column("actor_region_path", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_events")),
    )
    op.create_index("ix_alert_events_record_id", "alert_events", ["record_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_alert_events_record_id", table_name="alert_events")
    op.drop_table("alert_events")
