"""accounts whose password a superior set must change it before anything else

Revision ID: 0003_password_change
Revises: 0002_privacy
Create Date: 2026-12-06 14:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_password_change"
down_revision: str | None = "0002_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Accounts made before this revision keep working: nobody asked them to change their password then.
    op.add_column(
        "accounts", sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.drop_column("accounts", "must_change_password")
