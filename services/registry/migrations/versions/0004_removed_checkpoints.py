"""removed checkpoints

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 11:10:00

Checkpoints can be deleted (issue 16): what trace needs to keep naming their records goes to `removed_checkpoints`, and
on SQLite the checkpoints table is rebuilt with AUTOINCREMENT so a deleted checkpoint's id is never given again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lianfang.common.db import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = ("community", "hospital", "market", "office", "vehicle", "school", "station", "village", "other")


def upgrade() -> None:
    op.create_table(
        "removed_checkpoints",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("region_name", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.Enum(*_KINDS, name="checkpointkind", native_enum=False, length=16), nullable=False),
        sa.Column("removed_at", UTCDateTime(), nullable=False),
        sa.Column("removed_by", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_removed_checkpoints")),
    )
    op.create_index(op.f("ix_removed_checkpoints_region_path"), "removed_checkpoints", ["region_path"])
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("checkpoints", recreate="always", table_kwargs={"sqlite_autoincrement": True}):
            pass


def downgrade() -> None:
    op.drop_index(op.f("ix_removed_checkpoints_region_path"), table_name="removed_checkpoints")
    op.drop_table("removed_checkpoints")
