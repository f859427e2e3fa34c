"""Browsing published offers: one implementation for pupils, teachers and the steering group."""

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.models import Role

bp = Blueprint("offers", __name__, url_prefix="/offres")
READERS = {Role.PUPIL, Role.TEACHER, Role.STEERING}


@bp.before_request
def require_reader() -> Response | None:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    if current_user.role not in READERS:
        abort(403)
    return None


from stagebourse.web.offers import routes  # noqa: E402, F401
