"""The tutor's personal sign-in link: a live link opens the tutor's space, any other gets a
clear page saying why and what to do."""

from __future__ import annotations

from flask import redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import login_user
from werkzeug.wrappers import Response

from stagebourse.services import tutors
from stagebourse.web.tutor import SESSION_LINK, link_bp


@link_bp.route("/<token>")
def enter(token: str) -> Response | tuple[str, int]:
    try:
        user, link = tutors.enter_with_link(token)
    except tutors.TutorLinkError as error:
        titles = {410: _("Lien expiré"), 403: _("Lien désactivé")}
        return render_template("errors/error.html", status=error.status,
                               title=titles.get(error.status, _("Lien non valide")),
                               message=str(error)), error.status
    session.clear()  # a fresh session (no fixation), bound to this link
    login_user(user)
    session[SESSION_LINK] = link.id
    return redirect(url_for("tutor.home"))
