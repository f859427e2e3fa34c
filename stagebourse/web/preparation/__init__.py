"""Tutors' preparation pages, opened from a personal signed link: no sign-in needed.

The link itself is the credential (signed, expiring, bound to one tutor and one campaign), so
these pages show nothing about pupils.
"""

from flask import Blueprint
from werkzeug.wrappers import Response

bp = Blueprint("preparation", __name__, url_prefix="/preparation")


@bp.after_request
def keep_out_of_search_engines(response: Response) -> Response:
    # The address carries the personal token: it must never be indexed.
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


from stagebourse.web.preparation import routes  # noqa: E402, F401
