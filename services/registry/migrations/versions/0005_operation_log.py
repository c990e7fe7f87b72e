"""the registry's operation log (操作日志): who changed which region, checkpoint or template, which import ran

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lianfang.common.db import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: the codes as this revision knows them (later revisions widen nothing, the column is a VARCHAR).
_ACTIONS = (
    "account.create",
    "account.update",
    "account.disable",
    "account.enable",
    "account.password_reset",
    "region.create",
    "region.update",
    "region.delete",
    "checkpoint.create",
    "checkpoint.update",
    "checkpoint.disable",
    "checkpoint.enable",
    "checkpoint.delete",
    "template.create",
    "template.update",
    "template.delete",
    "import.run",
    "import.dry_run",
)
_KINDS = ("account", "region", "checkpoint", "template", "import")


def upgrade() -> None:
    op.create_table(
        "operation_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("operator_username", sa.String(length=64), nullable=False),
        sa.Column("operator_name", sa.String(length=64), nullable=False),
        sa.Column("operator_region_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.Enum(*_ACTIONS, name="operationaction", native_enum=False, length=32), nullable=False),
        sa.Column("target_kind", sa.Enum(*_KINDS, name="targetkind", native_enum=False, length=16), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("target_name", sa.String(length=128), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operation_log")),
    )
    op.create_index("ix_operation_log_region_path_at", "operation_log", ["region_path", "at"])
    op.create_index("ix_operation_log_at", "operation_log", ["at"])
    op.create_index("ix_operation_log_operator_username", "operation_log", ["operator_username"])


def downgrade() -> None:
    op.drop_table("operation_log")
