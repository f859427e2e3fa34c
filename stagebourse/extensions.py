"""Flask extensions, created unbound and bound in the app factory."""

import sqlite3
from typing import Any

from flask_babel import Babel
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine

from stagebourse.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
mail = Mail()
csrf = CSRFProtect()
babel = Babel()


@event.listens_for(Engine, "connect")
def _sqlite_settings(connection: Any, _record: Any) -> None:
    """What the embedded default needs to behave like a server database.

    - Foreign keys: SQLite checks them (and applies ON DELETE) only when asked, per
      connection; PostgreSQL always does, and the rules must be the same on both.
    - Write-ahead log: readers no longer wait for a writer (several gunicorn workers, the
      mail worker and a matching run share the file). Commits still sync to disk.
    """
    if isinstance(connection, sqlite3.Connection):
        cursor = connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()
