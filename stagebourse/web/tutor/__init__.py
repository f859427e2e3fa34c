"""The tutor's room, with three doors.

- ``bp`` (/tuteur): the tutor's space, for signed-in users with the tutor role only. A session
  opened by a sign-in link lasts only while that link is live: once the host or the steering
  group revokes it (or it expires), the next request ends the session.
- ``link_bp`` (/acces-tuteur/<token>): the personal sign-in link mailed when a host names a
  tutor. Only the token's sha256 is stored (services/tutors.py).
- ``preparation_bp`` (/preparation/<token>): the preparation pages, opened from the personal
  signed link mailed to each tutor of a published round, with no sign-in. The link itself is
  the credential (signed, expiring, bound to one tutor and one campaign), so these pages show
  nothing about pupils. A blueprint of its own because the role guard of ``bp`` cannot apply
  to it, and because its addresses, already in tutors' mailboxes, stay.
"""

from flask import Blueprint, render_template, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from stagebourse.models import Role
from stagebourse.services import tutors
from stagebourse.web.guards import guard_blueprint

bp = Blueprint("tutor", __name__, url_prefix="/tuteur")
guard_blueprint(bp, Role.TUTOR)

link_bp = Blueprint("tutor_link", __name__, url_prefix="/acces-tuteur")
preparation_bp = Blueprint("tutor_preparation", __name__, url_prefix="/preparation")

SESSION_LINK = "tutor_link_id"


@bp.before_request
def end_session_of_a_dead_link() -> tuple[str, int] | None:
    link_id = session.get(SESSION_LINK)
    if link_id is None or tutors.session_link_is_live(int(link_id), current_user):
        return None
    logout_user()
    session.clear()
    return render_template(
        "errors/error.html", status=403, title=_l("Accès fermé"),
        message=_l("Le lien avec lequel vous vous êtes connecté(e) a expiré ou a été désactivé : "
                   "votre session est fermée. Demandez un nouveau lien à la structure qui vous "
                   "a désigné(e).")), 403


def keep_out_of_search_engines(response: Response) -> Response:
    # The address carries a personal token: it must never be indexed.
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


preparation_bp.after_request(keep_out_of_search_engines)
link_bp.after_request(keep_out_of_search_engines)


# Route modules register themselves on bp or preparation_bp; add one import per module.
from stagebourse.web.tutor import link, preparation, routes  # noqa: E402, F401
