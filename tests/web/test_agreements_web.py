"""Agreement pages: the personal signing link, the school's and the host's boards, steering."""

from __future__ import annotations

import datetime as dt
import io

import itsdangerous.timed
import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    Agreement,
    AgreementSettings,
    AgreementState,
    OutboxMessage,
    Party,
    Role,
)
from stagebourse.services import agreements
from tests.factories import first_school, make_teacher, make_user, scan_pdf
from tests.personas import login_as, page_text
from tests.scenarios import (
    AGREEMENT_TEACHER,
    GUARDIAN,
    HEAD,
    drafted,
    last_code,
    sent,
    sign_by_code,
)

pytestmark = pytest.mark.database

HOST = "contact@atelier-test.fr"


def link(agreement: Agreement, party: Party) -> str:
    return f"/convention/{agreements.make_token(agreement, party)}"


def sign_through_pages(client: FlaskClient, agreement: Agreement, party: Party,
                       address: str, name: str = "") -> None:
    url = link(agreement, party)
    response = client.post(f"{url}/code", follow_redirects=True)
    assert f"vient d'être envoyé à {address}" in page_text(response)
    response = client.post(url, data={"code": last_code(address), "signer_name": name},
                           follow_redirects=True)
    assert "Votre signature est enregistrée" in page_text(response), page_text(response)


def test_four_parties_sign_through_their_links_and_the_pdf_shows_them(app, client):
    agreement, _teacher = sent()
    response = client.get(link(agreement, Party.HOST))
    assert response.status_code == 200
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    text = page_text(response)
    assert "Atelier Test" in text and "Mme Claire Principale" in text and "39 28" in text
    sign_through_pages(client, agreement, Party.SCHOOL, HEAD)
    sign_through_pages(client, agreement, Party.HOST, HOST)
    sign_through_pages(client, agreement, Party.PUPIL, GUARDIAN)
    sign_through_pages(client, agreement, Party.GUARDIAN, GUARDIAN, name="Nadia Martin")
    db.session.refresh(agreement)
    assert agreement.state == AgreementState.SIGNED
    response = client.get(f"{link(agreement, Party.GUARDIAN)}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(
        io.BytesIO(response.data)).pages).split())
    for name in ("Mme Claire Principale", "Camille Contact", "Inès Martin", "Nadia Martin"):
        assert text.count(name) >= 2, name  # in the parties and on the signature page


@pytest.mark.committing  # a wrong code is counted by side writes (throttle, attempts)
def test_wrong_code_is_refused_with_a_clear_message(app, client):
    agreement, _ = sent()
    url = link(agreement, Party.HOST)
    client.post(f"{url}/code")
    good = last_code(HOST)
    response = client.post(url, data={"code": f"{(int(good) + 1) % 10**6:06d}"})
    assert response.status_code == 422
    assert "Ce code n'est pas le bon" in page_text(response)


def test_reused_code_is_refused_with_a_clear_message(app, client):
    agreement, _ = sent()
    url = link(agreement, Party.PUPIL)
    client.post(f"{url}/code")
    code = last_code(GUARDIAN)
    client.post(url, data={"code": code})
    guardian_url = link(agreement, Party.GUARDIAN)
    response = client.post(guardian_url, data={"code": code, "signer_name": "N. Martin"})
    assert response.status_code == 422
    assert "Ce code a été envoyé à l'élève" in page_text(response)


def test_expired_link_answers_410_with_a_clear_message(app, client, monkeypatch):
    agreement, _ = sent()
    url = link(agreement, Party.HOST)
    later = int(dt.datetime.now(dt.UTC).timestamp()) + 40 * 86400
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp",
                        lambda self: later)
    response = client.get(url)
    assert response.status_code == 410
    assert "Ce lien de signature a expiré" in page_text(response)


def test_cut_link_answers_400(app, client):
    agreement, _ = sent()
    response = client.get(link(agreement, Party.HOST)[:-4])
    assert response.status_code == 400
    assert "Ce lien n'est pas valide" in page_text(response)


def test_link_opened_by_another_signed_in_person_is_refused(app, client):
    agreement, _ = sent()
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company_id=agreement.company_id)
    login_as(client, member)
    assert client.get(link(agreement, Party.HOST)).status_code == 200
    response = client.get(link(agreement, Party.GUARDIAN))
    assert response.status_code == 403
    assert "Ce lien est personnel" in page_text(response)
    response = client.post(f"{link(agreement, Party.GUARDIAN)}/code")
    assert response.status_code == 403


def test_teacher_sets_defaults_prepares_and_sends(app, client):
    agreement = drafted()
    db.session.delete(db.session.scalars(select(AgreementSettings)).one())
    db.session.commit()
    teacher = make_teacher(AGREEMENT_TEACHER)
    login_as(client, teacher)
    response = client.get("/professeur/conventions/parametres")
    assert response.status_code == 200
    response = client.post("/professeur/conventions/parametres", data={
        "campaign": str(agreement.campaign_id), "head_name": "M. Paul Proviseur",
        "head_title": "Principal", "signatory_email": "ce@college-test.fr",
        "insurer": "MAE", "insurance_policy": "", "delegation": "", "school_address": ""},
        follow_redirects=True)
    assert "Paramètres enregistrés" in page_text(response)
    db.session.refresh(agreement)
    assert agreement.content["school"]["head_name"] == "M. Paul Proviseur"
    response = client.post(f"/professeur/conventions/{agreement.id}/envoyer",
                           data={"confirm": "1"}, follow_redirects=True)
    assert "Convention envoyée pour signature" in page_text(response)
    assert db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.recipient == "ce@college-test.fr")) is not None


def test_teacher_board_filters_by_waiting_party_and_exports(app, client):
    agreement, teacher = sent()
    sign_by_code(agreement, Party.HOST)
    login_as(client, teacher)
    text = page_text(client.get("/professeur/conventions?etat=to_sign&attente=guardian"))
    assert "Inès Martin" in text
    text = page_text(client.get("/professeur/conventions?attente=host"))
    assert "Inès Martin" not in text
    response = client.get("/professeur/conventions?format=csv")
    assert response.mimetype == "text/csv"
    assert "Inès Martin" in response.get_data(as_text=True)


def test_change_after_a_signature_is_announced_on_the_page(app, client):
    agreement, teacher = sent()
    sign_by_code(agreement, Party.GUARDIAN, name="Nadia Martin")
    login_as(client, teacher)
    data = dict(agreement.content["school"])
    data["insurer"] = "MAE"
    response = client.post(f"/professeur/conventions/{agreement.id}/corriger", data=data,
                           follow_redirects=True)
    assert "elles sont annulées" in page_text(response)
    db.session.refresh(agreement)
    assert agreements.active_signatures(agreement) == {}


def test_teacher_uploads_a_paper_signature_and_bad_files_are_refused(app, client):
    agreement, teacher = sent(guardian_email=None)
    login_as(client, teacher)
    url = f"/professeur/conventions/{agreement.id}/papier"
    response = client.post(url, data={"party": "guardian", "signer_name": "N. Martin",
                                      "scan": (io.BytesIO(b"not an image"), "scan.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "pas un PDF lisible" in page_text(response)
    scan = scan_pdf()
    response = client.post(url, data={"party": "guardian", "signer_name": "N. Martin",
                                      "scan": (io.BytesIO(scan), "scan.pdf")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "Signature sur papier enregistrée" in page_text(response)
    signature = agreements.active_signatures(agreement)[Party.GUARDIAN]
    response = client.get(f"/professeur/conventions/{agreement.id}/scan/{signature.id}")
    assert response.data == scan
    response.close()


def test_teacher_of_another_school_gets_404(app, client):
    agreement, _ = sent()
    stranger = make_user(Role.TEACHER, "autre@college-test.fr", school=first_school(index=1),
                         validated_at=dt.datetime.now(dt.UTC))
    login_as(client, stranger)
    assert client.get(f"/professeur/conventions/{agreement.id}").status_code == 404


def test_host_sees_its_own_agreements_and_corrects_its_part(app, client):
    agreement, _ = sent()
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company_id=agreement.company_id)
    login_as(client, member)
    assert "Inès Martin" in page_text(client.get("/structure/conventions"))
    assert client.get("/structure/conventions?format=csv").mimetype == "text/csv"
    data = dict(agreement.content["host"])
    data["representative_title"] = "Gérante"
    response = client.post(f"/structure/conventions/{agreement.id}/corriger", data=data,
                           follow_redirects=True)
    assert "Correction enregistrée" in page_text(response)
    db.session.refresh(agreement)
    assert agreement.content["host"]["representative_title"] == "Gérante"
    assert agreement.version == 2
    pdf = client.get(f"/structure/conventions/{agreement.id}/pdf")
    assert pdf.data.startswith(b"%PDF")


def test_another_host_gets_404(app, client):
    from tests.factories import make_company

    agreement, _ = sent()
    other = make_company(siret="35600000000048", name="Autre structure")
    login_as(client, make_user(Role.COMPANY, "x@autre-test.fr", company=other))
    assert client.get(f"/structure/conventions/{agreement.id}").status_code == 404


def test_steering_sees_the_share_signed_before_the_first_day(app, client):
    agreement, _ = sent()
    for party in Party:
        sign_by_code(agreement, party, name="Nadia Martin")
    login_as(client, make_user(Role.STEERING, "pilotage@agglo-test.fr"))
    text = page_text(client.get("/pilotage/conventions?jours=10"))
    assert "Signées à J-10" in text and "1 (100 %)" in text
    csv = client.get("/pilotage/conventions?jours=10&format=csv").get_data(as_text=True)
    assert "signées à J-10" in csv


def test_remind_command_is_idempotent(app):
    agreement, _ = sent()
    runner = app.test_cli_runner()
    day = (agreement.first_day - dt.timedelta(days=2)).isoformat()
    first = runner.invoke(args=["agreements", "remind", "--today", day])
    assert "4 rappel(s)" in first.output, first.output
    again = runner.invoke(args=["agreements", "remind", "--today", day])
    assert "0 rappel(s)" in again.output


def test_a_change_during_reading_is_refused_until_the_new_version_is_read(app, client):
    agreement, teacher = sent()
    url = link(agreement, Party.HOST)
    assert 'name="version" type="hidden" value="1"' in page_text(client.get(url))
    client.post(f"{url}/code")
    code = last_code(HOST)
    agreements.correct(teacher, agreement, Party.SCHOOL, {"delegation": "Par délégation"})
    response = client.post(url, data={"code": code, "version": "1"})
    assert response.status_code == 422
    assert "modifiée pendant votre lecture" in page_text(response)
    assert 'value="2"' in page_text(response)
