"""Agreements: drafted from the records, signed by four parties, every refusal explained."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    AgreementCode,
    AgreementState,
    AssignmentState,
    JournalEntry,
    OutboxMessage,
    Party,
    Role,
    SignatureMethod,
)
from stagebourse.services import ServiceError, agreements, matching
from tests.factories import make_teacher, make_user, scan_pdf
from tests.scenarios import (
    AGREEMENT_TEACHER,
    GUARDIAN,
    HEAD,
    drafted,
    last_code,
    make_confirmed_assignment,
    sent,
    sign_by_code,
)

pytestmark = pytest.mark.database

SCAN = scan_pdf()


def mails(template: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == template).order_by(OutboxMessage.id)).all())


def sign_all(agreement) -> None:  # noqa: ANN001
    sign_by_code(agreement, Party.SCHOOL)
    sign_by_code(agreement, Party.HOST)
    sign_by_code(agreement, Party.PUPIL)
    sign_by_code(agreement, Party.GUARDIAN, name="Nadia Martin")


def test_confirmed_assignment_yields_complete_agreement_without_retyping(app):
    agreement = drafted()
    content = agreement.content
    assert agreement.state == AgreementState.DRAFT
    assert agreements.missing_fields(content) == []
    assert content["school"]["head_name"] == "Mme Claire Principale"
    assert content["school"]["insurer"] == "MAIF"
    assert content["host"]["name"] == "Atelier Test"
    assert content["host"]["representative_name"] == "Camille Contact"
    assert content["host"]["tutor_name"] == "Théo Tuteur"
    assert "diagnostic des pannes" in content["host"]["tasks"]
    assert content["pupil"]["first_name"] == "Inès"
    assert content["guardian"]["email"] == GUARDIAN
    assert content["internship"]["start"] == "2027-02-01"
    assert content["internship"]["end"] == "2027-02-05"
    assert content["internship"]["hours_per_week"] == "30 h"
    assert len(content["internship"]["schedule"]) == 10
    assert any("39 28" in line for line in content["help_contacts"])
    assert "D. 331-1 à D. 331-15" in content["legal_basis"]
    assert agreement.content_sha256 == agreements.content_hash(content)


def test_drafting_twice_keeps_one_agreement(app):
    agreement = drafted()
    assert agreements.draft_missing(None) == 0
    assert agreements.draft(None, agreement.assignment) is agreement


def test_an_unconfirmed_assignment_gets_no_agreement(app):
    assignment = make_confirmed_assignment()
    assignment.state = AssignmentState.PUBLISHED
    db.session.commit()
    with pytest.raises(ServiceError, match="affectation confirmée"):
        agreements.draft(None, assignment)


def test_sending_needs_the_school_settings(app):
    assignment = make_confirmed_assignment(with_settings=False)
    agreements.draft_missing(None)
    agreement = agreements.agreement_of(assignment)
    with pytest.raises(ServiceError, match="assureur"):
        agreements.send_for_signature(make_teacher(AGREEMENT_TEACHER), agreement)


def test_four_signatures_by_link_and_code_make_it_signed(app):
    agreement, _teacher = sent()
    assert {m.recipient for m in mails("agreement_sign")} == {HEAD, "contact@atelier-test.fr",
                                                              GUARDIAN}
    assert len(mails("agreement_sign")) == 4
    sign_all(agreement)
    assert agreement.state == AgreementState.SIGNED
    signatures = agreements.active_signatures(agreement)
    assert set(signatures) == set(Party)
    for signature in signatures.values():
        assert signature.method == SignatureMethod.LINK_CODE
        assert signature.document_sha256 == agreements.content_hash(agreement.content)
        assert signature.signed_at is not None
    assert signatures[Party.GUARDIAN].signer_name == "Nadia Martin"
    assert signatures[Party.SCHOOL].signer_name == "Mme Claire Principale"
    assert len(mails("agreement_signed")) == 4
    assert agreements.is_signed(agreement.assignment)


def test_codes_are_stored_hashed_only(app):
    agreement, _ = sent()
    agreements.request_code(agreement, Party.HOST)
    code = last_code("contact@atelier-test.fr")
    row = db.session.scalars(select(AgreementCode)).one()
    assert code not in row.code_hash and len(row.code_hash) == 64


def test_wrong_code_is_refused_and_counted(app):
    agreement, _ = sent()
    agreements.request_code(agreement, Party.HOST)
    good = last_code("contact@atelier-test.fr")
    wrong = f"{(int(good) + 1) % 10**6:06d}"
    with pytest.raises(ServiceError, match="pas le bon.*4 essai"):
        agreements.sign_with_code(agreement, Party.HOST, wrong)
    assert db.session.scalars(select(AgreementCode)).one().attempts == 1
    assert agreement.state == AgreementState.TO_SIGN


def test_too_many_wrong_codes_cancel_the_code(app):
    agreement, _ = sent()
    agreements.request_code(agreement, Party.HOST)
    good = last_code("contact@atelier-test.fr")
    wrong = f"{(int(good) + 1) % 10**6:06d}"
    for _ in range(agreements.CODE_MAX_ATTEMPTS - 1):
        with pytest.raises(ServiceError):
            agreements.sign_with_code(agreement, Party.HOST, wrong)
    with pytest.raises(ServiceError, match="Trop d'essais"):
        agreements.sign_with_code(agreement, Party.HOST, wrong)
    with pytest.raises(ServiceError, match="n'est plus valable"):
        agreements.sign_with_code(agreement, Party.HOST, good)


def test_reused_code_is_refused(app):
    agreement, _ = sent()
    agreements.request_code(agreement, Party.HOST)
    code = last_code("contact@atelier-test.fr")
    agreements.sign_with_code(agreement, Party.HOST, code)
    with pytest.raises(ServiceError, match="déjà enregistrée"):
        agreements.sign_with_code(agreement, Party.HOST, code)
    # Once the document changed the party may sign again; the old code still cannot serve.
    agreements.correct(make_user(Role.COMPANY, "membre@atelier-test.fr",
                                 company_id=agreement.company_id),
                       agreement, Party.HOST, {"phone": "03 27 00 00 00"})
    with pytest.raises(ServiceError, match="déjà servi"):
        agreements.sign_with_code(agreement, Party.HOST, code)


def test_expired_code_is_refused(app):
    agreement, _ = sent()
    agreements.request_code(agreement, Party.HOST)
    code = last_code("contact@atelier-test.fr")
    row = db.session.scalars(select(AgreementCode)).one()
    row.expires_at = row.created_at - dt.timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(ServiceError, match="expiré"):
        agreements.sign_with_code(agreement, Party.HOST, code)


def test_code_of_another_party_is_refused_as_wrong_person(app):
    agreement, _ = sent()
    agreements.request_code(agreement, Party.GUARDIAN)
    guardian_code = last_code(GUARDIAN)
    agreements.request_code(agreement, Party.PUPIL)
    with pytest.raises(ServiceError, match="envoyé à le ou la représentant|envoyé à le"):
        agreements.sign_with_code(agreement, Party.PUPIL, guardian_code)
    assert Party.PUPIL not in agreements.active_signatures(agreement)


def test_signed_in_user_cannot_sign_for_another_party(app):
    agreement, _ = sent()
    other_company = make_user(Role.COMPANY, "autre@atelier-test.fr",
                              company_id=agreement.company_id)
    with pytest.raises(agreements.WrongPerson, match="Ce lien est personnel"):
        agreements.read_token(agreements.make_token(agreement, Party.GUARDIAN), other_company)


def test_expired_link_is_refused(app, monkeypatch):
    agreement, _ = sent()
    token = agreements.make_token(agreement, Party.HOST)
    app.config["AGREEMENT_LINK_DAYS"] = 1
    import itsdangerous.timed

    later = int(dt.datetime.now(dt.UTC).timestamp()) + 2 * 86400
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp",
                        lambda self: later)
    with pytest.raises(agreements.AgreementLinkExpired, match="expiré"):
        agreements.read_token(token)


def test_tampered_link_is_refused(app):
    agreement, _ = sent()
    token = agreements.make_token(agreement, Party.HOST)
    with pytest.raises(agreements.AgreementLinkError, match="pas valide"):
        agreements.read_token(token[:-3] + "abc")


def test_change_after_a_signature_voids_every_signature_and_tells_the_parties(app):
    agreement, teacher = sent()
    sign_by_code(agreement, Party.SCHOOL)
    sign_by_code(agreement, Party.HOST)
    old_sha = agreement.content_sha256
    changed = agreements.correct(teacher, agreement, Party.SCHOOL,
                                 {"insurance_policy": "7654321 B"})
    assert changed
    assert agreement.version == 2 and agreement.content_sha256 != old_sha
    assert agreements.active_signatures(agreement) == {}
    assert all(s.voided_at is not None for s in agreement.signatures)
    voided = mails("agreement_voided")
    assert {m.recipient for m in voided} == {HEAD, "contact@atelier-test.fr", GUARDIAN}
    assert "annulées" in voided[0].body_text
    assert [v.number for v in agreement.versions] == [1, 2]
    sign_all(agreement)
    assert agreement.state == AgreementState.SIGNED


def test_host_cannot_correct_the_school_part(app):
    agreement, _ = sent()
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company_id=agreement.company_id)
    with pytest.raises(ServiceError, match="établissement de l'élève"):
        agreements.correct(member, agreement, Party.SCHOOL, {"insurer": "Autre"})


def test_code_sent_before_a_change_no_longer_signs(app):
    agreement, teacher = sent()
    agreements.request_code(agreement, Party.HOST)
    code = last_code("contact@atelier-test.fr")
    agreements.correct(teacher, agreement, Party.SCHOOL, {"delegation": "Par délégation"})
    with pytest.raises(ServiceError, match="n'est plus valable"):
        agreements.sign_with_code(agreement, Party.HOST, code)


def test_link_sent_to_a_replaced_address_is_refused(app):
    agreement, _ = sent()
    token = agreements.make_token(agreement, Party.HOST)
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company_id=agreement.company_id)
    agreements.correct(member, agreement, Party.HOST, {"email": "rh@atelier-test.fr"})
    with pytest.raises(agreements.WrongPerson, match="n'est plus celle"):
        agreements.read_token(token)


def test_teacher_records_a_paper_signature_for_a_family_without_email(app):
    agreement, teacher = sent(guardian_email=None)
    assert len(mails("agreement_sign")) == 2
    with pytest.raises(ServiceError, match="Aucune adresse"):
        agreements.request_code(agreement, Party.GUARDIAN)
    with pytest.raises(ServiceError, match="pas un PDF lisible"):
        agreements.record_paper_signature(teacher, agreement, Party.GUARDIAN, "N. Martin",
                                          b"GIF89a....")
    with pytest.raises(ServiceError, match="8 Mo"):
        agreements.record_paper_signature(teacher, agreement, Party.GUARDIAN, "N. Martin",
                                          SCAN + b"0" * agreements.SCAN_MAX_BYTES)
    signature = agreements.record_paper_signature(teacher, agreement, Party.GUARDIAN,
                                                  "Nadia Martin", SCAN)
    assert signature.method == SignatureMethod.PAPER
    assert agreements.scan_path(signature).read_bytes() == SCAN
    agreements.record_paper_signature(teacher, agreement, Party.PUPIL, "", SCAN)
    sign_by_code(agreement, Party.SCHOOL)
    sign_by_code(agreement, Party.HOST)
    assert agreement.state == AgreementState.SIGNED


def test_pupil_cannot_start_without_a_signed_agreement(app):
    agreement, teacher = sent()
    assignment = agreement.assignment
    with pytest.raises(ServiceError, match="convention n'est pas signée"):
        agreements.complete_internship(teacher, assignment)
    assert assignment.state == AssignmentState.CONFIRMED
    sign_all(agreement)
    agreements.complete_internship(teacher, assignment)
    db.session.commit()
    assert assignment.state == AssignmentState.COMPLETED
    assert db.session.scalar(select(JournalEntry.actor_id).where(
        JournalEntry.action == "assignment.completed")) == teacher.id


def test_reminders_go_once_per_slot_to_missing_parties(app):
    agreement, _ = sent()
    sign_by_code(agreement, Party.HOST)
    today = agreement.first_day - dt.timedelta(days=6)
    assert agreements.send_reminders(today) == 3
    assert agreements.send_reminders(today) == 0
    assert agreements.send_reminders(today + dt.timedelta(days=4)) == 3
    assert "contact@atelier-test.fr" not in {m.recipient for m in mails("agreement_reminder")}


def test_share_signed_before_the_first_day(app):
    agreement, _ = sent()
    sign_all(agreement)
    [share] = agreements.signed_share(7)
    assert share.confirmed == 1 and share.signed_now == 1
    assert share.signed_by_deadline == 1
    assert share.deadline == agreement.first_day - dt.timedelta(days=7)


def test_pdf_opens_and_shows_every_party_and_signature(app):
    agreement, _ = sent()
    sign_all(agreement)
    reader = PdfReader(io.BytesIO(agreements.render_pdf(agreement)))
    text = " ".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    for expected in ("UAI", "Atelier Test", "Inès Martin",
                     "Mme Claire Principale", "Camille Contact", "Nadia Martin",
                     "Page de signature", "39 28", "D. 331-1"):
        assert expected in flat, expected
    assert flat.count(agreement.content_sha256[:16]) >= 1
    assert len(reader.pages) >= 2


def test_on_the_demo_data_a_confirmed_assignment_yields_a_complete_agreement(app):
    from stagebourse.models import (
        Assignment,
        Campaign,
        CampaignState,
        Level,
        MatchingRun,
        Offer,
        OfferWeek,
        Pupil,
        RunState,
    )
    from stagebourse.services.demo import seed_demo

    seed_demo(today=dt.date(2026, 9, 1))
    campaign = db.session.scalars(select(Campaign).where(
        Campaign.level == Level.TROISIEME, Campaign.state == CampaignState.OPEN)).one()
    offer_week = db.session.scalars(select(OfferWeek).join(Offer).where(
        OfferWeek.campaign_id == campaign.id).order_by(OfferWeek.id)).first()
    pupil = db.session.scalars(select(Pupil).where(Pupil.level == Level.TROISIEME)
                               .order_by(Pupil.id)).first()
    teacher = make_user(Role.TEACHER, "prof.demo@college-test.fr", school_id=pupil.school_id,
                        validated_at=dt.datetime.now(dt.UTC))
    # The school's defaults, set once for the campaign.
    agreements.save_settings(teacher, campaign, {
        "head_name": "Mme Demo Principale", "head_title": "Principale",
        "signatory_email": "ce.demo@college-test.fr", "insurer": "MAIF"})
    run = MatchingRun(campaign=campaign, seed=1, state=RunState.PUBLISHED)
    assignment = Assignment(run=run, pupil=pupil, offer=offer_week.offer, week=offer_week.week,
                            distance_km=2.0, cost=1.0, state=AssignmentState.CONFIRMED)
    db.session.add_all([run, assignment])
    db.session.commit()
    assert agreements.draft_missing(None) == 1
    agreement = agreements.agreement_of(assignment)
    content = agreement.content
    assert agreements.missing_fields(content) == []
    assert content["host"]["name"] == offer_week.offer.company.name
    assert content["host"]["tutor_name"] == offer_week.offer.tutor.full_name
    assert content["pupil"]["last_name"] == pupil.last_name
    assert content["internship"]["week"] == offer_week.week
    assert content["internship"]["hours_per_week"] == "35 h"
    agreements.send_for_signature(teacher, agreement)
    assert agreement.state == AgreementState.TO_SIGN


def test_a_cancelled_assignment_voids_its_agreement_and_its_links(app):
    agreement, _ = sent()
    token = agreements.make_token(agreement, Party.HOST)
    steering = make_user(Role.STEERING, "pilotage@test.fr")
    matching.cancel_assignment(steering, agreement.assignment, "Structure fermée pour travaux")
    db.session.commit()
    assert agreement.state == AgreementState.VOIDED
    # Journaled as the steering member who cancelled, not as "système".
    assert db.session.scalar(select(JournalEntry.actor_id).where(
        JournalEntry.action == "agreement.void")) == steering.id
    with pytest.raises(agreements.AgreementLinkExpired, match="annulée"):
        agreements.read_token(token)


def test_a_corrected_address_receives_its_own_link(app):
    agreement, _ = sent()
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company_id=agreement.company_id)
    agreements.correct(member, agreement, Party.HOST, {"email": "rh@atelier-test.fr"})
    assert [m.recipient for m in mails("agreement_sign")].count("rh@atelier-test.fr") == 1
    sign_by_code(agreement, Party.HOST)
    assert agreements.active_signatures(agreement)[Party.HOST].signer_email == \
        "rh@atelier-test.fr"
