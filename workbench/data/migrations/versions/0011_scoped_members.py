"""scoped members: a membership's row scope, the segment value an alert was raised on and its case's due day, a
project's portal column, a user's e-mail address, failed logins per client address

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_clients",
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("client"),
    )
    with op.batch_alter_table("login_clients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_clients_last_failure"), ["last_failure"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=320), server_default="", nullable=False))
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("portal", sa.String(length=200), nullable=True))
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.JSON(), nullable=True))
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("segment", sa.String(length=200), server_default="", nullable=False))
        batch_op.add_column(sa.Column("value", sa.String(length=400), server_default="", nullable=False))
        batch_op.add_column(sa.Column("due", sa.Date(), nullable=True))
    # Alerts raised before: their segment and value were only in the body; a scoped member's inbox filters on them.
    alerts = sa.table("alerts", sa.column("id", sa.Integer), sa.column("body", sa.JSON),
                      sa.column("segment", sa.String), sa.column("value", sa.String))  # fmt: skip
    connection = op.get_bind()
    for alert_id, body in connection.execute(sa.select(alerts.c.id, alerts.c.body)).all():
        body = body or {}
        connection.execute(
            alerts.update()
            .where(alerts.c.id == alert_id)
            .values(segment=str(body.get("segment") or "")[:200], value=str(body.get("value") or "")[:400])
        )


def downgrade() -> None:
    with op.batch_alter_table("login_clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_clients_last_failure"))
    op.drop_table("login_clients")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("due")
        batch_op.drop_column("value")
        batch_op.drop_column("segment")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_column("scope")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("portal")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email")
