"""Alembic environment, run through Flask-Migrate (`stagebourse db …`)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
config.set_main_option(
    "sqlalchemy.url",
    target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%"),
)


def render_item(type_, obj, autogen_context):
    """Write the project's column types as the plain SQLAlchemy types they store, so that
    revisions never import application code (which changes after the revision is written)."""
    from stagebourse.models.base import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def include_object(object_, name, type_, reflected, compare_to):
    """Leave out of autogenerate the full-text indexes (SQLite's virtual FTS5 table,
    PostgreSQL's GIN index on an expression): no metadata, made by their own revision."""
    from stagebourse.models.offer_index import in_schema_comparison

    dialect = target_db.engine.dialect.name
    return in_schema_comparison(dialect)(object_, name, type_, reflected, compare_to)


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_db.metadata,
        literal_binds=True,
        render_item=render_item,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    # No empty revision when the schema did not change.
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    conf_args.setdefault("render_item", render_item)
    conf_args.setdefault("include_object", include_object)
    conf_args.setdefault("process_revision_directives", process_revision_directives)

    with target_db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it and dropping the old one (batch mode); with
            # foreign keys on, as every connection of the app has them, that DROP applies
            # ON DELETE CASCADE and empties the tables that refer to it. So they are off while
            # migrating (the pragma is ignored inside a transaction: hence the commit), and the
            # references are checked once at the end instead.
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
            connection.commit()
        try:
            context.configure(connection=connection, target_metadata=target_db.metadata,
                              **conf_args)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration broke foreign keys: {broken[:10]}")
        finally:
            if sqlite:
                connection.rollback()
                connection.exec_driver_sql("PRAGMA foreign_keys = ON")
                connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
