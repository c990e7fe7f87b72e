"""the registry's operation log (操作日志): who changed which region, checkpoint or template, which import ran

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 17:40:00
"""

from collections.abc import Sequence

from lianfang.common.oplog.migration import create_operation_log, drop_operation_log

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_operation_log()


def downgrade() -> None:
    drop_operation_log()
