"""Host structures: sign-up, members, Charter, validation, API tokens."""

import datetime as dt

import pytest
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    CharterStatus,
    CompanyState,
    JournalEntry,
    OutboxMessage,
    Role,
    User,
)
from stagebourse.services import ServiceError, companies
from stagebourse.services.companies import ApiAuthError, DuplicateSiret
from tests.factories import make_company, make_user

PDF = b"%PDF-1.4\n% charte\n"


def sign_up_data(**overrides):
    data = {"siret": "732 829 320 00074", "name": "Boulangerie Dupont", "kind": "company",
            "address": "3 place d'Armes", "postcode": "59300", "commune_code": "59606",
            "contact_name": "Alex Dupont", "contact_phone": "", "display_name": "Alex Dupont",
            "email": "Alex@boulangerie-dupont.fr", "password": "un mot de passe solide"}
    data.update(overrides)
    return data


def test_sign_up_creates_a_pending_company_and_its_first_member(app):
    user = companies.sign_up_company(sign_up_data())
    assert user.role == Role.COMPANY and user.email == "alex@boulangerie-dupont.fr"
    assert user.password_hash.startswith("$argon2")
    company = user.company
    assert company.state == CompanyState.PENDING and company.siret == "73282932000074"
    assert company.contact_email == "alex@boulangerie-dupont.fr"


@pytest.mark.parametrize("siret, expected", [
    ("73282932000075", "clé de contrôle"), ("1234", "14 chiffres"), ("7328293200007A", "14")])
def test_invalid_siret_is_refused_with_a_french_reason(app, siret, expected):
    with pytest.raises(ServiceError, match=expected):
        companies.sign_up_company(sign_up_data(siret=siret))


def test_la_poste_establishments_are_accepted(app):
    user = companies.sign_up_company(sign_up_data(siret="35600000010000", name="La Poste"))
    assert user.company.siret == "35600000010000"


@pytest.mark.committing  # side writes (the join requests' daily quotas)
def test_duplicate_siret_is_refused_and_members_can_be_asked_to_invite(app):
    existing = make_company()
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company=existing)
    with pytest.raises(DuplicateSiret) as refused:
        companies.sign_up_company(sign_up_data(siret=existing.siret))
    assert refused.value.company.id == existing.id
    companies.request_to_join(existing, "Léa Nouvelle", "lea@atelier-test.fr", "Bonjour")
    [mail] = db.session.scalars(select(OutboxMessage)).all()
    assert mail.recipient == "membre@atelier-test.fr"
    # The mail only says a request waits; the members read it on their page.
    assert "lea@atelier-test.fr" not in mail.body_text and "Léa" not in mail.subject
    assert "/structure/membres" in mail.body_text
    [waiting] = companies.join_requests(member)
    assert (waiting.name, waiting.email, waiting.message) == (
        "Léa Nouvelle", "lea@atelier-test.fr", "Bonjour")


def test_invitation_link_creates_a_member_once(app):
    company = make_company()
    inviter = make_user(Role.COMPANY, "membre@atelier-test.fr", company=company)
    token = companies.invite_member(inviter, "Nouveau@Atelier-Test.fr")
    mail = db.session.scalar(select(OutboxMessage))
    assert mail.recipient == "nouveau@atelier-test.fr" and token in mail.body_text
    member = companies.accept_invitation(token, "Nour Nouveau", "un mot de passe solide")
    assert member.company_id == company.id and member.role == Role.COMPANY
    with pytest.raises(ServiceError, match="plus valable"):
        companies.accept_invitation(token, "Nour Nouveau", "un mot de passe solide")
    with pytest.raises(ServiceError, match="plus valable"):
        companies.read_invitation(token[:-2] + "xx")


def test_approve_and_reject_are_journaled_and_mailed(app):
    steering = make_user(Role.STEERING, "pilotage@vm-test.fr")
    company = make_company(state=CompanyState.PENDING)
    with pytest.raises(ServiceError, match="raison"):
        companies.reject_company(steering, company, "")
    companies.reject_company(steering, company, "SIRET d'un autre établissement")
    assert company.state == CompanyState.REJECTED
    companies.approve_company(steering, company)
    assert company.state == CompanyState.VALIDATED and company.validated_at is not None
    actions = db.session.scalars(select(JournalEntry.action).where(
        JournalEntry.action.like("company.%")).order_by(JournalEntry.id)).all()
    assert actions == ["company.rejected", "company.approved"]
    subjects = db.session.scalars(select(OutboxMessage.subject).order_by(OutboxMessage.id)).all()
    assert "pas validée" in subjects[0] and "validée" in subjects[1]
    assert "SIRET d'un autre" in db.session.scalar(select(OutboxMessage.body_text))


def test_charter_declaration_checks_the_evidence_and_stores_it_privately(app):
    company = make_company(charter_status=CharterStatus.NONE)
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company=company)
    with pytest.raises(ServiceError, match="PDF"):
        companies.declare_charter(member, dt.date(2024, 5, 1), None, b"MZ\x90\x00 not a pdf")
    with pytest.raises(ServiceError, match="preuve"):
        companies.declare_charter(member, dt.date(2024, 5, 1), "", None)
    with pytest.raises(ServiceError, match="5 Mo"):
        companies.declare_charter(member, dt.date(2024, 5, 1), None, PDF + b"0" * 5_300_000)
    companies.declare_charter(member, dt.date(2024, 5, 1), None, PDF)
    assert company.charter_status == CharterStatus.DECLARED
    path = companies.evidence_path(company)
    assert path is not None and path.read_bytes() == PDF
    assert "static" not in str(path)


def test_signatories_import_flags_matches_by_siret_or_normalised_name(app):
    steering = make_user(Role.STEERING, "pilotage@vm-test.fr")
    by_siret = make_company(charter_status=CharterStatus.NONE)
    by_name = make_company(siret="35600000010000", name="Énergies du Hainaut SAS",
                           charter_status=CharterStatus.NONE)
    unlisted = make_company(siret="35600000000048", name="Absente",
                            charter_status=CharterStatus.NONE)
    data = (b"siret;nom\n73282932000074;Atelier\n;ENERGIES DU HAINAUT\n;Inconnue\n"
            )
    report = companies.import_charter_signatories(steering, data)
    assert [(m.company.id, m.matched_on) for m in report.matches] == [
        (by_siret.id, "siret"), (by_name.id, "nom")]
    assert report.unmatched == 1
    assert by_name.charter_status == CharterStatus.VERIFIED
    assert unlisted.charter_status == CharterStatus.NONE


def test_only_the_steering_group_marks_a_charter_verified_once(app):
    steering = make_user(Role.STEERING, "pilotage@vm-test.fr")
    company = make_company(charter_status=CharterStatus.DECLARED)
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company=company)
    with pytest.raises(ServiceError):
        companies.verify_charter(member, company)
    assert company.charter_status == CharterStatus.DECLARED
    companies.verify_charter(steering, company)
    assert company.charter_status == CharterStatus.VERIFIED
    with pytest.raises(ServiceError, match="déjà vérifiée"):
        companies.verify_charter(steering, company)


@pytest.mark.committing  # side writes (throttle, rate counter, outbox)
def test_api_token_is_stored_hashed_and_refused_when_revoked_or_expired(app):
    steering = make_user(Role.STEERING, "pilotage@vm-test.fr")
    company = make_company()
    clear = companies.create_api_token(steering, company, "RH", None)
    db.session.commit()  # the rate limit is counted apart, on a connection of its own
    token = companies.authenticate_api_token(f"Bearer {clear}")
    assert token.token_hash != clear and len(token.token_hash) == 64
    token.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(ApiAuthError, match="expiré"):
        companies.authenticate_api_token(f"Bearer {clear}")
    token.expires_at = None
    companies.revoke_api_token(steering, token)
    with pytest.raises(ApiAuthError, match="révoqué"):
        companies.authenticate_api_token(f"Bearer {clear}")
    with pytest.raises(ApiAuthError, match="manquant"):
        companies.authenticate_api_token(None)


@pytest.mark.committing  # side writes (throttle, rate counter, outbox)
def test_api_rate_limit_is_a_fixed_window_per_token(app):
    app.config["API_RATE_LIMIT"] = 3
    steering = make_user(Role.STEERING, "pilotage@vm-test.fr")
    clear = companies.create_api_token(steering, make_company(), "RH", None)
    db.session.commit()  # the rate limit is counted apart, on a connection of its own
    for _ in range(3):
        companies.authenticate_api_token(f"Bearer {clear}")
    with pytest.raises(ApiAuthError) as refused:
        companies.authenticate_api_token(f"Bearer {clear}")
    assert refused.value.status == 429 and refused.value.retry_after >= 1


def test_members_cannot_be_a_second_account_for_the_same_email(app):
    company = make_company()
    inviter = make_user(Role.COMPANY, "membre@atelier-test.fr", company=company)
    with pytest.raises(ServiceError, match="existe déjà"):
        companies.invite_member(inviter, "membre@atelier-test.fr")
    assert db.session.scalar(select(User).where(User.email == "membre@atelier-test.fr"))


def test_steering_members_hear_of_each_new_structure(app):
    make_user(Role.STEERING, "pilotage@vm-test.fr")
    user = companies.sign_up_company(sign_up_data())
    # The steering member, and the newcomer (who signs in from that mail's link).
    [mail] = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == "pilotage@vm-test.fr")).all()
    assert user.company.name in mail.subject
    assert f"/pilotage/structures/{user.company_id}" in mail.body_text
