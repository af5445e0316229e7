"""Alembic environment of the store: runs on the connection the store hands over."""

from alembic import context

from cbcs.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("cbcs migrations run through cbcs.store (open_store), not the alembic CLI")
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
