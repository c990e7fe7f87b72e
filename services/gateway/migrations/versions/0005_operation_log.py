"""the accounts' operation log (操作日志): who created, changed, disabled or reset which account

Revision ID: 0005_operation_log
Revises: 0004_login_events
Create Date: 2026-12-06 17:40:00
"""

from collections.abc import Sequence

from lianfang.common.oplog.migration import create_operation_log, drop_operation_log

revision: str = "0005_operation_log"
down_revision: str | None = "0004_login_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_operation_log()


def downgrade() -> None:
    drop_operation_log()
