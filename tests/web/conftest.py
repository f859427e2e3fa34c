"""Fixtures for the web tests that walk every route."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask

from stagebourse.extensions import db
from stagebourse.models import (
    AgreementPaperScan,
    AssignmentState,
    Material,
    ObservatoryRelease,
    OutboxMessage,
    ReleaseKind,
    Role,
)
from stagebourse.services import agreements
from stagebourse.services.companies import create_api_token
from stagebourse.services.materials import load_materials
from stagebourse.services.questionnaires import ensure_questionnaires
from tests.factories import (
    assign,
    first_school,
    make_campaign,
    make_company,
    make_offer,
    make_teacher,
    make_tutor,
    make_user,
)


@pytest.fixture
def world(app: Flask, personas: dict[str, Any]) -> dict[str, Any]:
    """Everything a URL can point to, plus a second school's teacher and a second company."""
    other_company = make_company(siret="35600000049837", name="Autre Structure")
    now = dt.datetime.now(dt.UTC)
    extra = {
        "other_teacher": make_user(Role.TEACHER, "prof@autre-college.fr",
                                   school=first_school(index=1), validated_at=now),
        "other_company": make_user(Role.COMPANY, "membre@autre-structure.fr",
                                   company=other_company),
    }
    pending = make_user(Role.TEACHER, "nouveau@college-test.fr", school=first_school())
    company = personas["company"].company
    refused = make_company(siret="41234500000001", name="Structure Refusée",
                           contact_email="contact@refusee-test.fr")
    closing = {
        # Signed in while open; the matrix closes them before walking (tests/personas.py).
        "observer": make_user(Role.OBSERVER, "observatrice@parents-test.fr"),
        "deactivated_teacher": make_teacher("ancienne@test.fr", first_school()),
        "deactivated_company": make_user(Role.COMPANY, "ancien@atelier-test.fr",
                                         company=company),
        "deactivated_tutor": make_user(
            Role.TUTOR, "ancienne-tutrice@atelier-test.fr",
            tutor=make_tutor(company, email="ancienne-tutrice@atelier-test.fr")),
        "deactivated_steering": make_user(Role.STEERING, "ancien-pilotage@test.fr"),
        "deactivated_observer": make_user(Role.OBSERVER, "ancien-observateur@cci-test.fr"),
        "rejected_company": make_user(Role.COMPANY, "membre@refusee-test.fr", company=refused),
    }
    campaign = make_campaign([first_school()])
    offer = make_offer(personas["company"].company)
    assignment = assign(personas["pupil"].pupil, offer, "2027-W05", campaign)
    questionnaire = ensure_questionnaires(None, campaign)[0]
    confirmed = assign(personas["pupil"].pupil, offer, "2027-W06", campaign,
                       state=AssignmentState.CONFIRMED)
    agreement = agreements.draft(None, confirmed)
    db.session.commit()
    load_materials()
    material = db.session.scalar(db.select(Material).limit(1))
    message = OutboxMessage(idempotency_key="matrix", recipient="x@exemple.fr", subject="s",
                            body_text="t")
    db.session.add(message)
    # A release as stored (written directly: computing one needs 30 answers and their audit).
    release = ObservatoryRelease(
        kind=ReleaseKind.CAMPAIGN, year=campaign.year, campaign_id=campaign.id,
        scope=f"campaign:{campaign.id}", questionnaires=[], indicators=[], audit_tables=[],
        published={"title": campaign.name, "invited": 40, "responses": 30,
                   "response_rate": 0.75, "tables": [], "matching": None})
    db.session.add(release)
    # A host's paper signature waiting for the steering group (its file is never written).
    scan = AgreementPaperScan(agreement_id=agreement.id, version=agreement.version,
                              party="host", signer_name="Camille Contact",
                              scan_file="absent.pdf", scan_sha256="0" * 64)
    db.session.add(scan)
    db.session.commit()
    token = create_api_token(personas["steering"], personas["company"].company, "matrice", None)
    token_id = db.session.scalar(db.select(db.text("max(id)")).select_from(db.text("api_tokens")))
    db.session.commit()  # the API counts its rate limit on a connection of its own
    values = {
        "offer_id": offer.id, "pupil_id": personas["pupil"].pupil_id, "class_name": "3A",
        "campaign_id": campaign.id, "company_id": personas["company"].company_id,
        "token_id": token_id, "message_id": message.id, "teacher_id": pending.id,
        "slug": material.slug, "token": "lien-invalide", "lang": "fr", "filename": "style.css",
        "rank": 1, "run_id": assignment.run_id, "assignment_id": assignment.id,
        "answer": "accept", "questionnaire_id": questionnaire.id, "year": campaign.year,
        "agreement_id": agreement.id, "party": "school", "signature_id": 1,
        "release_id": release.id, "tutor_id": offer.tutor_id, "scan_id": scan.id,
        "user_id": pending.id,
    }
    return {"users": {**personas, **extra, **closing}, "values": values, "api_token": token,
            "refused_company": refused}


