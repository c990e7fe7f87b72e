"""templates and checkpoints

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 17:49:03.021873
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lianfang.common.db import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "templates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("builtin", sa.String(length=32), nullable=True),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_templates_region_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_templates")),
        sa.UniqueConstraint("builtin", name=op.f("uq_templates_builtin")),
        sa.UniqueConstraint("region_id", "name", name="uq_templates_region_id_name"),
    )
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_templates_region_id"), ["region_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_templates_region_path"), ["region_path"], unique=False)

    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("city_code", sa.String(length=4), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "community",
                "hospital",
                "market",
                "office",
                "vehicle",
                "school",
                "station",
                "village",
                "other",
                name="checkpointkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("temp_valid_minutes", sa.Integer(), nullable=False),
        sa.Column("requires_audit", sa.Boolean(), nullable=False),
        sa.Column("fever_threshold", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_checkpoints_region_id_regions")),
        sa.ForeignKeyConstraint(["template_id"], ["templates.id"], name=op.f("fk_checkpoints_template_id_templates")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkpoints")),
        sa.UniqueConstraint("code", name=op.f("uq_checkpoints_code")),
        sa.UniqueConstraint("region_id", "name", name="uq_checkpoints_region_id_name"),
    )
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkpoints_region_id"), ["region_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkpoints_region_path"), ["region_path"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkpoints_template_id"), ["template_id"], unique=False)

    op.create_table(
        "template_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["templates.id"],
            name=op.f("fk_template_versions_template_id_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_versions")),
        sa.UniqueConstraint("template_id", "version", name="uq_template_versions_template_id_version"),
    )


def downgrade() -> None:
    op.drop_table("template_versions")
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkpoints_template_id"))
        batch_op.drop_index(batch_op.f("ix_checkpoints_region_path"))
        batch_op.drop_index(batch_op.f("ix_checkpoints_region_id"))

    op.drop_table("checkpoints")
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_templates_region_path"))
        batch_op.drop_index(batch_op.f("ix_templates_region_id"))

    op.drop_table("templates")
