"""Alembic environment: runs on the connection handed over by workbench.data.store.migrate."""

from alembic import context

from workbench.data.store import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=connection.dialect.name == "sqlite"
)
with context.begin_transaction():
    context.run_migrations()
