"""stagebourse: equal access to observation internships for pupils of priority neighbourhoods."""

__version__ = "0.1.0"


from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> "Flask":
    """The application factory (``gunicorn 'stagebourse:create_app()'``); see web/__init__.py."""
    from stagebourse.web import create_app as _create_app

    return _create_app(config)
