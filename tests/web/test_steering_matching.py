"""Matching rounds in the browser (test client): run, progress, compare, audit, publish, answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from stagebourse.cli.matching import matching as matching_cli
from stagebourse.cli.worker import run_next_job
from stagebourse.extensions import db
from stagebourse.models import (
    AssignmentState,
    MatchingRun,
    OutboxMessage,
    Role,
    RunState,
    User,
)
from stagebourse.services import matching
from stagebourse.services.matching import RunOptions
from tests.factories import TEST_PASSWORD, give_access_code, make_user
from tests.personas import login_as, page_text
from tests.scenarios import demo_campaign


def run_queued_jobs() -> None:
    """What ``stagebourse worker`` does with the runs the page queued (its own code, here)."""
    while run_next_job("test-worker") is not None:
        pass
    db.session.expire_all()


def sign_in(client, user: User) -> None:
    response = client.post("/connexion", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302


@pytest.mark.committing  # the runs solve in background threads
def test_steering_runs_compares_audits_and_publishes_from_the_web(client, app) -> None:
    steering, campaign = demo_campaign()
    # The demo's steering account has the demo password; use a test account instead.
    member = make_user(Role.STEERING, "pilote@metropole-test.fr")
    sign_in(client, member)
    page = page_text(client.get(f"/pilotage/campagnes/{campaign.id}/tours"))
    assert "Lancer un essai" in page
    for seed, km in (("31", "10"), ("32", "40")):
        response = client.post(f"/pilotage/campagnes/{campaign.id}/tours", data={
            "round_number": "1", "rank_cost_1": "0", "rank_cost_2": "100",
            "rank_cost_3": "220", "rank_cost_4": "360", "rank_cost_5": "520",
            "km_cost": km, "unranked_cost": "1000", "seed": seed})
        assert response.status_code == 302 and "/progression" in response.location
        progress = page_text(client.get(response.location + "?stay=1"))
        # Nothing is computed in the web process: the run waits for the worker.
        assert "<progress" in progress and "En attente du service de calcul…" in progress
        assert 'http-equiv="refresh"' in progress
        run_queued_jobs()
    runs = list(db.session.scalars(select(MatchingRun).order_by(MatchingRun.id)))
    assert [r.state for r in runs] == [RunState.DONE, RunState.DONE]
    assert [r.seed for r in runs] == [31, 32]
    finished = page_text(client.get(f"/pilotage/tours/{runs[0].id}/progression?stay=1"))
    assert 'http-equiv="refresh"' not in finished and "100 %" in finished

    compare = page_text(client.get(
        f"/pilotage/campagnes/{campaign.id}/comparer?run={runs[0].id}&run={runs[1].id}"))
    assert f"Essai n° {runs[0].id}" in compare and f"Essai n° {runs[1].id}" in compare
    assert "Rang moyen obtenu" in compare
    csv = client.get(f"/pilotage/campagnes/{campaign.id}/comparer?run={runs[0].id}"
                     f"&run={runs[1].id}&format=csv")
    assert csv.mimetype == "text/csv"

    audit = page_text(client.get(f"/pilotage/tours/{runs[0].id}"))
    assert "<svg" in audit and "<title" in audit and "Premier arrivé" in audit
    assert "Réseau d'abord" in audit and "Genre et secteur" in audit
    assert "Aveuglement" in audit and "needs_accessible" in audit
    assert 'style="' not in audit and "<script" not in audit
    table = client.get(f"/pilotage/tours/{runs[0].id}?table=label-gender&format=csv")
    assert table.mimetype == "text/csv" and "Bourse (optimal)" in table.get_data(as_text=True)
    xlsx = client.get(f"/pilotage/tours/{runs[0].id}/audit.xlsx")
    assert xlsx.data[:2] == b"PK"
    report = page_text(client.get(f"/pilotage/tours/{runs[0].id}?print=1"))
    assert "Rapport d'audit" in report and "Refaire le calcul" not in report

    response = client.post(f"/pilotage/tours/{runs[0].id}/reproduire", follow_redirects=True)
    assert "Identique" in page_text(response)

    response = client.post(f"/pilotage/tours/{runs[0].id}/publier", data={"confirm": "1"},
                           follow_redirects=True)
    assert "Tour publié" in page_text(response)
    db.session.expire_all()
    assert runs[0].state == RunState.PUBLISHED and runs[1].state == RunState.DISCARDED
    assert db.session.scalar(select(OutboxMessage.id).limit(1)) is not None
    response = client.post(f"/pilotage/tours/{runs[0].id}/publier", data={"confirm": "1"},
                           follow_redirects=True)
    assert "Seul un essai terminé" in page_text(response)


def test_company_sees_a_blind_proposal_confirms_and_sees_the_name_after_both(client, app
                                                                           ) -> None:
    steering, campaign = demo_campaign()
    run = matching.run_round(steering, campaign, RunOptions(seed=41))
    matching.publish(steering, run)
    assignment = run.assignments[0]
    member = make_user(Role.COMPANY, "accueil@structure-test.fr",
                       company_id=assignment.offer.company_id)
    sign_in(client, member)
    pupil = assignment.pupil
    for url in ("/structure/accueils", "/structure/accueils?format=csv"):
        page = page_text(client.get(url))
        assert pupil.last_name not in page and pupil.school.name not in page
    response = client.post(f"/structure/accueils/{assignment.id}/accept",
                           follow_redirects=True)
    assert "Accueil confirmé" in page_text(response)
    assert assignment.company_confirmed_at is not None
    matching.answer_for_pupil(pupil.user, assignment, True)
    db.session.commit()
    page = page_text(client.get("/structure/accueils"))
    assert pupil.last_name in page and pupil.school.name in page
    # Another structure's assignment is out of reach.
    foreign = next(a for a in run.assignments
                   if a.offer.company_id != assignment.offer.company_id)
    assert client.post(f"/structure/accueils/{foreign.id}/decline").status_code == 404


def test_pupil_and_teacher_answer_for_a_published_assignment(client, app) -> None:
    steering, campaign = demo_campaign()
    run = matching.run_round(steering, campaign, RunOptions(seed=42))
    matching.publish(steering, run)
    first, second = run.assignments[0], next(
        a for a in run.assignments[1:] if a.pupil.school_id != run.assignments[0].pupil.school_id)
    pupil_user = db.session.scalar(select(User).where(User.pupil_id == first.pupil_id))
    give_access_code(pupil_user)
    login_as(client, pupil_user)
    page = page_text(client.get("/eleve/affectation"))
    assert first.offer.title in page and "J'accepte ce stage" in page
    # A decline goes through a confirmation step (no JavaScript) that says what follows.
    response = client.post(f"/eleve/affectation/{first.id}/decline", follow_redirects=True)
    page = page_text(response)
    assert "Refuser ce stage ?" in page and "ne seras pas placé·e dans les tours suivants" in page
    assert first.state == AssignmentState.PUBLISHED
    response = client.post(f"/eleve/affectation/{first.id}/decline", data={"confirm": "1"},
                           follow_redirects=True)
    page = page_text(response)
    assert "tu as refusé" in page and "Prochaine étape" in page
    assert first.state == AssignmentState.DECLINED and first.declined_by == "pupil"

    other = app.test_client()
    teacher = make_user(Role.TEACHER, "prof@college-test.fr", school_id=second.pupil.school_id,
                        validated_at=run.created_at)
    sign_in(other, teacher)
    page = page_text(other.get("/professeur/affectations"))
    assert second.pupil.last_name in page
    response = other.post(f"/professeur/affectations/{second.id}/accept",
                          follow_redirects=True)
    assert "Réponse enregistrée" in page_text(response)
    assert second.pupil_confirmed_at is not None
    assert other.post(f"/professeur/affectations/{first.id}/accept").status_code == 404
    third = next(a for a in run.assignments if a.pupil.school_id == second.pupil.school_id
                 and a.id != second.id)
    page = page_text(other.get(f"/professeur/affectations/{third.id}/refuser"))
    assert f"Si vous refusez pour {third.pupil.first_name}" in page
    response = other.post(f"/professeur/affectations/{third.id}/decline",
                          data={"confirm": "1"}, follow_redirects=True)
    assert "Prochaine étape" in page_text(response)
    assert third.state == AssignmentState.DECLINED and third.declined_by == "pupil"


def test_manual_change_from_the_web_keeps_the_input_when_refused(client, app) -> None:
    steering, campaign = demo_campaign()
    run = matching.run_round(steering, campaign, RunOptions(seed=43))
    member = make_user(Role.STEERING, "pilote@metropole-test.fr")
    sign_in(client, member)
    a = run.assignments[0]
    response = client.post(f"/pilotage/tours/{run.id}/affectations", data={
        "move-pupil_id": a.pupil_id, "move-offer_id": a.offer_id, "move-week": "2030-W10",
        "move-reason": "Changement demandé par la famille", "move-submit": "1"})
    page = page_text(response)
    assert response.status_code == 200 and "enfreint une règle" in page
    assert "Changement demandé par la famille" in page
    response = client.post(f"/pilotage/tours/{run.id}/affectations", data={
        "cancel-assignment_id": a.id, "cancel-reason": "La structure a fermé ses portes",
        "cancel-submit": "1", "confirm": "1"}, follow_redirects=True)
    assert "Affectation annulée" in page_text(response)
    audit = page_text(client.get(f"/pilotage/tours/{run.id}"))
    assert "La structure a fermé ses portes" in audit


def test_match_commands_run_export_and_verify(app, tmp_path: Path) -> None:
    steering, campaign = demo_campaign()
    runner = app.test_cli_runner()
    out = runner.invoke(args=["match", "run", "--campaign", str(campaign.id), "--dry-run",
                              "--seed", "77"])
    assert out.exit_code == 0, out.output
    assert "Graine 77" in out.output and "optimal" in out.output
    run = db.session.scalar(select(MatchingRun).order_by(MatchingRun.id.desc()))
    assert run is not None and run.state == RunState.DONE
    out = runner.invoke(args=["match", "export", str(run.id), "-o", str(tmp_path),
                              "--recipient", "Auditrice", "--purpose", "Vérifier le tour"])
    assert out.exit_code == 0, out.output
    instance = tmp_path / f"run-{run.id}-instance.json"
    result = tmp_path / f"run-{run.id}-result.json"
    text = instance.read_text()
    assert all(f'"p{pid}"' not in text for pid in run.pseudonyms.values())
    assert json.loads(result.read_text())["seed"] == 77
    verified = CliRunner().invoke(matching_cli, ["verify", str(instance), str(result)],
                                  catch_exceptions=False)
    assert verified.exit_code == 0, verified.output
    out = runner.invoke(args=["match", "run", "--campaign", str(campaign.id)])
    assert out.exit_code != 0 and "--as" in out.output


def test_progress_page_refreshes_itself_while_the_run_is_queued(client, app) -> None:
    steering, campaign = demo_campaign()
    run = matching.create_run(steering, campaign, RunOptions(seed=5))
    member = make_user(Role.STEERING, "pilote@metropole-test.fr")
    sign_in(client, member)
    page = page_text(client.get(f"/pilotage/tours/{run.id}/progression"))
    assert '<meta http-equiv="refresh" content="2">' in page
    assert '<progress id="run-progress" max="100" value="0">0 %</progress>' in page
    assert "<script" not in page


def test_runs_page_follows_the_answers_of_a_published_round(client, app) -> None:
    steering, campaign = demo_campaign()
    run = matching.run_round(steering, campaign, RunOptions(seed=44))
    matching.publish(steering, run)
    pupil_user = db.session.scalar(select(User).where(
        User.pupil_id == run.assignments[0].pupil_id))
    matching.answer_for_pupil(pupil_user, run.assignments[0], accept=False)
    member = make_user(Role.STEERING, "pilote@metropole-test.fr")
    sign_in(client, member)
    page = page_text(client.get(f"/pilotage/campagnes/{campaign.id}/tours"))
    assert "refusée : 1" in page
    assert f"publiée, en attente de réponse : {len(run.assignments) - 1}" in page
