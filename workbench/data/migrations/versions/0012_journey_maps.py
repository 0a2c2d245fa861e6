"""journey maps: a journey's personas, free lanes and as-is/to-be state; a touchpoint's lanes

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("journeys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("map", sa.JSON(), server_default="{}", nullable=False))
    with op.batch_alter_table("touchpoints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lanes", sa.JSON(), server_default="{}", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("touchpoints", schema=None) as batch_op:
        batch_op.drop_column("lanes")
    with op.batch_alter_table("journeys", schema=None) as batch_op:
        batch_op.drop_column("map")
