"""Factories for the agreement tests: a confirmed assignment of a published round, the school's
settings for the campaign, and helpers to sign through the outbox like a real party."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    Agreement,
    AgreementSettings,
    Assignment,
    AssignmentState,
    CampaignState,
    OutboxMessage,
    Party,
    Role,
    User,
)
from stagebourse.services import agreements
from tests.conftest import first_school, make_company, make_pupil_user, make_user
from tests.offer_factories import WEEK_A, assign, make_campaign, make_offer

GUARDIAN = "parent.essai@famille-test.fr"
HEAD = "direction@college-test.fr"


def make_teacher(email: str = "prof.conventions@college-test.fr") -> User:
    return make_user(Role.TEACHER, email, school=first_school(),
                     validated_at=dt.datetime.now(dt.UTC))


def make_confirmed_assignment(guardian_email: str | None = GUARDIAN,
                              with_settings: bool = True) -> Assignment:
    school = first_school()
    campaign = make_campaign(school, state=CampaignState.OPEN)
    company = make_company()
    offer = make_offer(company)
    campaign.state = CampaignState.PUBLISHED
    pupil = make_pupil_user(school, first_name="Inès", last_name="Martin", class_name="3B",
                            guardian_email=guardian_email).pupil
    assignment = assign(pupil, offer, WEEK_A, campaign, state=AssignmentState.CONFIRMED)
    if with_settings:
        db.session.add(AgreementSettings(
            campaign=campaign, school=school, head_name="Mme Claire Principale",
            head_title="Principale", signatory_email=HEAD, insurer="MAIF",
            insurance_policy="1234567 A", delegation=None, school_address=None))
        db.session.commit()
    return assignment


def drafted(guardian_email: str | None = GUARDIAN) -> Agreement:
    assignment = make_confirmed_assignment(guardian_email)
    agreements.draft_missing(None)
    agreement = agreements.agreement_of(assignment)
    assert agreement is not None
    return agreement


def sent(guardian_email: str | None = GUARDIAN) -> tuple[Agreement, User]:
    agreement = drafted(guardian_email)
    teacher = make_teacher()
    agreements.send_for_signature(teacher, agreement)
    return agreement, teacher


def last_code(address: str) -> str:
    """The code in the latest code mail sent to ``address``."""
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == address,
                                    OutboxMessage.template == "agreement_code")
        .order_by(OutboxMessage.id.desc())).first()
    assert message is not None, f"no code mail to {address}"
    found = re.search(r"\b(\d{6})\b", message.body_text)
    assert found is not None
    return found.group(1)


def sign_by_code(agreement: Agreement, party: Party, name: str | None = None) -> None:
    address = agreements.request_code(agreement, party)
    agreements.sign_with_code(agreement, party, last_code(address), signer_name=name)
