"""One loader per object kind: the object a URL (or a posted form) names, as the signed-in user
may reach it, or 404.

The rule of who reaches what lives in the service each loader calls (a teacher reaches the
pupils, assignments and agreements of their school; a structure its own offers, assignments and
agreements; a pupil their own assignments). 404 rather than 403 everywhere: an answer must
never confirm that another school's or another structure's object exists.

Runs, companies, questionnaires, materials and API tokens are reached only from the steering
room, which its blueprint guards by role; campaigns and sectors are known to everyone.
"""

from __future__ import annotations

from typing import TypeVar

from flask import abort
from flask_login import current_user

from stagebourse.models import (
    Agreement,
    ApiToken,
    Assignment,
    Campaign,
    Company,
    MatchingRun,
    Material,
    Offer,
    Pupil,
    Questionnaire,
    Sector,
    Tutor,
)
from stagebourse.services import (
    agreements,
    campaigns,
    companies,
    matching,
    materials,
    offer_search,
    offers,
    pupils,
    questionnaires,
    tutors,
)
from stagebourse.services.offer_cards import OfferCard

Found = TypeVar("Found")


def found_or_404(found: Found | None) -> Found:
    if found is None:
        abort(404)
    return found


def load_assignment(assignment_id: int) -> Assignment:
    return found_or_404(matching.assignment_for(current_user, assignment_id))


def load_agreement(agreement_id: int) -> Agreement:
    return found_or_404(agreements.agreement_for(current_user, agreement_id))


def load_tutor(tutor_id: int) -> Tutor:
    return found_or_404(tutors.tutor_for(current_user, tutor_id))


def load_offer(offer_id: int) -> Offer | OfferCard:
    """An offer's public page: a card for pupils, teachers and steering, a structure's own."""
    offer: Offer | OfferCard | None = offer_search.offer_for(current_user, offer_id)
    if offer is None:
        abort(404)
    return offer


def load_own_offer(offer_id: int) -> Offer:
    """One of the signed-in structure's offers, to edit (drafts included)."""
    return found_or_404(offers.company_offer(current_user.company_id, offer_id))


def load_pupil(pupil_id: int) -> Pupil:
    return found_or_404(pupils.pupil_for(current_user, pupil_id))


def load_campaign(campaign_id: int) -> Campaign:
    return found_or_404(campaigns.get_campaign(campaign_id))


def load_sector(code: str) -> Sector:
    return found_or_404(offers.get_sector(code))


def load_run(run_id: int) -> MatchingRun:
    return found_or_404(matching.get_run(run_id))


def load_company(company_id: int) -> Company:
    return found_or_404(companies.get_company(company_id))


def load_api_token(token_id: int) -> ApiToken:
    return found_or_404(companies.get_api_token(token_id))


def load_questionnaire(questionnaire_id: int) -> Questionnaire:
    return found_or_404(questionnaires.get_questionnaire(questionnaire_id))


def load_material(slug: str) -> Material:
    """The current version of a sensitisation material."""
    return found_or_404(materials.current_material(slug))
