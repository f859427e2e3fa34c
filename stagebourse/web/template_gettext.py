"""The templates' ``_()``: the catalogue of the locale in force, found in two lookups.

Flask-Babel's own template functions look the request's context, domain and locale up again
for every string (about 30 proxy accesses, 10 µs a string in a template); a page translates
dozens, half a millisecond. These find the locale Flask-Babel chose for the request (or the
one ``force_locale`` set) on its per-request namespace and keep the catalogue of each locale:
the same strings, as Flask-Babel keeps its catalogues for the life of the process too.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from flask_babel import get_translations


def install(app: Flask) -> None:
    """Replace the template translation functions Flask-Babel installed on ``app``."""
    catalogues: dict[Any, Any] = {}  # babel Locale -> babel.support.Translations

    def translations() -> Any:
        # Flask-Babel's per-request namespace; its locale is set by the first string
        # translated in the request (get_translations selects it) and by force_locale.
        state = g.get("_flask_babel") if g else None
        locale = getattr(state, "babel_locale", None)
        if locale is None:
            return get_translations()
        try:
            return catalogues[locale]
        except KeyError:
            catalogues[locale] = found = get_translations()
            return found

    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # jinja2.ext.i18n
        gettext=lambda string: translations().ugettext(string),
        ngettext=lambda singular, plural, n: translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: translations().unpgettext(
            context, singular, plural, n),
        newstyle=True)
