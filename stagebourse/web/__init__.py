"""The Flask application: factory, error pages, security headers, locale."""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Response,
    abort,
    has_request_context,
    render_template,
    request,
    session,
)
from flask.signals import message_flashed
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from stagebourse.config import ConfigError, from_environment
from stagebourse.extensions import babel, csrf, db, login_manager, mail, migrate
from stagebourse.filemodes import create_private_file, make_private_dir, sqlite_file
from stagebourse.services.csv_input import format_size, max_bytes
from stagebourse.web import assets, sessions, template_gettext
from stagebourse.web.uploads import IMPORT_ENDPOINTS, bound_import_body

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(__file__).resolve().parent

MAX_DATABASE_ID = 2**31 - 1  # PostgreSQL's INTEGER
REFUSED = "stagebourse.refused"  # in the WSGI environ: this request's action was refused

# Strict by design: no inline script or style anywhere in the templates.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


def create_app(config: dict[str, Any] | None = None,
               instance_path: str | None = None) -> Flask:
    """``instance_path``: the instance folder (secret key, default SQLite database, private
    files), by default ``instance/`` beside the package."""
    app = Flask(
        "stagebourse",
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(PACKAGE / "templates"),
        static_folder=str(PACKAGE / "static"),
    )
    # The instance folder holds the secret key and the default SQLite database: 0700.
    make_private_dir(Path(app.instance_path))
    app.jinja_env.add_extension("jinja2.ext.do")
    app.config.update(from_environment(app.instance_path))
    if config:
        app.config.update(config)
    _protect_sqlite_file(app)

    db.init_app(app)
    if app.config.get("STAGEBOURSE_ENV") == "production":
        _refuse_demo_credentials(app)
    # The client's address as the trusted reverse proxies saw it (throttling keys on it).
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0, x_port=0, x_prefix=0)
    # Registers the session hook that keeps the offer pages' read models current.
    import stagebourse.services.offer_index  # noqa: F401
    # Registered after db.init_app, so it runs before Flask-SQLAlchemy's own teardown (which
    # then finds no session left to remove).
    app.teardown_appcontext(_discard_session)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True,
                     render_as_batch=True)
    login_manager.init_app(app)
    mail.init_app(app)
    # Before CSRF's hook, which reads the form: import bodies are bounded before any read.
    app.before_request(bound_import_body)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(PACKAGE.parent / "translations"))
    template_gettext.install(app)
    _configure_login()
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_template_helpers(app)
    app.before_request(_refuse_impossible_input)
    sessions.install(app)
    app.after_request(_security_headers)
    assets.install(app)
    # Registered last, so it runs first among the after_request functions (Flask runs them
    # in reverse): a failed commit is then answered with the error page, headers and all.
    app.after_request(_end_transaction)
    message_flashed.connect(_note_refusal, app)

    from stagebourse.cli.app import register_commands

    register_commands(app)
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)
    return app


def _protect_sqlite_file(app: Flask) -> None:
    """SQLite would create its file with the umask's mode (0644: every local account reads
    every pupil): create it 0600 first, or narrow an existing one we own."""
    path = sqlite_file(str(app.config.get("SQLALCHEMY_DATABASE_URI") or ""))
    if path is None:
        return
    try:
        create_private_file(path)
    except OSError as error:  # a read-only or foreign file: SQLite will say what it can do
        logging.getLogger(__name__).warning("cannot make %s private: %s", path, error)


def _refuse_demo_credentials(app: Flask) -> None:
    """A production app never starts on a database holding demo accounts or the demo pupil
    code: their passwords and codes are published in the README."""
    from stagebourse.services.demo_marks import DEMO_DOMAIN, demo_credentials_present

    with app.app_context():
        try:
            present = demo_credentials_present()
        except SQLAlchemyError:
            # No schema yet (the first `stagebourse db upgrade`) or the database is down: the
            # sign-in refuses demo credentials anyway.
            present = False
        finally:
            db.session.remove()
            # The connection of this check is not kept: the server forks its workers after.
            db.engine.dispose()
    if present:
        raise ConfigError(
            "Cette base contient les données de démonstration (comptes @" + DEMO_DOMAIN
            + ", code élève DEMO-ELEVE), dont les mots de passe sont publics : la production "
            "refuse de démarrer. Donnez à DATABASE_URL une base de production vide, puis "
            "lancez `stagebourse db upgrade` et `stagebourse seed reference` ; gardez la "
            "démonstration sur une base à part, sans STAGEBOURSE_ENV=production."
        )


# The language switch's cookie (public.set_language): kept apart from the session, which
# signing in clears, so that an English reader stays in English once signed in.
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def select_locale() -> str:
    """The visitor's choice, else the browser's preference; French outside a request
    (mail rendered by the worker or a command is in the service's language)."""
    if not has_request_context():
        return "fr"
    chosen = request.cookies.get(LANG_COOKIE) or session.get("lang")
    if chosen in ("fr", "en"):
        return str(chosen)
    return request.accept_languages.best_match(["fr", "en"], default="fr") or "fr"


def _configure_login() -> None:
    from stagebourse.services.accounts import load_user

    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = _l("Connectez-vous pour accéder à cette page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


def _register_blueprints(app: Flask) -> None:
    from stagebourse.web.agreement_sign import bp as agreement_sign_bp
    from stagebourse.web.api import bp as api_bp
    from stagebourse.web.auth.routes import bp as auth_bp
    from stagebourse.web.company import bp as company_bp
    from stagebourse.web.observer import bp as observer_bp
    from stagebourse.web.offers import bp as offers_bp
    from stagebourse.web.public.routes import bp as public_bp
    from stagebourse.web.pupil import bp as pupil_bp
    from stagebourse.web.questionnaire import bp as questionnaire_bp
    from stagebourse.web.steering import bp as steering_bp
    from stagebourse.web.teacher import bp as teacher_bp
    from stagebourse.web.tutor import bp as tutor_bp
    from stagebourse.web.tutor import link_bp as tutor_link_bp
    from stagebourse.web.tutor import preparation_bp as tutor_preparation_bp

    for blueprint in (public_bp, auth_bp, pupil_bp, teacher_bp, company_bp, tutor_bp,
                      steering_bp, offers_bp, tutor_preparation_bp, tutor_link_bp,
                      questionnaire_bp, agreement_sign_bp, api_bp, observer_bp):
        app.register_blueprint(blueprint)
    # The token API authenticates each request with a bearer token, not a cookie: CSRF
    # cannot apply there. Every HTML form keeps it.
    csrf.exempt(api_bp)
    # The anonymous questionnaire keeps no session, so no session-bound CSRF token; the code
    # typed into the form is the only credential (web/questionnaire/__init__.py says more).
    csrf.exempt(questionnaire_bp)
    from stagebourse.access_log import install_werkzeug_filter
    from stagebourse.web.questionnaire import install_log_filter

    install_log_filter()
    install_werkzeug_filter()


def _register_error_handlers(app: Flask) -> None:
    def page(status: int, title: Any, message: Any) -> tuple[Any, int]:
        if request.path.startswith("/api/"):
            # The partner API speaks JSON, errors included (its OpenAPI document says so).
            return {"error": str(title), "detail": str(message)}, status
        return render_template("errors/error.html", status=status, title=title,
                               message=message), status

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[Any, int]:
        return page(400, _l("Formulaire expiré"),
                    _l("Ce formulaire a expiré ou a été ouvert dans un autre onglet. "
                       "Revenez en arrière, rechargez la page et envoyez-le de nouveau."))

    @app.errorhandler(400)
    def bad_request(error: Exception) -> tuple[Any, int]:
        return page(400, _l("Requête incorrecte"),
                    _l("La demande n'a pas pu être comprise. Revenez en arrière et réessayez."))

    @app.errorhandler(403)
    def forbidden(error: Exception) -> tuple[Any, int]:
        return page(403, _l("Accès refusé"),
                    _l("Cette page est réservée à un autre type de compte. Revenez à votre "
                       "page d'accueil, ou déconnectez-vous pour changer de compte."))

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[Any, int]:
        return page(404, _l("Page introuvable"),
                    _l("Cette page n'existe pas ou ne vous est pas accessible. Vérifiez "
                       "l'adresse, ou revenez à l'accueil."))

    @app.errorhandler(405)
    def method_not_allowed(error: Exception) -> tuple[Any, int]:
        return page(405, _l("Action impossible"),
                    _l("Cette action ne peut pas être faite ainsi. Utilisez les boutons de "
                       "la page."))

    @app.errorhandler(413)
    def too_large(error: Exception) -> tuple[Any, int]:
        if request.endpoint in IMPORT_ENDPOINTS:
            return page(413, _l("Fichier trop volumineux"), _l(
                "Le fichier dépasse %(max)s, la taille maximale d'un import. Revenez à la "
                "page précédente, découpez le fichier en plusieurs fichiers plus petits et "
                "envoyez-les l'un après l'autre.", max=format_size(max_bytes())))
        return page(413, _l("Fichier trop volumineux"),
                    _l("Le fichier dépasse 10 Mo. Envoyez un fichier plus petit."))

    @app.errorhandler(500)
    def server_error(error: Exception) -> tuple[Any, int]:
        def error_page() -> tuple[Any, int]:
            return page(500, _l("Erreur du service"),
                        # Not "nothing was saved": the database may have gone away
                        # after a write committed (benchmarks/db_restart.py saw it).
                        _l("Une erreur inattendue s'est produite. Votre dernière action a "
                           "peut-être été enregistrée : vérifiez-la avant de la refaire, "
                           "dans un instant. Si cela se reproduit, prévenez le groupe de "
                           "pilotage."))

        _roll_back()
        # What the failed request announced ("Vœu ajouté.") is void: do not show it.
        session.pop("_flashes", None)
        try:
            return error_page()
        except SQLAlchemyError:
            # The database is unreachable (a restart, a failover), and the page's menu asks
            # it who is signed in: show the page as to a visitor, for this response only,
            # rather than fail here and leave gunicorn to answer a bare 500.
            login_manager._update_request_context_with_user()
            return error_page()


def _end_transaction(response: Response) -> Response:
    """The request's one commit point: services add and flush, the request commits here,
    once, or writes nothing.

    It commits when the request ended well: a status below 400 (a page, or the redirect after
    a POST) and no refusal said to the visitor. A view that catches a ``ServiceError`` flashes
    it as an error, re-renders (200) or redirects, and the service may have added rows before
    it found the rule broken: those are rolled back, as after any error status or exception
    (the 500 handler rolls back too). What must survive a refusal, such as a failed sign-in
    attempt, is written apart (``stagebourse/transactions.py``, ``side_write``).

    A commit that fails raises from here, and Flask answers with the French 500 page
    (``server_error``): never the success redirect of a write that was not saved. If the
    database goes away just after the commit, the write stands and the response says so.
    """
    if response.status_code < 400 and not request.environ.get(REFUSED, False):
        db.session.commit()
    else:
        _roll_back()
    return response


def _note_refusal(sender: Flask, message: str, category: str, **extra: Any) -> None:
    """A message flashed as an error means the request's action was refused. Noted on the
    request itself (``g`` lives as long as the application context, which may serve several
    requests)."""
    if category == "error" and has_request_context():
        request.environ[REFUSED] = True


def _roll_back() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:
        _discard_session()  # the connection died with the database


def _discard_session(error: BaseException | None = None) -> None:
    """Roll back and drop the request's database session, also when the database has gone
    away: the rollback then fails (the connection is dead; SQLAlchemy has invalidated it), and
    the session is forgotten all the same, so that the next request starts afresh and the
    failure does not replace a response already made (a write may have committed)."""
    try:
        db.session.remove()
    except SQLAlchemyError:
        db.session.registry.clear()


def _register_template_helpers(app: Flask) -> None:
    from babel.dates import format_interval
    from babel.numbers import format_decimal
    from flask_babel import format_date, get_locale
    from flask_babel import gettext as _

    from stagebourse import dates
    from stagebourse.identifiers import week_label, week_monday
    from stagebourse.labels import assignment_status, label, label_of

    def long_date(day: Any) -> str:
        # French words (« lundi 1er février 2027 ») in French; Babel's full format otherwise.
        if str(get_locale() or "fr").startswith("fr"):
            return dates.long_date(day)
        return str(format_date(day, "full"))

    def week_dates(week: str) -> str:
        # « 01/02 – 05/02/2027 » reads as January in English: spell the month there.
        if str(get_locale() or "fr").startswith("fr"):
            return week_label(week)
        monday = week_monday(week)
        return str(format_interval(monday, monday + dt.timedelta(days=4), "yMMMd",
                                   locale=str(get_locale())))

    def week_words(week: Any) -> str:
        # « semaine du lundi 1er février 2027 » rather than the ISO code « 2027-W05 ».
        if not week:
            return ""
        try:
            monday = week_monday(str(week))
        except ValueError:
            return str(week)
        if str(get_locale() or "fr").startswith("fr"):
            return dates.week_of(monday)
        return str(_("semaine du %(day)s", day=format_date(monday, "full")))

    app.jinja_env.globals.update(label=label, label_of=label_of, week_label=week_dates,
                                 week_words=week_words,
                                 assignment_status=assignment_status, long_date=long_date)
    @lru_cache(maxsize=4096)
    def decimal_in(number: Any, pattern: str | None, locale: str) -> str:
        return str(format_decimal(number, pattern, locale=locale))

    def decimal_text(number: Any, format: str | None = None) -> str:  # noqa: A002 - Babel's name
        # Flask-Babel's filter, remembered: a page lists up to a hundred distances, most of
        # them alike, and Babel takes tens of microseconds for each.
        return decimal_in(number, format, str(get_locale() or "fr"))

    app.jinja_env.filters.update(week_words=week_words, decimalformat=decimal_text)

    @lru_cache(maxsize=512)
    def nav_for(_role: str, _locale: str, _endpoint: str | None, _root: str) -> Markup:
        return Markup(render_template("_nav.html"))

    def main_nav() -> Markup:
        # The menu of every signed-in page depends on these alone (the links of a role, in a
        # language, the current one marked); rendered once for each, not on every page.
        return nav_for(current_user.role.value, str(get_locale() or "fr"), request.endpoint,
                       request.script_root)

    app.jinja_env.globals.update(main_nav=main_nav)

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {"current_locale": str(get_locale() or "fr")}


def _refuse_impossible_input() -> None:
    """Refuse before any query what the database could only fail on.

    - An id in the URL beyond a database integer: no such object (404).
    - A NUL character in a text field: PostgreSQL cannot store it, and no person types one
      (400). Uploaded files are left alone: their readers say what is wrong with them.
    """
    if any(isinstance(value, int) and not 0 <= value <= MAX_DATABASE_ID
           for value in (request.view_args or {}).values()):
        abort(404)
    values = [*request.args.values(), *request.form.values()]
    if request.is_json:
        values.append(request.get_data(as_text=True).replace("\\u0000", "\x00"))
    if any("\x00" in value for value in values):
        abort(400)


def _security_headers(response: Any) -> Any:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # No page sends its address onward, not even to this site: a stylesheet or a link loaded
    # from the answer page would otherwise tell a proxy's log "…/questionnaire/reponses".
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    # Nothing but the static assets may be kept by a browser or a proxy: pages, class
    # lists, agreements, exports, API answers all carry personal data or a signed-in view.
    # Set, not defaulted: send_file's "no-cache" still lets a browser store the file.
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
    return response
