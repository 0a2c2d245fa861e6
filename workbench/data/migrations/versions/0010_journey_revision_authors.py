"""who made each journey edit

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("journey_revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author", sa.String(length=200), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("journey_revisions", schema=None) as batch_op:
        batch_op.drop_column("author")
