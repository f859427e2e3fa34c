"""The structure's tutors: name the tutor of an offer (who then receives a sign-in link), send a
new link, cut a tutor's access."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.services import ServiceError, tutors
from stagebourse.web.company import bp
from stagebourse.web.company.forms_agreements import TutorForm
from stagebourse.web.forms import ActionForm, select_choices
from stagebourse.web.loaders import load_own_offer, load_tutor


def _page(form: TutorForm | None = None, status: int = 200) -> tuple[str, int]:
    company = current_user.company
    offers = tutors.company_offers(current_user, company)
    form = form or TutorForm()
    form.offer.choices = select_choices((str(o.id), o.title) for o in offers)
    return render_template("company/tutors.html", rows=tutors.company_tutors(current_user,
                                                                              company),
                           form=form, action_form=ActionForm(), offers=offers,
                           link_days=tutors.link_days()), status


@bp.route("/tuteurs")
def tutor_list() -> tuple[str, int]:
    return _page()


@bp.route("/tuteurs", methods=["POST"])
def tutor_name() -> Response | tuple[str, int]:
    form = TutorForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    if not (form.offer.data or "").isdigit():
        form.offer.errors = [_("Choisissez l'offre dont cette personne sera le tuteur.")]
        return _page(form, 422)
    offer = load_own_offer(int(form.offer.data))
    try:
        tutor = tutors.name_tutor(current_user, offer, form.data)
    except ServiceError as error:
        flash(str(error), "error")
        return _page(form, 422)
    flash(_("%(name)s est désigné(e) tuteur ou tutrice de « %(offer)s ». Un lien de connexion "
            "personnel lui est envoyé par e-mail (%(email)s).", name=tutor.full_name,
            offer=offer.title, email=tutor.email), "success")
    return redirect(url_for("company.tutor_list"))


@bp.route("/tuteurs/<int:tutor_id>/lien", methods=["POST"])
def tutor_send_link(tutor_id: int) -> Response:
    tutor = load_tutor(tutor_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    tutors.send_link(current_user, tutor)
    flash(_("Un nouveau lien de connexion est envoyé à %(email)s.", email=tutor.email),
          "success")
    return redirect(url_for("company.tutor_list"))


@bp.route("/tuteurs/<int:tutor_id>/revoquer", methods=["POST"])
def tutor_revoke(tutor_id: int) -> Response:
    tutor = load_tutor(tutor_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    tutors.revoke_links(current_user, tutor)
    flash(_("L'accès de %(name)s est coupé : ses liens ne fonctionnent plus et ses sessions "
            "ouvertes sont fermées.", name=tutor.full_name), "success")
    return redirect(url_for("company.tutor_list"))
