"""The operation log's table as the revision that made it knows it, for each store that keeps one (the gateway's
accounts, the registry's). Frozen here, apart from the live model: a later change to the model comes with a revision of
its own and never rewrites this one."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lianfang.common.db import UTCDateTime

__all__ = ["create_operation_log", "drop_operation_log"]

_TABLE = "operation_log"

# The codes as this revision knows them (later revisions widen nothing, the column is a VARCHAR).
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


def create_operation_log() -> None:
    op.create_table(
        _TABLE,
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
    op.create_index("ix_operation_log_region_path_at", _TABLE, ["region_path", "at"])
    op.create_index("ix_operation_log_at", _TABLE, ["at"])
    op.create_index("ix_operation_log_operator_username", _TABLE, ["operator_username"])


def drop_operation_log() -> None:
    op.drop_table(_TABLE)
