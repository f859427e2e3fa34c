"""Paper signatures: a teacher records on paper only what is signed at school (the pupil, the
guardian); the school and the host sign by link, and a host's paper signature counts only
once the steering group has checked its scan. A scan is a real PDF, within the size limit."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient

from stagebourse.extensions import db
from stagebourse.models import AgreementState, Party, Role, SignatureMethod
from stagebourse.services import ServiceError, agreements
from tests.factories import make_company, make_user, scan_pdf
from tests.personas import login_as, page_text
from tests.scenarios import sent, sign_by_code

pytestmark = pytest.mark.database

FAKE_PDF = b"%PDF-1.4 signed."  # 16 bytes: the right magic, nothing behind it


def post_paper(client: FlaskClient, url: str, data: bytes, **fields: str):
    return client.post(url, data={**fields, "scan": (io.BytesIO(data), "scan.pdf")},
                       content_type="multipart/form-data", follow_redirects=True)


def teacher_url(agreement) -> str:
    return f"/professeur/conventions/{agreement.id}/papier"


def host_url(agreement) -> str:
    return f"/structure/conventions/{agreement.id}/papier"


@pytest.mark.parametrize("party", [Party.HOST, Party.SCHOOL])
def test_teacher_cannot_record_the_host_or_the_school_on_paper(app: Flask, client, party):
    agreement, teacher = sent()
    login_as(client, teacher)
    response = post_paper(client, teacher_url(agreement), scan_pdf(), party=party.value)
    assert response.status_code == 422
    with pytest.raises(ServiceError, match="signent avec leur lien personnel"):
        agreements.record_paper_signature(teacher, agreement, party, "Quelqu'un", scan_pdf())
    db.session.rollback()
    db.session.refresh(agreement)
    assert agreements.active_signatures(agreement) == {}


def test_a_16_byte_fake_pdf_is_refused(app: Flask, client):
    assert len(FAKE_PDF) == 16
    agreement, teacher = sent(guardian_email=None)
    login_as(client, teacher)
    response = post_paper(client, teacher_url(agreement), FAKE_PDF, party="guardian",
                          signer_name="Nadia Martin")
    assert response.status_code == 422
    assert "n'est pas un PDF lisible" in page_text(response)
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company_id=agreement.company_id)
    host = app.test_client()
    login_as(host, member)
    response = post_paper(host, host_url(agreement), FAKE_PDF)
    assert response.status_code == 422
    assert "n'est pas un PDF lisible" in page_text(response)
    db.session.refresh(agreement)
    assert agreements.active_signatures(agreement) == {}
    assert agreements.pending_host_scan(agreement) is None


def test_a_pdf_without_pages_and_an_oversize_scan_are_refused(app: Flask, client):
    agreement, teacher = sent(guardian_email=None)
    login_as(client, teacher)
    response = post_paper(client, teacher_url(agreement), scan_pdf(pages=0), party="pupil")
    assert response.status_code == 422
    assert "aucune page" in page_text(response) or "pas un PDF lisible" in page_text(response)
    big = scan_pdf(pages=3)
    app.config["AGREEMENT_SCAN_MAX_BYTES"] = len(big) - 1
    response = post_paper(client, teacher_url(agreement), big, party="pupil")
    assert response.status_code == 422
    assert "Ce fichier dépasse" in page_text(response)
    app.config["AGREEMENT_SCAN_MAX_BYTES"] = len(big)
    response = post_paper(client, teacher_url(agreement), big, party="pupil")
    assert "Signature sur papier enregistrée" in page_text(response)


def test_host_scan_waits_for_the_steering_group_which_validates_it(app: Flask, client):
    agreement, teacher = sent(guardian_email=None)
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company_id=agreement.company_id)
    login_as(client, member)
    scan = scan_pdf()
    response = post_paper(client, host_url(agreement), scan)
    assert "Le groupe de pilotage le vérifie" in page_text(response)
    db.session.commit()
    db.session.refresh(agreement)
    assert Party.HOST not in agreements.active_signatures(agreement)
    page = page_text(client.get(f"/structure/conventions/{agreement.id}"))
    assert "attend la vérification du groupe de pilotage" in page
    # A second scan while the first waits is refused.
    response = post_paper(client, host_url(agreement), scan)
    assert response.status_code == 422 and "attend déjà" in page_text(response)

    steering = app.test_client()
    login_as(steering, make_user(Role.STEERING, "pilotage@test.fr"))
    listing = page_text(steering.get("/pilotage/conventions/scans"))
    assert "Atelier Test" in listing and "Inès Martin" in listing
    pending = agreements.pending_host_scan(agreement)
    assert pending is not None
    response = steering.get(f"/pilotage/conventions/scans/{pending.id}/fichier")
    assert response.data == scan
    response.close()
    response = steering.post(f"/pilotage/conventions/scans/{pending.id}/valider", data={},
                             follow_redirects=True)
    assert "Signature de la structure validée" in page_text(response)
    db.session.commit()
    db.session.refresh(agreement)
    host_signature = agreements.active_signatures(agreement)[Party.HOST]
    assert host_signature.method == SignatureMethod.PAPER

    # The rest: the family at school on paper, the school by its link.
    school = app.test_client()
    login_as(school, teacher)
    for party in ("pupil", "guardian"):
        response = post_paper(school, teacher_url(agreement), scan_pdf(), party=party,
                              signer_name="Nadia Martin")
        assert "Signature sur papier enregistrée" in page_text(response)
    sign_by_code(agreement, Party.SCHOOL)
    db.session.refresh(agreement)
    assert agreement.state == AgreementState.SIGNED


def test_steering_refuses_a_host_scan_with_a_reason_the_host_reads(app: Flask, client):
    agreement, _teacher = sent(guardian_email=None)
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company_id=agreement.company_id)
    login_as(client, member)
    post_paper(client, host_url(agreement), scan_pdf())
    db.session.commit()
    pending = agreements.pending_host_scan(agreement)
    assert pending is not None
    steering = app.test_client()
    login_as(steering, make_user(Role.STEERING, "pilotage@test.fr"))
    url = f"/pilotage/conventions/scans/{pending.id}/refuser"
    response = steering.post(url, data={})
    assert response.status_code == 422
    response = steering.post(url, data={f"scan{pending.id}-reason": "Signature illisible"},
                             follow_redirects=True)
    assert "Scan refusé" in page_text(response)
    db.session.commit()
    db.session.refresh(agreement)
    assert Party.HOST not in agreements.active_signatures(agreement)
    page = page_text(client.get(f"/structure/conventions/{agreement.id}"))
    assert "Signature illisible" in page and "Envoyer le scan" in page


def test_another_structure_cannot_upload_a_scan(app: Flask, client):
    agreement, _teacher = sent(guardian_email=None)
    other = make_user(Role.COMPANY, "membre@autre-test.fr",
                      company=make_company(siret="44306184100047", name="Autre Atelier"))
    login_as(client, other)
    response = post_paper(client, host_url(agreement), scan_pdf())
    assert response.status_code == 404
    assert agreements.pending_host_scan(agreement) is None
