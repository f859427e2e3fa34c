"""The tutor's room, with two doors.

- ``bp`` (/tuteur): pages for signed-in users with the tutor role only.
- ``preparation_bp`` (/preparation/<token>): the preparation pages, opened from the personal
  signed link mailed to each tutor, with no sign-in: most tutors never create an account. The
  link itself is the credential (signed, expiring, bound to one tutor and one campaign), so
  these pages show nothing about pupils. A blueprint of its own because the role guard of
  ``bp`` cannot apply to it, and because its addresses, already in tutors' mailboxes, stay.
"""

from flask import Blueprint
from werkzeug.wrappers import Response

from stagebourse.models import Role
from stagebourse.web.guards import guard_blueprint

bp = Blueprint("tutor", __name__, url_prefix="/tuteur")
guard_blueprint(bp, Role.TUTOR)

preparation_bp = Blueprint("tutor_preparation", __name__, url_prefix="/preparation")


@preparation_bp.after_request
def keep_out_of_search_engines(response: Response) -> Response:
    # The address carries the personal token: it must never be indexed.
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


# Route modules register themselves on bp or preparation_bp; add one import per module.
from stagebourse.web.tutor import preparation, routes  # noqa: E402, F401
