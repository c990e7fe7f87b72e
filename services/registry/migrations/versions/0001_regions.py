"""regions: the tree from the province down to units and communities

Revision ID: 0001
Revises:
Create Date: 2026-11-25 17:35:03.966702
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
        "regions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=True),
        sa.Column(
            "level",
            sa.Enum("province", "city", "county", "township", "unit", name="regionlevel", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("city_code", sa.String(length=4), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["regions.id"], name=op.f("fk_regions_parent_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regions")),
        sa.UniqueConstraint("code", name=op.f("uq_regions_code")),
        sa.UniqueConstraint("parent_id", "name", name="uq_regions_parent_id_name"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_regions_path"), ["path"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regions_path"))

    op.drop_table("regions")
