"""Services of issue 6 without HTTP: consent and eligibility, optimistic locking, wish rules
and flags, teacher validation, and what the matching will read."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, select

from stagebourse.extensions import db
from stagebourse.geo import haversine_km
from stagebourse.identifiers import iso_week
from stagebourse.models import (
    AssignmentState,
    CampaignState,
    ConsentMethod,
    JournalEntry,
    Level,
    OutboxMessage,
    Pupil,
    Request,
    RequestState,
    Role,
    User,
)
from stagebourse.services import ServiceError, pupils, requests, teachers
from tests.factories import (
    INTERNSHIP_MONDAY,
    UPCOMING_CAMPAIGN,
    UPCOMING_OTHER_WEEK,
    UPCOMING_WEEK,
    assign,
    first_school,
    make_campaign,
    make_company,
    make_offer,
    make_pupil,
    make_pupil_user,
    make_school_week,
    make_user,
)

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def teacher(app) -> User:
    return make_user(Role.TEACHER, "prof@college-test.fr", school=first_school(),
                     validated_at=NOW)


def born_years_before_first_day(years: int, days: int = 0) -> dt.date:
    return INTERNSHIP_MONDAY.replace(year=INTERNSHIP_MONDAY.year - years) + dt.timedelta(days=days)


def test_haversine_valenciennes_to_anzin_is_about_three_km():
    assert 2.0 < haversine_km(50.3579, 3.5235, 50.37599, 3.51118) < 3.0
    assert haversine_km(50.0, 3.0, 50.0, 3.0) == 0


def test_under_15_on_first_day_is_eligible_only_with_consent(teacher: User):
    campaign = make_campaign([teacher.school], **UPCOMING_CAMPAIGN)
    user = make_pupil_user(teacher.school, birth_date=born_years_before_first_day(15, days=1))
    pupil = user.pupil
    requests.add_wish(user, pupil, sector_code="sante")
    requests.confirm_request(user, pupil)
    result = pupils.eligible_for_matching(pupil, campaign)
    assert not result.eligible
    assert any("consentement" in reason for reason in result.reasons)
    pupils.record_consent(teacher, pupil, dt.date.today(), ConsentMethod.PAPER)
    assert pupils.eligible_for_matching(pupil, campaign).eligible
    assert pupil.consent_recorded_by == "prof@college-test.fr"


def test_pupil_15_on_first_day_needs_no_consent(teacher: User):
    campaign = make_campaign([teacher.school], **UPCOMING_CAMPAIGN)
    user = make_pupil_user(teacher.school, birth_date=born_years_before_first_day(15))
    requests.add_wish(user, user.pupil, sector_code="sante")
    requests.confirm_request(user, user.pupil)
    assert pupils.eligible_for_matching(user.pupil, campaign).eligible


def test_withdrawing_consent_withdraws_the_request_and_is_journaled(teacher: User):
    campaign = make_campaign([teacher.school], **UPCOMING_CAMPAIGN)
    user = make_pupil_user(teacher.school)
    pupil = user.pupil
    pupils.record_consent(teacher, pupil, dt.date.today(), ConsentMethod.EMAIL)
    request = requests.add_wish(user, pupil, sector_code="sante")
    assert pupils.withdraw_consent(teacher, pupil, "demande de la famille") == 1
    assert request.state == RequestState.WITHDRAWN
    assert pupil.consent_on is None
    assert not pupils.eligible_for_matching(pupil, campaign).eligible
    entry = db.session.scalar(select(JournalEntry).where(
        JournalEntry.action == "pupil.consent_withdrawn"))
    assert entry.details["requests_withdrawn"] == [request.id]
    with pytest.raises(ServiceError, match="retirée de la campagne"):
        requests.add_wish(user, pupil, sector_code="commerce")


def test_two_teachers_editing_one_pupil_cannot_overwrite_each_other(teacher: User):
    colleague = make_user(Role.TEACHER, "collegue@college-test.fr", school=teacher.school,
                          validated_at=NOW)
    pupil = make_pupil_user(teacher.school).pupil
    opened = pupil.version  # both open the form on the same version
    data = {f: getattr(pupil, f) for f in pupils.PUPIL_FIELDS}
    pupils.update_pupil(teacher, pupil, {**data, "class_name": "3C"}, opened)
    with pytest.raises(ServiceError, match="a modifié cette fiche"):
        pupils.update_pupil(colleague, pupil, {**data, "first_name": "Lou"}, opened)
    db.session.expire_all()
    assert (pupil.class_name, pupil.first_name) == ("3C", "Lina")


def test_sixth_and_duplicate_wishes_are_refused(teacher: User):
    make_campaign([teacher.school], **UPCOMING_CAMPAIGN)
    user = make_pupil_user(teacher.school)
    for code in ("sante", "commerce", "sport", "droit", "numerique"):
        requests.add_wish(user, user.pupil, sector_code=code)
    with pytest.raises(ServiceError, match="maximum"):
        requests.add_wish(user, user.pupil, sector_code="batiment")
    requests.remove_wish(user, user.pupil, 5)
    with pytest.raises(ServiceError, match="déjà dans ta liste"):
        requests.add_wish(user, user.pupil, sector_code="sante")
    with pytest.raises(ServiceError, match="secteur n'existe pas"):
        requests.add_wish(user, user.pupil, sector_code="astronautique")


def test_closed_campaign_refuses_changes_even_before_the_deadline(teacher: User):
    make_campaign([teacher.school], state=CampaignState.CLOSED, **UPCOMING_CAMPAIGN)
    user = make_pupil_user(teacher.school)
    with pytest.raises(ServiceError, match="n'est pas ouverte"):
        requests.add_wish(user, user.pupil, sector_code="sante")


def test_teacher_fills_wishes_on_behalf_and_it_is_journaled_as_such(teacher: User):
    make_campaign([teacher.school], **UPCOMING_CAMPAIGN)
    pupil = make_pupil_user(teacher.school).pupil
    request = requests.add_wish(teacher, pupil, sector_code="sante")
    assert request.updated_by_id == teacher.id
    entry = db.session.scalar(select(JournalEntry).where(
        JournalEntry.action == "request.wish_added"))
    assert entry.actor_id == teacher.id and entry.details["on_behalf"] is True


def test_teacher_of_another_school_cannot_touch_the_request(teacher: User):
    make_campaign([teacher.school], **UPCOMING_CAMPAIGN)
    pupil = make_pupil_user(teacher.school).pupil
    stranger = make_user(Role.TEACHER, "autre@college-test.fr", school=first_school(index=1),
                         validated_at=NOW)
    assert pupils.pupil_for_teacher(stranger, pupil.id) is None
    with pytest.raises(ServiceError):
        requests.add_wish(stranger, pupil, sector_code="sante")


def test_wishes_that_can_never_be_met_are_flagged_with_a_suggestion(teacher: User):
    campaign = make_campaign([teacher.school], **UPCOMING_CAMPAIGN)
    # Another collège's week: an offer can have seats then, none in this pupil's week.
    make_school_week(campaign, first_school(index=1), UPCOMING_OTHER_WEEK)
    company = make_company()
    near = make_offer(company, sector_code="sante", seats={UPCOMING_WEEK: 2})
    wrong_week = make_offer(company, sector_code="commerce", seats={UPCOMING_OTHER_WEEK: 2})
    far = make_offer(company, sector_code="sport", seats={UPCOMING_WEEK: 2}, lat=50.63,
                     lon=3.06)  # Lille
    user = make_pupil_user(teacher.school)
    pupil = user.pupil
    for offer in (near, wrong_week, far):
        requests.add_wish(user, pupil, offer_id=offer.id)
    requests.add_wish(user, pupil, sector_code="sport")
    requests.add_wish(user, pupil, sector_code="droit")
    views = requests.wish_views(pupil, campaign, requests.request_of(pupil, campaign))
    assert views[0].problems == []
    assert "pas de place pendant les semaines" in views[1].problems[0]
    assert "plus loin que les 10 km" in views[2].problems[0]
    assert views[2].suggestion and "Sport" in views[2].suggestion
    assert "Aucune offre de ce secteur à moins de 10 km" in views[3].problems[0]
    assert "augmente la distance" in views[3].suggestion
    assert "Aucune offre de ce secteur" in views[4].problems[0]
    requests.set_preferences(user, pupil, max_travel_km=60, needs_accessible=False,
                             has_network=None)
    views = requests.wish_views(pupil, campaign, requests.request_of(pupil, campaign))
    assert views[2].problems == [] and views[3].problems == []


def test_offer_picker_lists_only_offers_with_seats_in_the_school_weeks(teacher: User):
    campaign = make_campaign([teacher.school], **UPCOMING_CAMPAIGN)
    make_school_week(campaign, first_school(index=1), UPCOMING_OTHER_WEEK)
    company = make_company()
    near = make_offer(company, sector_code="sante", seats={UPCOMING_WEEK: 2})
    make_offer(company, sector_code="sante", seats={UPCOMING_OTHER_WEEK: 2})
    full = make_offer(company, sector_code="sante", seats={UPCOMING_WEEK: 2})
    full.weeks[0].seats = 0  # a week left with no seat (the form refuses to publish one)
    db.session.commit()
    pupil = make_pupil_user(teacher.school).pupil
    choices = requests.offer_choices(pupil, campaign, "sante")
    assert [c.offer_id for c in choices] == [near.id]
    assert choices[0].within_reach and choices[0].seats == 2


def test_found_own_leaves_the_campaign(teacher: User):
    campaign = make_campaign([teacher.school], **UPCOMING_CAMPAIGN)
    user = make_pupil_user(teacher.school)
    request = requests.declare_found_own(user, user.pupil)
    assert request.state == RequestState.FOUND_OWN
    assert not pupils.eligible_for_matching(user.pupil, campaign).eligible
    board = pupils.class_board(teacher, "3A", campaign, "found_own")
    assert [row.pupil.id for row in board] == [user.pupil.id]


def test_the_class_board_says_where_each_pupil_of_the_class_stands(teacher: User):
    """Each state of the board, read for one class of one school in one campaign: the pupils
    of another class, another school, and the requests and placements of another campaign or
    of a dry run do not count."""
    school = teacher.school
    campaign = make_campaign([school], **UPCOMING_CAMPAIGN)
    earlier = make_campaign([school], year=INTERNSHIP_MONDAY.year - 1,
                            state=CampaignState.FINISHED)
    offer = make_offer(make_company(), sector_code="sante", seats={UPCOMING_WEEK: 9})

    def signed_in(first_name: str, **fields: Any) -> User:
        user = make_pupil_user(school, first_name=first_name, last_name="Classe", **fields)
        user.last_login_at = NOW
        return user

    def confirmed(user: User, wishes: int = 1) -> User:
        for sector in ("sante", "commerce", "numerique")[:wishes]:
            requests.add_wish(user, user.pupil, sector_code=sector)
        requests.confirm_request(user, user.pupil)
        return user

    make_pupil(school, first_name="Adam", last_name="Classe")
    signed_in("Bea")
    cyril = signed_in("Cyril")
    for sector in ("sante", "commerce"):
        requests.add_wish(cyril, cyril.pupil, sector_code=sector)
    confirmed(signed_in("Dina"))
    eli = signed_in("Eli")
    requests.declare_found_own(eli, eli.pupil)
    fanny = confirmed(signed_in("Fanny"), wishes=3)
    assign(fanny.pupil, offer, UPCOMING_WEEK, campaign, AssignmentState.PROPOSED)
    gus = make_pupil_user(school, first_name="Gus", last_name="Classe")
    assign(gus.pupil, offer, UPCOMING_WEEK, earlier)
    db.session.add(Request(campaign=earlier, pupil=gus.pupil, state=RequestState.FOUND_OWN))
    hana = confirmed(signed_in("Hana"))
    assign(hana.pupil, offer, UPCOMING_WEEK, campaign)
    assign(hana.pupil, offer, UPCOMING_WEEK, campaign, AssignmentState.CONFIRMED)
    ivan = confirmed(signed_in("Ivan"))
    assign(ivan.pupil, offer, UPCOMING_WEEK, campaign, AssignmentState.COMPLETED)
    julia = confirmed(signed_in("Julia"))
    assign(julia.pupil, offer, UPCOMING_WEEK, campaign)
    confirmed(signed_in("Other", class_name="3B"))
    confirmed(make_pupil_user(first_school(index=1), first_name="Far", last_name="Classe"))
    db.session.flush()

    board = [(row.pupil.first_name, row.state.value, row.wishes)
             for row in pupils.class_board(teacher, "3A", campaign)]
    assert board == [
        ("Adam", "no_code_used", 0), ("Bea", "wishes_incomplete", 0),
        ("Cyril", "wishes_incomplete", 2), ("Dina", "request_complete", 1),
        ("Eli", "found_own", 0), ("Fanny", "request_complete", 3), ("Gus", "no_code_used", 0),
        ("Hana", "confirmed", 1), ("Ivan", "done", 1), ("Julia", "assigned", 1)]
    current, found = pupils.current_class_board(teacher, "3A")
    assert found == campaign and [(r.pupil.first_name, r.state.value, r.wishes)
                                  for r in current] == board
    # A class with no campaign of its level under way: nothing to count but the codes.
    make_pupil_user(school, class_name="2A", level=Level.SECONDE, first_name="Zoé")
    rows, none = pupils.current_class_board(teacher, "2A")
    assert none is None and [(r.pupil.first_name, r.state.value) for r in rows] == [
        ("Zoé", "no_code_used")]


def test_the_class_board_reads_consent_against_the_schools_first_internship_day(teacher: User):
    """Missing consent on the board: under 15 on the Monday of the school's first week in
    this campaign, not its last week, nor another school's or another campaign's earlier one."""
    school = teacher.school
    week_before = iso_week(INTERNSHIP_MONDAY - dt.timedelta(days=7))
    campaign = make_campaign([school], **{**UPCOMING_CAMPAIGN,
                                          "weeks": (UPCOMING_OTHER_WEEK, UPCOMING_WEEK)})
    make_school_week(campaign, first_school(index=1), week_before)
    make_campaign([school], year=INTERNSHIP_MONDAY.year - 1, weeks=(week_before,),
                  state=CampaignState.FINISHED)
    for name, days in (("Ana", 0), ("Ben", 1), ("Cleo", 8), ("Dan", -1)):
        make_pupil(school, first_name=name, last_name="Classe",
                   birth_date=born_years_before_first_day(15, days=days))
    consented = make_pupil(school, first_name="Eve", last_name="Classe",
                           birth_date=born_years_before_first_day(15, days=1))
    pupils.record_consent(teacher, consented, dt.date.today(), ConsentMethod.PAPER)
    db.session.flush()

    rows, found, missing = pupils.current_class_board_with_consent(teacher, "3A")
    assert found == campaign
    assert [(r.pupil.first_name, r.consent_missing) for r in rows] == [
        ("Ana", False), ("Ben", True), ("Cleo", True), ("Dan", False), ("Eve", False)]
    assert missing == 2
    # A school without weeks in the campaign: its first day unknown, every pupil under
    # the rule until the weeks are set.
    for school_week in [w for w in campaign.school_weeks if w.school_id == school.id]:
        db.session.delete(school_week)
    db.session.flush()
    rows, _found, missing = pupils.current_class_board_with_consent(teacher, "3A")
    assert missing == 4 and [r.pupil.first_name for r in rows if not r.consent_missing] == ["Eve"]


def test_matching_candidates_carry_what_the_assignment_needs(teacher: User):
    campaign = make_campaign([teacher.school], **UPCOMING_CAMPAIGN)
    consented = make_pupil_user(teacher.school, code="AAAA-BBBB-CCCC").pupil
    missing = make_pupil_user(teacher.school, code="DDDD-EEEE-FFFF", first_name="Sami").pupil
    for pupil in (consented, missing):
        requests.add_wish(pupil.user, pupil, sector_code="sante")
        requests.confirm_request(pupil.user, pupil)
    pupils.record_consent(teacher, consented, dt.date.today(), ConsentMethod.PAPER)
    requests.set_preferences(consented.user, consented, max_travel_km=7,
                             needs_accessible=True, has_network=True)
    [candidate] = requests.matching_candidates(campaign)
    assert candidate.pupil_id == consented.id
    assert candidate.wishes == [(1, "sante", None)]
    assert (candidate.max_travel_km, candidate.needs_accessible) == (7, True)
    assert candidate.origin == (teacher.school.lat, teacher.school.lon)
    assert candidate.age_on_first_day is not None and candidate.weeks


def test_matching_candidates_read_a_schools_weeks_once_whatever_its_pupils(teacher: User):
    """A round reads each school's first internship day once: the statements of the
    candidates' read do not grow with the number of the school's pupils."""
    campaign = make_campaign([teacher.school], **UPCOMING_CAMPAIGN)

    def confirmed_pupils(codes: tuple[str, ...]) -> None:
        for code in codes:
            pupil = make_pupil_user(teacher.school, code=code, first_name=code[:4]).pupil
            requests.add_wish(pupil.user, pupil, sector_code="sante")
            requests.confirm_request(pupil.user, pupil)
            pupils.record_consent(teacher, pupil, dt.date.today(), ConsentMethod.PAPER)
        db.session.flush()

    def statements_of_candidates() -> tuple[int, int]:
        seen: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not statement.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO")):
                seen.append(statement)

        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            found = len(requests.matching_candidates(campaign))
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return found, len(seen)

    confirmed_pupils(("AAAA-BBBB-CCCC",))
    found, statements = statements_of_candidates()
    confirmed_pupils(("DDDD-EEEE-FFFF", "GGGG-HHHH-JJJJ", "KKKK-MMMM-NNNN"))
    assert statements_of_candidates() == (found + 3, statements)


def test_teacher_signs_up_and_a_colleague_validates(teacher: User):
    newcomer = teachers.sign_up_teacher("Nouvelle@College-Test.fr", "Nora Nouvelle",
                                        "un mot de passe long", teacher.school_id)
    assert newcomer.validated_at is None and newcomer.email == "nouvelle@college-test.fr"
    # A second sign-up with the address creates nothing and tells its owner by mail.
    assert teachers.sign_up_teacher("nouvelle@college-test.fr", "X", "un mot de passe long",
                                    teacher.school_id) is None
    assert db.session.scalar(select(OutboxMessage.template).where(
        OutboxMessage.recipient == "nouvelle@college-test.fr",
        OutboxMessage.template == "account_exists")) == "account_exists"
    elsewhere = make_user(Role.TEACHER, "loin@college-test.fr", school=first_school(index=1),
                          validated_at=NOW)
    assert teachers.pending_teachers(elsewhere) == []
    with pytest.raises(ServiceError):
        teachers.validate_teacher(elsewhere, newcomer.id)
    assert teachers.pending_teachers(teacher) == [newcomer]
    teachers.validate_teacher(teacher, newcomer.id)
    assert newcomer.validated_at is not None
    subjects = db.session.scalars(select(OutboxMessage.subject).where(
        OutboxMessage.recipient == "nouvelle@college-test.fr")).all()
    assert any("est validé" in s for s in subjects)
    assert any("attend sa validation" in s for s in subjects)


def test_steering_validates_teachers_of_any_school(app):
    steering = make_user(Role.STEERING, "pilotage@agglo-test.fr")
    newcomer = teachers.sign_up_teacher("n@college-test.fr", "N", "un mot de passe long",
                                        first_school(index=2).id)
    assert teachers.pending_teachers(steering) == [newcomer]
    teachers.validate_teacher(steering, newcomer.id)
    assert db.session.scalar(select(JournalEntry.actor_id).where(
        JournalEntry.action == "teacher.validated")) == steering.id


def test_imported_pupils_have_accounts_without_codes(teacher: User):
    from stagebourse.models import Level
    from stagebourse.services import rosters
    from tests.roster_csv import class_rows, roster_csv

    created = rosters.import_roster(teacher, roster_csv(class_rows(3)), Level.TROISIEME,
                                    only_valid=False)
    assert len(created) == 3
    assert all(p.user.role == Role.PUPIL and p.user.access_code_hash is None for p in created)
    slips = pupils.issue_codes(teacher, created, only_missing=True)
    assert len(slips) == 3
    with pytest.raises(ServiceError, match="Aucun code à imprimer"):
        pupils.issue_codes(teacher, created, only_missing=True)
    assert db.session.scalar(select(Pupil.id).where(Pupil.id == created[0].id))
