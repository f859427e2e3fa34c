"""Role guards: each blueprint states once which kind of user it serves."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.models import Role

HOME_ENDPOINTS = {
    Role.PUPIL: "pupil.home",
    Role.TEACHER: "teacher.home",
    Role.COMPANY: "company.home",
    Role.TUTOR: "tutor.home",
    Role.STEERING: "steering.home",
    Role.OBSERVER: "observer.home",
}


def home_url_for(role: Role) -> str:
    return url_for(HOME_ENDPOINTS[role])


def guard_blueprint(blueprint: Blueprint, role: Role) -> None:
    """Anonymous visitors are sent to sign in; other roles get 403."""

    @blueprint.before_request
    def require_role() -> Response | None:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        if current_user.role != role:
            abort(403)
        return None
