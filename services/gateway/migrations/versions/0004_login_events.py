"""the login log (登录日志): every password login and how it ended

Revision ID: 0004_login_events
Revises: 0003_password_change
Create Date: 2026-12-06 14:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lianfang.common.db import UTCDateTime

revision: str = "0004_login_events"
down_revision: str | None = "0003_password_change"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    outcomes = ("succeeded", "failed", "lockout", "locked", "disabled")
    op.create_table(
        "login_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("region_path", sa.String(length=255), nullable=True),
        sa.Column("outcome", sa.Enum(*outcomes, name="loginoutcome", native_enum=False, length=16), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_events_at", "login_events", ["at"])
    op.create_index("ix_login_events_username", "login_events", ["username"])
    op.create_index("ix_login_events_region_path_at", "login_events", ["region_path", "at"])


def downgrade() -> None:
    op.drop_table("login_events")
