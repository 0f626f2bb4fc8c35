"""Alembic runs migrations here, over a blocking connection to the configured database."""

from alembic import context
from sqlalchemy import create_engine, pool

from tidings.db.engine import sync_url
from tidings.db.schema import metadata

config = context.config
url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")

engine = create_engine(sync_url(url), poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
