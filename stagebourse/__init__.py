"""stagebourse: equal access to observation internships for pupils of priority neighbourhoods."""

__version__ = "0.1.0"


def create_app(config=None):  # noqa: ANN001 - re-exported factory, see web/__init__.py
    from stagebourse.web import create_app as _create_app

    return _create_app(config)
