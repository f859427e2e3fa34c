"""The observatory's releases: computed once from a closed questionnaire, frozen, nothing under
11 and nothing recomputable, across the tables of a release and jointly with earlier ones."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import Level, MatchingRun, ReleaseKind, Role, SchoolKind, Sector, User
from stagebourse.observatory.suppression import THRESHOLD, PublishedTable, Table
from stagebourse.services import ServiceError, observatory
from tests.factories import add_responses, make_user
from tests.observatory import attacker
from tests.scenarios import finished_campaign

pytestmark = pytest.mark.database


def _fill(campaign) -> None:  # noqa: ANN001
    sectors = [s.code for s in db.session.scalars(select(Sector).order_by(Sector.code))][:3]
    add_responses(campaign, 25, {"matched_wish": "yes", "sector": sectors[0], "gender": "F",
                                 "remarks": ["none"], "treatment": ["none"]},
                  priority_area="REP+", qpv_resident=True)
    add_responses(campaign, 17, {"matched_wish": "no", "sector": sectors[1], "gender": "M",
                                 "remarks": ["origin"], "treatment": ["tasks"]},
                  school_kind=SchoolKind.LYCEE, priority_area="none", qpv_resident=False)
    add_responses(campaign, 12, {"matched_wish": "partly", "sector": sectors[0],
                                 "remarks": ["neighbourhood", "name"]}, priority_area="REP")
    add_responses(campaign, 4, {"matched_wish": "yes", "sector": sectors[2], "gender": "X",
                                "remarks": ["religion"]}, priority_area="REP+",
                  qpv_resident=True)
    add_responses(campaign, 2, {})


def _released(campaign):  # noqa: ANN001, ANN202
    steering = _steering()
    observatory.close_questionnaire(steering, campaign)
    release = observatory.compute_campaign_release(steering, campaign)
    db.session.commit()
    return release


def _steering() -> User:
    found = db.session.scalar(select(User).where(User.role == Role.STEERING))
    return found or make_user(Role.STEERING, "pilote@agglo-test.fr")


def _truth(release) -> tuple[list[Table], list[PublishedTable]]:  # noqa: ANN001
    """The true tables kept server-side, and the cells the release serves."""
    published = [observatory._from_audit_json(data) for data in release.audit_tables]
    return [p.table for p in published], published


def test_a_release_publishes_no_cell_under_11_and_none_recomputable(app):
    done = finished_campaign(by_email=1, on_paper=0)
    _fill(done.campaign)
    release = observatory.get_release(_released(done.campaign).id)
    assert release.summary["responses"] == 60
    served = [cell for t in release.row.published["tables"] for row in t["cells"]
              for cell in row]
    assert all(cell is None or cell >= THRESHOLD for cell in served)
    assert None in served
    tables, published = _truth(release.row)
    # What is served is exactly the audited cells, and nothing can be recomputed from them.
    assert [t["cells"] for t in release.row.published["tables"]] == [p.cells for p in published]
    assert attacker.pinned(published, screen=4) == {}
    assert release.table("matched_wish", "school_kind").cells[-1][-1] == 58
    # Fiche 1's breakdown by priority area: REP+ pupils (29 answered) are shown apart.
    by_area = release.table("matched_wish", "priority_area")
    assert by_area.rows[0] == "REP+" and by_area.cells[0][-1] == 29
    assert release.table("any", "qpv") is not None
    # The definitions and questionnaire versions are stored with it.
    assert {d["key"] for d in release.row.indicators} >= {"matched_wish", "any",
                                                           "remarks:origin"}
    assert release.row.questionnaires[0]["version"] == 1


def test_a_release_needs_a_closed_questionnaire_enough_answers_and_happens_once(app):
    steering = _steering()
    done = finished_campaign(by_email=1, on_paper=0)
    add_responses(done.campaign, 29, {"matched_wish": "yes"})
    with pytest.raises(ServiceError, match="Clôturez"):
        observatory.compute_campaign_release(steering, done.campaign)
    observatory.close_questionnaire(steering, done.campaign)
    with pytest.raises(ServiceError, match="moins de 30 réponses"):
        observatory.compute_campaign_release(steering, done.campaign)
    add_responses(done.campaign, 1, {"matched_wish": "no"})
    observatory.compute_campaign_release(steering, done.campaign)
    with pytest.raises(ServiceError, match="déjà publiés"):
        observatory.compute_campaign_release(steering, done.campaign)


def test_a_release_is_frozen_whatever_happens_to_the_answers_or_the_questions(app):
    done = finished_campaign(by_email=1, on_paper=0)
    _fill(done.campaign)
    release = _released(done.campaign)
    before = observatory.csv_rows(observatory.get_release(release.id))
    add_responses(done.campaign, 15, {"matched_wish": "no", "remarks": ["origin"]})
    questionnaire = observatory.campaign_statuses()[0].questionnaire
    questionnaire.questions = [q for q in questionnaire.questions if q["id"] != "remarks"]
    db.session.commit()
    assert observatory.csv_rows(observatory.get_release(release.id)) == before


def test_the_annual_report_is_audited_jointly_with_the_campaign_releases(app):
    lycee = finished_campaign(by_email=1, on_paper=0)
    college = finished_campaign(by_email=0, on_paper=0, year=2026, company=lycee.tutor.company)
    college.campaign.year, college.campaign.level = 2027, Level.SECONDE
    db.session.commit()
    _fill(lycee.campaign)
    add_responses(college.campaign, 33, {"matched_wish": "yes", "remarks": ["none"]})
    add_responses(college.campaign, 5, {"matched_wish": "no", "remarks": ["origin"]})
    first, second = _released(lycee.campaign), _released(college.campaign)
    with pytest.raises(ServiceError, match="déjà"):
        _released(lycee.campaign)
    observatory.compute_annual_release(_steering(), 2027)
    db.session.commit()
    # Its pooled tables: one row per campaign, then the year; nothing small is served.
    shown = observatory.annual_release(2027)
    wish = shown.table("matched_wish", observatory.LEVEL_DIMENSION)
    assert wish.cells[-1][-1] == 58 + 38
    assert all(c is None or c >= THRESHOLD for t in shown.tables for r in t.cells for c in r)
    # The 5 « non » of the second campaign are hidden there; the year's « non » must be hidden
    # too, or 5 = year - first campaign would follow. A year figure is served only as the sum
    # of served parts, so it tells nothing the campaign releases did not.
    second_row = wish.rows.index(college.campaign.name)
    assert wish.cells[second_row][2] is None and wish.cells[-1][2] is None
    for table in shown.tables:
        *parts, year = table.cells
        for j, value in enumerate(year):
            column = [row[j] for row in parts]
            assert value is None or (None not in column and value == sum(column))
    # The campaign releases were audited jointly: together they recompute nothing.
    tables, published = [], []
    for release in (first, second):
        t, p = _truth(release)
        tables += t
        published += p
    assert attacker.pinned(published, screen=4) == {}
    assert [r.row.kind for r in observatory.releases()] == [
        ReleaseKind.CAMPAIGN, ReleaseKind.CAMPAIGN, ReleaseKind.ANNUAL]


def test_answers_are_shown_only_in_coarse_bands_before_a_release():
    assert [observatory.answer_band(n) for n in (0, 19, 20, 49, 50, 99, 100, 4000)] == [
        "moins de 20", "moins de 20", "20 à 49", "20 à 49", "50 à 99", "50 à 99",
        "100 et plus", "100 et plus"]


def test_the_matching_audit_is_read_defensively_and_frozen_with_the_release(app):
    done = finished_campaign(by_email=1, on_paper=0)
    run = db.session.scalar(select(MatchingRun))
    run.pupil_count, run.placed_count = 40, 36
    db.session.commit()
    figures = observatory.matching_audit(done.campaign)
    assert not figures.audit_available
    assert ("Taux de placement", "90 %") in figures.figures
    run.audit_json = '{"placement_rate": 0.9, "by_group": {"girls": 0.95}, "note": "x"}'
    figures = observatory.matching_audit(done.campaign)
    assert figures.audit_available
    assert ("placement_rate", 0.9) in figures.figures
    assert ("by_group › girls", 0.95) in figures.figures
    add_responses(done.campaign, 30, {"matched_wish": "yes"})
    release = observatory.get_release(_released(done.campaign).id)
    assert ["by_group › girls", 0.95] in release.matching["figures"]
    assert observatory.matching_audit(finished_campaign(
        by_email=0, on_paper=0, year=2030, company=done.tutor.company).campaign
    ).figures == []


def test_the_commands_close_and_release_once(app):
    done = finished_campaign(by_email=1, on_paper=0)
    add_responses(done.campaign, 30, {"matched_wish": "yes", "remarks": ["none"]})
    runner = app.test_cli_runner()
    early = runner.invoke(args=["observatory", "release", "--campaign", str(done.campaign.id)])
    assert early.exit_code == 1 and "Clôturez" in early.output
    closed = runner.invoke(args=["observatory", "close", "--campaign", str(done.campaign.id)])
    assert closed.exit_code == 0, closed.output
    released = runner.invoke(args=["observatory", "release",
                                   "--campaign", str(done.campaign.id)])
    assert released.exit_code == 0 and "enregistrée" in released.output
    again = runner.invoke(args=["observatory", "release", "--campaign", str(done.campaign.id)])
    assert again.exit_code == 1 and "déjà publiés" in again.output
    annual = runner.invoke(args=["observatory", "release", "--year", "2027"])
    assert annual.exit_code == 0, annual.output
    assert runner.invoke(args=["observatory", "release"]).exit_code == 2
