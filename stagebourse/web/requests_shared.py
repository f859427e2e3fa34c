"""What the pupil's request pages and the teacher's "on behalf" pages share: one handler per
action (forms parsed here, rules in services.requests) and the page context."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import flash, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from stagebourse import clock
from stagebourse.models import MAX_WISHES, Pupil, Request, Role, User
from stagebourse.services import ServiceError
from stagebourse.services import pupils as pupils_service
from stagebourse.services import requests as requests_service
from stagebourse.web.pupil.forms import OfferWishForm, PreferencesForm, SectorWishForm

ACTIONS = ("add-sector", "add-offer", "up", "down", "remove", "preferences", "confirm",
           "found-own")


def apply_action(actor: User, pupil: Pupil, action: str, rank: int | None = None) -> bool:
    """Run one request action from the posted form; flash the outcome. True if it worked."""
    try:
        if action == "add-sector":
            form = SectorWishForm()
            code = (form.sector_code.data or "").strip()
            if not code:
                raise ServiceError(_("Choisis un secteur dans la liste."))
            _added(requests_service.add_wish(actor, pupil, sector_code=code), pupil)
        elif action == "add-offer":
            offer_form = OfferWishForm()
            if not offer_form.validate():
                raise ServiceError(_("Cette offre n'existe pas : choisis une offre dans la "
                                     "liste."))
            _added(requests_service.add_wish(actor, pupil, offer_id=offer_form.offer_id.data),
                   pupil)
        elif action in ("up", "down"):
            requests_service.move_wish(actor, pupil, rank or 0, action)
            flash(_("Ordre des vœux changé."), "success")
        elif action == "remove":
            requests_service.remove_wish(actor, pupil, rank or 0)
            flash(_("Vœu retiré."), "success")
        elif action == "preferences":
            prefs = PreferencesForm()
            if not prefs.validate():
                raise ServiceError(next(iter(prefs.errors.values()))[0])
            has_network = {"oui": True, "non": False}.get(prefs.has_network.data or "")
            requests_service.set_preferences(
                actor, pupil, max_travel_km=float(prefs.max_travel_km.data),
                needs_accessible=bool(prefs.needs_accessible.data), has_network=has_network)
            flash(_("C'est noté."), "success")
        elif action == "confirm":
            requests_service.confirm_request(actor, pupil)
            flash(_("Ta demande est confirmée. Tu peux encore la changer jusqu'à la date "
                    "limite.") if actor.role == Role.PUPIL else
                  _("Demande de %(name)s confirmée.", name=pupil.first_name), "success")
            if pupils_service.consent_missing(pupil):
                # Confirmed but not placeable: say so now, not after the round.
                flash(_("Attention : il manque l'accord écrit de ton responsable légal (tu "
                        "auras moins de 15 ans le premier jour du stage). Sans lui, tu ne "
                        "recevras pas de stage : demande le formulaire à ton professeur "
                        "référent.") if actor.role == Role.PUPIL else
                      _("Attention : %(name)s aura moins de 15 ans le premier jour du stage "
                        "et aucun consentement du responsable légal n'est enregistré. Sans "
                        "lui, l'élève sera laissé hors de l'affectation : enregistrez-le sur "
                        "sa fiche.", name=pupil.first_name), "warning")
        elif action == "found-own":
            if request.form.get("sure") != "oui":
                raise ServiceError(_("Coche la case pour confirmer que tu as trouvé un stage."))
            requests_service.declare_found_own(actor, pupil)
            flash(_("C'est noté : tu as trouvé ton stage toi-même. Bravo !"), "success")
        else:
            raise ServiceError(_("Action inconnue."))
    except ServiceError as error:
        flash(str(error), "error")
        return False
    return True


def _added(req: Request, pupil: Pupil) -> None:
    """Say at once when the new wish can never be met, and what to do instead."""
    try:
        views = requests_service.wish_views(pupil, req.campaign, req)
    except SQLAlchemyError:
        # The wish is written; only reading it back for the check failed (the database went
        # away: benchmarks/db_restart.py saw it). If the commit at the end of the request
        # fails too, the error page replaces this message; otherwise it is true. The wish
        # page flags the wish when it can be read.
        flash(_("Vœu ajouté."), "success")
        return
    last = views[-1] if views else None
    if last is not None and last.problems:
        flash(" ".join([_("Vœu ajouté, mais attention :"), *last.problems,
                        last.suggestion or ""]).strip(), "warning")
    else:
        flash(_("Vœu ajouté."), "success")


def yes_no(value: bool | None) -> str:
    """A nullable boolean as the "oui" / "non" / "" of a select or radio."""
    if value is None:
        return ""
    return "oui" if value else "non"


OFFER_PICKER_SIZE = 100


def page_context(pupil: Pupil, editor: bool = True) -> dict[str, Any]:
    """What the request pages show. ``editor``: the page shows the request editor (the
    sector's offers page does not); its forms and dropdowns are built only where it shows
    them (a request with every wish taken shows no form to add one). ``prefs``: the values
    the travel form shows, None where it is not shown."""
    campaign = requests_service.campaign_for(pupil)
    req = requests_service.request_of(pupil, campaign)
    editable = requests_service.is_editable(campaign) and (
        req is None or req.state.value in ("draft", "confirmed"))
    sectors: list[requests_service.SectorChoice] = []
    offers: tuple[requests_service.PickerOption, ...] = ()
    views = []
    if campaign is not None:
        sectors = requests_service.sector_choices(pupil, campaign)
        views = requests_service.wish_views(pupil, campaign, req, sectors)
    adding = editor and editable and campaign is not None and len(views) < MAX_WISHES
    prefs = None
    if adding:
        assert campaign is not None  # for mypy: ``adding`` says so
        # The picker lists the nearest offers only: a département has thousands; the
        # others are one click away in the offer search.
        offers = requests_service.picker_options(pupil, campaign, OFFER_PICKER_SIZE)
    if editor and editable:
        prefs = {"max_travel_km": int(requests_service.travel_limit(pupil)),
                 "needs_accessible": pupil.needs_accessible,
                 "has_network": yes_no(req.has_network if req else None)}
    return {
        "today": clock.today(),
        "pupil": pupil, "campaign": campaign, "req": req, "editable": editable,
        "wishes": views, "sectors": sectors, "offers": offers, "adding": adding,
        "offer_options": offer_options(offers),
        "sector_options": sector_options(sectors) if adding else Markup(),
        "prefs": prefs,
        "max_wishes": MAX_WISHES,
        "travel_limit": requests_service.travel_limit(pupil),
    }


def offer_options(offers: tuple[requests_service.PickerOption, ...]) -> Markup:
    """The offer dropdown's options, rendered. A hundred options with their distances cost
    more than the rest of the wish page, and pupils of one commune and school are offered the
    same hundred: the rendering is kept by what it shows and the language, so never stale."""
    return _rendered_options("requests/_offer_options.html", offers, str(get_locale()))


def sector_options(sectors: list[requests_service.SectorChoice]) -> Markup:
    """The sector dropdown's options, rendered and kept the same way (a form library renders
    each option through a dozen calls; the campaign's sectors are the same for everyone)."""
    return _rendered_options("requests/_sector_options.html", tuple(
        (c.sector.code, c.sector.label) for c in sectors), str(get_locale()))


@lru_cache(maxsize=256)
def _rendered_options(template: str, options: tuple[tuple[Any, ...], ...], locale: str
                      ) -> Markup:
    return Markup(render_template(template, options=options))
