"""Pages anyone can open: the home page, the observatory's published figures, the language
switch."""

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.models import ReleaseKind
from stagebourse.services import observatory
from stagebourse.web.forms import safe_next
from stagebourse.web.guards import home_url_for

bp = Blueprint("public", __name__)


@bp.route("/")
def index() -> str | Response:
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user.role))
    return render_template("public/index.html")


@bp.route("/langue/<any(fr, en):lang>")
def set_language(lang: str) -> Response:
    # Only a display preference: safe as a plain link, no CSRF stake.
    session["lang"] = lang
    return redirect(safe_next(request.args.get("next")) or url_for("public.index"))


@bp.route("/observatoire")
def observatory_page() -> str:
    """The observatory's frozen releases, year on year, for everyone (no sign-in)."""
    return render_template(
        "public/observatory.html",
        campaign_releases=observatory.releases(ReleaseKind.CAMPAIGN),
        annual_releases=observatory.releases(ReleaseKind.ANNUAL),
        dimensions=observatory.DIMENSION_LABELS,
        minimum=current_app.config["RELEASE_MIN_RESPONDENTS"])


@bp.route("/accessibilite")
def accessibility() -> str:
    """The accessibility statement a collectivité must publish (RGAA 4.1)."""
    return render_template("public/accessibility.html")


@bp.route("/sante")
def health() -> tuple[dict[str, str], int]:
    """Liveness for the process supervisor (and the load benchmark's ceiling): no database."""
    return {"status": "ok"}, 200
