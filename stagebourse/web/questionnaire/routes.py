"""Enter a code, answer, see where to get help. Views keep nothing: no session, no flash, no
log line with the code (it only travels in POST bodies, never in a URL)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from stagebourse.services import ServiceError, questionnaires
from stagebourse.web.questionnaire import bp

MAX_CODE_LENGTH = 40


def _code() -> str:
    return (request.form.get("code") or "")[:MAX_CODE_LENGTH]


@bp.route("", methods=["GET", "POST"])
def enter() -> str | tuple[str, int]:
    if request.method == "GET":
        return render_template("questionnaire/enter.html", code="", error=None)
    code = _code()
    try:
        questionnaire = questionnaires.open_questionnaire(code)
    except ServiceError as error:
        return render_template("questionnaire/enter.html", code=code, error=str(error)), 400
    return render_template("questionnaire/answer.html", questionnaire=questionnaire, code=code,
                           sectors=questionnaires.sector_options())


@bp.route("/reponses", methods=["POST"])
def submit() -> str | tuple[str, int]:
    code = _code()
    form = {key: request.form.getlist(key) for key in request.form if key != "code"}
    try:
        submission = questionnaires.submit_answers(code, form)
    except ServiceError as error:
        return render_template("questionnaire/enter.html", code=code, error=str(error)), 400
    # Rendered here, not redirected: a redirect would need state (a cookie or a URL saying
    # "this person reported something") to know whether to show the help.
    return render_template("questionnaire/thanks.html", submission=submission)


@bp.route("/aide")
def help_page() -> Response:
    # The help page moved to /aide (linked from every page); old links and printed slips
    # still lead there.
    return redirect(url_for("public.help_page"))
