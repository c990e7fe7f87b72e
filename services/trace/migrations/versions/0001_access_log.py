"""access log: who ran which person search, trajectory, contact screening, export or unmasking

Revision ID: 0001
Revises:
Create Date: 2026-11-26 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lianfang.common.db import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("actor_region_id", sa.Integer(), nullable=False),
        sa.Column("actor_region_path", sa.String(length=255), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "person_search",
                "trajectory",
                "contacts",
                "export",
                "unmask",
                name="accessaction",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("query", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.create_index("ix_access_log_actor_region_path", ["actor_region_path"], unique=False)
        batch_op.create_index("ix_access_log_subject_at", ["subject", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_index("ix_access_log_subject_at")
        batch_op.drop_index("ix_access_log_actor_region_path")

    op.drop_table("access_log")
