"""Pages anyone can open: the home page, the observatory's published figures, the help page
for victims of discrimination, the language switch."""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.models import ReleaseKind
from stagebourse.services import ServiceError, observatory
from stagebourse.services import help as help_service
from stagebourse.web import LANG_COOKIE, LANG_COOKIE_MAX_AGE
from stagebourse.web.forms import safe_next
from stagebourse.web.guards import home_url_for
from stagebourse.web.public.forms import CallbackForm

bp = Blueprint("public", __name__)


@bp.route("/")
def index() -> str | Response:
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user.role))
    return render_template("public/index.html")


@bp.route("/langue/<any(fr, en):lang>")
def set_language(lang: str) -> Response:
    # Only a display preference: safe as a plain link, no CSRF stake. A cookie of its own,
    # not a session key: signing in starts a fresh session (no fixation), and the choice
    # must survive it (docs/privacy.md: strictly necessary, holds « fr » or « en » only).
    response = redirect(safe_next(request.args.get("next")) or url_for("public.index"))
    response.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_MAX_AGE, httponly=True,
                        samesite="Lax", secure=bool(current_app.config["SESSION_COOKIE_SECURE"]))
    return response


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


def _help_page(form: CallbackForm, status: int = 200) -> tuple[str, int]:
    try:
        groups = help_service.directory()
    except (OSError, ServiceError) as error:
        # A broken directory file must never hide the help: the page falls back to the
        # national numbers, and the log says which line to fix.
        current_app.logger.error("help directory unreadable: %s", error)
        groups = None
    return render_template("public/help.html", groups=groups, form=form,
                           callbacks=help_service.callbacks_enabled(),
                           retention_days=current_app.config["CALLBACK_RETENTION_DAYS"]), status


@bp.route("/aide")
def help_page() -> tuple[str, int]:
    """Where to turn after a discrimination (plan, fiche 6), and « Être rappelé·e »."""
    return _help_page(CallbackForm())


@bp.route("/aide/rappel", methods=["POST"])
def help_callback() -> tuple[str, int] | Response:
    form = CallbackForm()
    if form.validate_on_submit():
        try:
            help_service.request_callback(help_service.CallbackInput(
                name=form.name.data or "", phone=form.phone.data or "",
                email=form.email.data or "", topic=form.topic.data or ""),
                request.remote_addr or "inconnue")
        except ServiceError as error:
            flash(str(error), "error")
            return _help_page(form, 400)
        flash(_("C'est noté : une personne du groupe de pilotage va te recontacter, avec ce "
                "que tu as laissé. Si tu es en danger, appelle le 17 ou le 119."), "success")
        return redirect(url_for("public.help_page"))
    return _help_page(form, 400)
