"""temperature as a one-decimal number; a keyed hash of the name for exact search

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 20:40:00.000000

On MySQL and MariaDB both changes go into one ALTER of the partitioned table: the type change copies every partition
once, whatever else the statement does, so the column and its index come with that same copy. MariaDB rounds the
stored doubles to one decimal as it converts them; SQLite keeps what it is given, so its values are rounded first.
Records stored before this revision have no name hash: a name search does not find them (they leave with the
retention period).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEMPERATURE = sa.Numeric(precision=4, scale=1, asdecimal=False)


def upgrade() -> None:
    if op.get_bind().dialect.name == "mysql":
        op.execute(
            "ALTER TABLE records MODIFY temperature DECIMAL(4,1) NULL, "
            "ADD COLUMN name_hash VARCHAR(64) NULL AFTER name_encrypted, "
            "ADD INDEX ix_records_name_time (name_hash, checked_at)"
        )
        return
    op.execute("UPDATE records SET temperature = ROUND(temperature, 1) WHERE temperature IS NOT NULL")
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.alter_column("temperature", existing_type=sa.Float(), type_=TEMPERATURE, existing_nullable=True)
        batch_op.add_column(sa.Column("name_hash", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_records_name_time", ["name_hash", "checked_at"], unique=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "mysql":
        op.execute(
            "ALTER TABLE records DROP INDEX ix_records_name_time, DROP COLUMN name_hash, MODIFY temperature FLOAT NULL"
        )
        return
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index("ix_records_name_time")
        batch_op.drop_column("name_hash")
        batch_op.alter_column("temperature", existing_type=TEMPERATURE, type_=sa.Float(), existing_nullable=True)
