"""Roster CSV files, good and bad: every problem gets a clear answer, never a 500."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.models import Gender, Pupil, Role, User
from stagebourse.services.rosters import MAX_ROWS
from tests.factories import TEST_PASSWORD, first_school, make_pupil_user, make_user
from tests.personas import page_text
from tests.roster_csv import class_rows, roster_csv


@pytest.fixture
def teacher_client(client: FlaskClient) -> FlaskClient:
    make_user(Role.TEACHER, "prof@college-test.fr", school=first_school(),
              validated_at=dt.datetime.now(dt.UTC))
    client.post("/connexion", data={"email": "prof@college-test.fr", "password": TEST_PASSWORD})
    return client


def upload(client: FlaskClient, content: bytes) -> str:
    response = client.post("/professeur/import",
                           data={"file": (io.BytesIO(content), "classe.csv"), "level": "3e"},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    return page_text(response)


def pupil_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Pupil)) or 0


def test_template_download_has_every_column(teacher_client: FlaskClient):
    response = teacher_client.get("/professeur/import/modele.csv")
    assert response.mimetype == "text/csv"
    header = response.get_data(as_text=True).lstrip("\ufeff").splitlines()[0]
    assert header == "nom;prenom;date_naissance;classe;genre;email_responsable;qpv"


def test_comma_separated_file_with_optional_columns_is_read(teacher_client: FlaskClient):
    text = roster_csv([["Martin", "Léa", "2012-01-09", "3C", "fille", "parent@famille-test.fr",
                        "oui"]], sep=",",
                      header=("Nom", "Prénom", "Date de naissance", "Classe", "Sexe",
                              "email_responsable", "QPV"))
    page = upload(teacher_client, text.encode("utf-8"))
    assert "1 ligne(s) lue(s) : 1 valide(s), 0 avec une erreur" in page
    payload = re.search(r'name="payload" type="hidden" value="([^"]+)"', page).group(1)
    teacher_client.post("/professeur/import/confirmer",
                        data={"payload": payload, "level": "3e", "which": "all"})
    pupil = db.session.scalar(select(Pupil))
    assert (pupil.first_name, pupil.gender, pupil.qpv_resident, pupil.guardian_email) == (
        "Léa", Gender.FEMALE, True, "parent@famille-test.fr")
    assert pupil.user is not None and pupil.user.access_code_hash is None


def test_wrong_separator_is_explained(teacher_client: FlaskClient):
    page = upload(teacher_client, b"nom|prenom|date_naissance|classe\nA|B|01/01/2012|3A\n")
    assert "séparées par des points-virgules (;) ou des virgules (,)" in page
    assert pupil_count() == 0


def test_windows_1252_file_is_decoded_and_said_so(teacher_client: FlaskClient):
    text = roster_csv([["Lefèvre", "Noé", "03/04/2012", "3A"]])
    page = upload(teacher_client, text.encode("cp1252"))
    assert "lu comme un CSV Windows (Windows-1252" in page
    assert "Lefèvre" in page and "Noé" in page


def test_utf16_file_is_refused_with_how_to_save_as_utf8(teacher_client: FlaskClient):
    page = upload(teacher_client, roster_csv(class_rows(2)).encode("utf-16"))
    assert "« CSV UTF-8" in page
    assert pupil_count() == 0


def test_missing_column_is_named(teacher_client: FlaskClient):
    page = upload(teacher_client, b"nom;prenom;classe\nA;B;3A\n")
    assert "Colonne(s) manquante(s) : « date_naissance » (date de naissance)" in page
    assert "Colonnes trouvées : « nom », « prenom », « classe »" in page


def test_five_thousand_rows_are_refused_with_the_limit(teacher_client: FlaskClient):
    page = upload(teacher_client, roster_csv(class_rows(5000)).encode())
    assert f"5000 lignes d'élèves ; la limite est de {MAX_ROWS} par fichier" in page
    assert pupil_count() == 0


def test_bad_values_are_reported_by_line_and_column(teacher_client: FlaskClient):
    make_pupil_user(first_school(), first_name="Inès", last_name="Déjà", class_name="3A",
                    birth_date=dt.date(2012, 2, 2))
    rows = [["Déjà", "Inès", "02/02/2012", "3B"], ["Bon", "Élève", "1/2/2012", "3B", "Z"],
            ["", "Sans", "12/12/2012", "3B", ""], ["Vieux", "Trop", "01/01/1990", "3B", ""],
            ["Valide", "Yanis", "1/2/2012", "3B", "m"]]
    page = upload(teacher_client, roster_csv(rows, header=("nom", "prenom", "date_naissance",
                                                           "classe", "genre")).encode())
    assert "déjà inscrit dans l'établissement (classe 3A)" in page
    assert "« Z » n'est pas reconnu : écrivez F, M ou X" in page
    assert re.search(r">4</th><td>nom</td><td>vide", page)
    assert "donne un âge de" in page
    # All or nothing: the import button only offers the valid rows.
    assert "Importer seulement les 1 lignes valides" in page


def test_import_all_is_refused_when_the_file_has_errors(teacher_client: FlaskClient):
    import base64

    text = roster_csv([["A", "B", "pas une date", "3A"], ["C", "D", "01/01/2012", "3A"]])
    payload = base64.b64encode(text.encode()).decode()
    page = page_text(teacher_client.post(
        "/professeur/import/confirmer", data={"payload": payload, "level": "3e", "which": "all"},
        follow_redirects=True))
    assert "Le fichier contient 1 erreur(s)" in page
    assert pupil_count() == 0
    teacher_client.post("/professeur/import/confirmer",
                        data={"payload": payload, "level": "3e", "which": "valid"})
    assert pupil_count() == 1


def test_tampered_preview_payload_asks_to_upload_again(teacher_client: FlaskClient):
    page = page_text(teacher_client.post(
        "/professeur/import/confirmer", data={"payload": "@@@", "level": "3e"},
        follow_redirects=True))
    assert "L'aperçu a expiré" in page


def test_unvalidated_teacher_cannot_import(client: FlaskClient):
    make_user(Role.TEACHER, "nouveau@college-test.fr", school=first_school())
    client.post("/connexion", data={"email": "nouveau@college-test.fr",
                                    "password": TEST_PASSWORD})
    page = page_text(client.get("/professeur/import", follow_redirects=True))
    assert "Votre compte attend la validation" in page
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
