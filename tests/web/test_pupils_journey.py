"""Issue 6 "done when": a teacher enters a class, prints codes, records consents; a pupil ranks
five wishes and confirms; the deadline freezes the request; other schools see nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.models import JournalEntry, Pupil, Request, RequestState, Role, User
from tests.factories import (
    TEST_PASSWORD,
    UPCOMING_CAMPAIGN,
    UPCOMING_WEEK,
    first_school,
    make_campaign,
    make_offer,
    make_user,
)
from tests.personas import page_text
from tests.roster_csv import class_rows, roster_csv

CODE_RE = re.compile(r'<p class="slip-code">([A-Z0-9-]+)</p>')


def sign_in(client: FlaskClient, user: User) -> None:
    response = client.post("/connexion", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302


def upload(client: FlaskClient, content: bytes, name: str = "classe.csv"):
    import io

    return client.post("/professeur/import", data={"file": (io.BytesIO(content), name),
                                                   "level": "3e"},
                       content_type="multipart/form-data")


@pytest.fixture
def teacher(app) -> User:
    return make_user(Role.TEACHER, "prof@college-test.fr", school=first_school(),
                     validated_at=dt.datetime.now(dt.UTC))


@pytest.fixture
def other_teacher(app) -> User:
    return make_user(Role.TEACHER, "autre@college-test.fr", school=first_school(index=1),
                     validated_at=dt.datetime.now(dt.UTC))


def test_class_of_28_imported_printed_consented_then_a_pupil_ranks_five_wishes(
        client: FlaskClient, teacher: User, other_teacher: User):
    from tests.factories import make_company

    school = teacher.school
    campaign = make_campaign([school], **UPCOMING_CAMPAIGN)
    company = make_company()
    offer = make_offer(company, sector_code="sante", title="Aide-soignant d'un jour",
                       seats={UPCOMING_WEEK: 2})

    # 1. Import: 28 good rows, one impossible date (line 6), one duplicate of line 3 (line 31).
    rows = class_rows(28)
    rows.insert(4, ["Dupuis", "Karim", "31/02/2012", "3B"])
    rows.append(list(rows[1]))
    sign_in(client, teacher)
    page = page_text(upload(client, roster_csv(rows).encode("utf-8-sig")))
    assert "30 ligne(s) lue(s) : 28 valide(s), 2 avec une erreur" in page
    assert re.search(r">6</th><td>date de naissance</td><td>« 31/02/2012 » n'est pas une date",
                     page)
    assert re.search(r">31</th><td>nom</td><td>doublon de la ligne 3", page)
    payload = re.search(r'name="payload" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/professeur/import/confirmer",
                           data={"payload": payload, "level": "3e", "which": "valid"})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Pupil)) == 28

    # 2. Print the codes of every pupil who has none yet: 28 slips with a QR code.
    page = page_text(client.post("/professeur/classes/3B/codes", data={"which": "missing"}))
    codes = CODE_RE.findall(page)
    assert len(codes) == 28 and len(set(codes)) == 28
    assert 'src="data:image/svg+xml' in page
    assert "http://stagebourse.test/connexion/eleve" in page

    # 3. Record every guardian's consent.
    pupils = db.session.scalars(select(Pupil).order_by(Pupil.id)).all()
    for pupil in pupils:
        response = client.post(f"/professeur/eleves/{pupil.id}/consentement",
                               data={"consent_on": dt.date.today().isoformat(),
                                     "method": "paper"})
        assert response.status_code == 302
    db.session.expire_all()
    assert all(p.consent_on == dt.date.today() for p in pupils)
    board = page_text(client.get("/professeur/classes/3B?etat=no_consent"))
    assert "0 élève" in board

    # 4. A teacher of another school gets 404 on these pupils and their class.
    client.post("/deconnexion")
    sign_in(client, other_teacher)
    target = pupils[0].id
    for url in (f"/professeur/eleves/{target}", f"/professeur/eleves/{target}/demande",
                "/professeur/classes/3B", "/professeur/classes/3B/export.csv"):
        assert client.get(url).status_code == 404, url
    for url in (f"/professeur/eleves/{target}/code", f"/professeur/eleves/{target}/consentement",
                f"/professeur/eleves/{target}/demande/add-sector"):
        assert client.post(url, data={"sector_code": "sante"}).status_code == 404, url
    client.post("/deconnexion")

    # 5. The pupil signs in with the printed code and ranks five wishes.
    slip_owner = codes[0]
    response = client.post("/connexion/eleve", data={"code": slip_owner.lower()})
    assert response.status_code == 302
    for sector in ("commerce", "numerique", "sport", "batiment"):
        response = client.post("/eleve/demande/add-sector", data={"sector_code": sector})
        assert response.status_code == 302
    client.post("/eleve/demande/add-offer", data={"offer_id": str(offer.id)})
    page = page_text(client.post("/eleve/demande/add-sector", data={"sector_code": "droit"},
                                 follow_redirects=True))
    assert "Tu as déjà 5 vœux, c'est le maximum" in page
    client.post("/eleve/demande/voeux/5/up")  # the offer goes from 5th to 4th
    client.post("/eleve/demande/preferences", data={"max_travel_km": "12", "has_network": "non"})
    page = page_text(client.post("/eleve/demande/confirm", follow_redirects=True))
    assert "Ta demande est confirmée" in page
    me = db.session.scalar(select(User).where(User.access_code_hash.is_not(None),
                                              User.last_login_at.is_not(None)))
    request = db.session.scalar(select(Request).where(Request.pupil_id == me.pupil_id))
    assert request.state == RequestState.CONFIRMED
    assert request.has_network is False
    assert [(w.rank, w.sector_code, w.offer_id) for w in request.wishes] == [
        (1, "commerce", None), (2, "numerique", None), (3, "sport", None),
        (4, None, offer.id), (5, "batiment", None)]

    # 6. After the deadline the request is frozen, and the services refuse any change.
    campaign.requests_deadline = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    page = page_text(client.get("/eleve/demande"))
    assert "La date limite est passée : la demande est figée" in page
    assert "Monter" not in page
    page = page_text(client.post("/eleve/demande/voeux/1/remove", follow_redirects=True))
    assert "La date limite" in page and "est passée" in page
    db.session.expire_all()
    assert len(request.wishes) == 5
    assert db.session.scalar(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.action == "request.wish_removed")) == 0


@pytest.mark.committing  # side writes (throttle, rate counter, outbox)
def test_regenerated_code_voids_the_old_one(client: FlaskClient, teacher: User):
    from tests.factories import make_pupil_user

    pupil_user = make_pupil_user(teacher.school, code="VIEU-XCOD-E123")
    sign_in(client, teacher)
    page = page_text(client.post(f"/professeur/eleves/{pupil_user.pupil_id}/code"))
    new_code = CODE_RE.findall(page)[0]
    client.post("/deconnexion")
    page = page_text(client.post("/connexion/eleve", data={"code": "VIEU-XCOD-E123"}))
    assert "Ce code ne fonctionne pas" in page
    assert client.post("/connexion/eleve", data={"code": new_code}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.action == "pupil.code_regenerated")) == 1


def test_unknown_offer_id_gets_a_clear_refusal(client: FlaskClient, teacher: User):
    from tests.factories import make_pupil_user

    make_campaign([teacher.school], **UPCOMING_CAMPAIGN)
    make_pupil_user(teacher.school)
    client.post("/connexion/eleve", data={"code": "TEST-CODE-0001"})
    page = page_text(client.post("/eleve/demande/add-offer", data={"offer_id": "999999"},
                                 follow_redirects=True))
    assert "L'offre n°999999 n'existe pas ou n'est plus proposée" in page
    page = page_text(client.post("/eleve/demande/add-offer", data={"offer_id": "abc"},
                                 follow_redirects=True))
    assert "Cette offre n'existe pas" in page
