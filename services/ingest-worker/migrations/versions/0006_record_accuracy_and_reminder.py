"""records: distance_accuracy_m (how sure the distance to the checkpoint is, as staff are shown it) and remind_checkout
(the resident subscribed to a 离开提醒): the gate's state in Redis is rebuilt from the store with both

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 20:40:00

Nullable or with a default: adding them touches no stored row's data. On a sharded store `lianfang migrate` runs this on
every node and then defines the Spider fronts anew from a backend's table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("distance_accuracy_m", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("remind_checkout", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.drop_column("remind_checkout")
        batch.drop_column("distance_accuracy_m")
