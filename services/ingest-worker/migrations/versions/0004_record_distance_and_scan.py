"""records: distance_m and outside_radius (how far from the checkpoint a resident who shared their position was, never
the position), remote_scan (the code read from a picture, not at the gate)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 11:15:00

Nullable or with a default: adding them touches no stored row's data. On a sharded store `lianfang migrate` runs this on
every node and then defines the Spider fronts anew from a backend's table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("distance_m", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("outside_radius", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("remote_scan", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.drop_column("remote_scan")
        batch.drop_column("outside_radius")
        batch.drop_column("distance_m")
