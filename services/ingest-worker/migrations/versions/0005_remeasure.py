"""records and pending_decisions: the fever a gate keeper took again (remeasured_temperature, _by, _by_name, _at)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 17:30:00

Nullable: adding them touches no stored row's data. On a sharded store `lianfang migrate` runs this on every node and
then defines the Spider fronts anew from a backend's table, so the fronts get the columns too.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lianfang.common.db import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("records", "pending_decisions")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("remeasured_temperature", sa.Numeric(4, 1, asdecimal=False), nullable=True))
            batch.add_column(sa.Column("remeasured_by", sa.Uuid(), nullable=True))
            batch.add_column(sa.Column("remeasured_by_name", sa.String(64), nullable=True))
            batch.add_column(sa.Column("remeasured_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            for column in ("remeasured_at", "remeasured_by_name", "remeasured_by", "remeasured_temperature"):
                batch.drop_column(column)
