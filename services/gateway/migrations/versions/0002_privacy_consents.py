"""residents' consents to the privacy notice, one row per version agreed to

Revision ID: 0002_privacy
Revises: 0001
Create Date: 2026-12-06 11:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lianfang.common.db import UTCDateTime

revision: str = "0002_privacy"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "privacy_consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("notice_version", sa.String(length=32), nullable=False),
        sa.Column("consented_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_privacy_consents_resident_version", "privacy_consents", ["resident_id", "notice_version"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ix_privacy_consents_resident_version", table_name="privacy_consents")
    op.drop_table("privacy_consents")
