"""Signing an agreement from a personal signed link: no sign-in needed.

The link (signed, expiring, bound to one agreement, one party and the address it was sent to)
opens the document; the one-time code sent by mail to that address is the signature.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint
from flask_babel import format_date, get_locale
from werkzeug.wrappers import Response

from stagebourse.dates import long_date

bp = Blueprint("agreement_sign", __name__, url_prefix="/convention")


@bp.after_request
def keep_out_of_search_engines(response: Response) -> Response:
    # The address carries the personal token: it must never be indexed.
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.app_template_filter("isodate")
def isodate(value: str | dt.date | None, style: str = "long") -> str:
    """``"2027-02-01"`` → « 1 février 2027 » (agreement snapshots keep ISO dates)."""
    if not value:
        return ""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    if style == "long" and str(get_locale() or "fr").startswith("fr"):
        # « 1er février 2027 »: Babel writes « 1 février », not the French ordinal.
        return long_date(day, weekday=False)
    return str(format_date(day, style))


from stagebourse.web.agreement_sign import routes  # noqa: E402, F401
