"""One factory per model, for every test: keyword overrides on sensible defaults.

Each factory commits, as the tests' own setup did: what a test builds is then in the database
before the code under test runs, whatever transaction that code opens or rolls back.

Pupils' access codes are kept in clear here (user id → code) for ``tests.personas.login_as``:
the database holds only their hash.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.identifiers import iso_week
from stagebourse.models import (
    AgreementSettings,
    ApiToken,
    Assignment,
    AssignmentState,
    Campaign,
    CampaignSchoolWeek,
    CampaignState,
    CharterStatus,
    Company,
    CompanyKind,
    CompanyState,
    Level,
    MatchingRun,
    Offer,
    OutboxMessage,
    OutboxState,
    Pupil,
    QuestionnaireResponse,
    Respondent,
    Role,
    RunState,
    School,
    SchoolKind,
    Tutor,
    User,
)
from stagebourse.services.accounts import hash_password, set_access_code
from stagebourse.services.companies import hash_token
from stagebourse.services.notifications import queue_email
from stagebourse.services.offer_rules import Slot
from stagebourse.services.offers import OfferInput, TutorInput, save_offer

TEST_PASSWORD = "correct horse battery"

# Weeks of the default campaign (year 2027): Monday 1 and Monday 8 February 2027.
WEEK_A = "2027-W05"
WEEK_B = "2027-W06"
VALENCIENNES = "59606"
ANZIN = "59014"
STANDARD_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi")

# A campaign running now, for tests of deadlines and ages that must not age with the calendar:
# far enough ahead that a pupil born in 2012 is 14 or 15 on the first day, never older.
TODAY = dt.date.today()
INTERNSHIP_MONDAY = TODAY - dt.timedelta(days=TODAY.weekday()) + dt.timedelta(weeks=8)
UPCOMING_WEEK = iso_week(INTERNSHIP_MONDAY)
UPCOMING_OTHER_WEEK = iso_week(INTERNSHIP_MONDAY + dt.timedelta(days=14))
UPCOMING_DEADLINE = TODAY + dt.timedelta(days=20)
# make_campaign(schools, **UPCOMING_CAMPAIGN): requests open until in 20 days, internships in
# eight weeks.
UPCOMING_CAMPAIGN: dict[str, Any] = {"year": INTERNSHIP_MONDAY.year, "weeks": (UPCOMING_WEEK,),
                                     "deadline": UPCOMING_DEADLINE}

# argon2 at full strength makes every sign-in cost ~50 ms; hash once per test session.
_PASSWORD_HASH: str | None = None
# Clear access codes of the pupils made by make_pupil_user in the current test (user id →
# code); emptied before each test by the app fixture.
ACCESS_CODES: dict[int, str] = {}


def _password_hash() -> str:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = hash_password(TEST_PASSWORD)
    return _PASSWORD_HASH


def _saved(*objects: object) -> None:
    db.session.add_all(objects)
    db.session.commit()


# Schools (reference data) --------------------------------------------------------------------

def first_school(kind: str = "college", index: int = 0) -> School:
    """A school of the reference data, by kind and rank of its UAI."""
    schools = db.session.scalars(
        select(School).where(School.kind == kind).order_by(School.uai)
    ).all()
    return schools[index]


# Users -----------------------------------------------------------------------------------

def make_user(role: Role, email: str | None = None, **fields: Any) -> User:
    """A user of ``role``; with an email, signs in with TEST_PASSWORD."""
    user = User(role=role, email=email,
                display_name=fields.pop("display_name", f"Test {role.value}"),
                password_hash=_password_hash() if email else None, **fields)
    _saved(user)
    return user


def make_teacher(email: str = "prof@college-test.fr", school: School | None = None,
                 **fields: Any) -> User:
    """A teacher of ``school`` (the first collège), validated unless ``validated_at=None``."""
    fields.setdefault("validated_at", dt.datetime.now(dt.UTC))
    return make_user(Role.TEACHER, email, school=school or first_school(), **fields)


def make_pupil(school: School | None = None, **fields: Any) -> Pupil:
    """A pupil without an account (as a roster import leaves them)."""
    pupil = Pupil(
        school=school or first_school(), class_name=fields.pop("class_name", "3A"),
        level=fields.pop("level", Level.TROISIEME),
        first_name=fields.pop("first_name", "Lina"), last_name=fields.pop("last_name", "Essai"),
        birth_date=fields.pop("birth_date", dt.date(2012, 3, 4)), **fields)
    _saved(pupil)
    return pupil


def make_pupil_user(school: School | None = None, code: str | None = None,
                    **fields: Any) -> User:
    """A pupil with an account and an access code: ``code``, or TEST-CODE-0001, -0002… in the
    order pupils are made in a test. ``login_as`` signs in with it."""
    pupil = make_pupil(school, **fields)
    user = User(role=Role.PUPIL, display_name=pupil.first_name, pupil=pupil,
                school=pupil.school)
    give_access_code(user, code)
    return user


def give_access_code(user: User, code: str | None = None) -> str:
    """A new access code for a pupil's account (one made here, or the demo's), kept in clear
    for ``login_as``: ``code``, or the next of TEST-CODE-0001, -0002…"""
    code = code or f"TEST-CODE-{len(ACCESS_CODES) + 1:04d}"
    set_access_code(user, code)
    _saved(user)
    ACCESS_CODES[user.id] = code
    return code


def access_code(user: User) -> str:
    """The clear access code make_pupil_user gave ``user``."""
    assert user.id in ACCESS_CODES, f"pupil {user.id} was not made by make_pupil_user"
    return ACCESS_CODES[user.id]


# Hosts -----------------------------------------------------------------------------------

def make_company(**fields: Any) -> Company:
    """A validated company, its Charter signature verified, with one tutor (Théo Tuteur,
    tuteur@atelier-test.fr)."""
    company = Company(
        siret=fields.pop("siret", "73282932000074"), name=fields.pop("name", "Atelier Test"),
        kind=fields.pop("kind", CompanyKind.COMPANY), address="1 rue de l'Essai",
        postcode="59300", commune_code=VALENCIENNES, contact_name="Camille Contact",
        contact_email=fields.pop("contact_email", "contact@atelier-test.fr"),
        state=fields.pop("state", CompanyState.VALIDATED),
        charter_status=fields.pop("charter_status", CharterStatus.VERIFIED), **fields)
    company.tutors.append(Tutor(full_name="Théo Tuteur", job_title="Chef d'atelier",
                                email="tuteur@atelier-test.fr"))
    _saved(company)
    return company


def make_tutor(company: Company, full_name: str = "Inès Tutrice",
               email: str = "ines@atelier-test.fr", **fields: Any) -> Tutor:
    tutor = Tutor(company=company, full_name=full_name,
                  job_title=fields.pop("job_title", "Technicienne"), email=email, **fields)
    _saved(tutor)
    return tutor


# Campaigns and offers --------------------------------------------------------------------

def make_campaign(schools: Iterable[School] = (), *, level: Level = Level.TROISIEME,
                  state: CampaignState = CampaignState.OPEN, year: int = 2027,
                  weeks: Iterable[str] = (WEEK_A, WEEK_B), deadline: dt.date | None = None,
                  **fields: Any) -> Campaign:
    """A campaign of ``year`` whose ``schools`` have ``weeks``; requests until ``deadline``
    (10 January of ``year`` by default)."""
    campaign = Campaign(year=year, level=level,
                        name=fields.pop("name", f"Stages de {level.value} {year}"), state=state,
                        requests_deadline=deadline or dt.date(year, 1, 10), **fields)
    week_list = list(weeks)
    for school in schools:
        for week in week_list:
            campaign.school_weeks.append(CampaignSchoolWeek(school=school, week=week))
    _saved(campaign)
    return campaign


def make_school_week(campaign: Campaign, school: School, week: str) -> CampaignSchoolWeek:
    """One more internship week of ``school`` in ``campaign``."""
    school_week = CampaignSchoolWeek(campaign=campaign, school=school, week=week)
    _saved(school_week)
    return school_week


def week_schedule(start: str = "09:00", end: str = "16:00", pause: bool = True) -> list[Slot]:
    """Default: 09:00-12:00 + 13:00-16:00, 6 h a day, 30 h a week."""
    if pause:
        return [s for day in STANDARD_DAYS
                for s in (Slot(day, start, "12:00"), Slot(day, "13:00", end))]
    return [Slot(day, start, end) for day in STANDARD_DAYS]


def offer_input(**overrides: Any) -> OfferInput:
    """What a company's form would give; ``seats`` maps weeks of open campaigns to seats."""
    values: dict[str, Any] = {
        "title": "Découverte d'un atelier de mécanique",
        "sector_code": "industrie",
        "description": "L'élève suit un technicien et découvre le diagnostic des pannes.",
        "address": "12 rue de Famars",
        "commune_code": VALENCIENNES,
        "for_3e": True,
        "for_2de": False,
        "min_age": 14,
        "accessible": False,
        "schedule": week_schedule(),
        "safety_attested": True,
        "seats": {WEEK_A: 2, WEEK_B: 1},
        "new_tutor": TutorInput("Théo Tuteur", "Chef d'atelier", "tuteur@atelier-test.fr"),
    }
    values.update(overrides)
    return OfferInput(**values)


def make_offer(company: Company, *, tutor: Tutor | None = None, **overrides: Any) -> Offer:
    """A published offer saved by the offers service (its checks, its geocoding).

    Overrides are OfferInput fields (``seats={week: n}``, ``lat``/``lon``, ``title``…);
    ``tutor`` picks an existing tutor instead of creating Théo Tuteur.
    """
    if tutor is not None:
        overrides.update(tutor_id=tutor.id, new_tutor=None)
    return save_offer(offer_writer(company), company, offer_input(**overrides))


def offer_writer(company: Company) -> ApiToken:
    """Who saves the factories' offers: a partner API token of the structure. The services
    let only the structure itself (a member or its token) write its offers, and a token adds
    no account that would receive the structure's mail."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.company_id == company.id,
                                                     ApiToken.label == "factories"))
    if token is None:
        token = ApiToken(company_id=company.id, label="factories",
                         token_hash=hash_token(secrets.token_urlsafe(16)))
        db.session.add(token)
        db.session.flush()
    return token


# Rounds ----------------------------------------------------------------------------------

def make_run(campaign: Campaign, placements: Iterable[tuple[Pupil, Offer, str]] = (),
             state: RunState = RunState.PUBLISHED, seed: int = 42) -> MatchingRun:
    """A run of ``campaign`` placing each (pupil, offer, week), proposed or published."""
    run = MatchingRun(campaign=campaign, seed=seed, state=state)
    for pupil, offer, week in placements:
        run.assignments.append(Assignment(
            pupil=pupil, offer=offer, week=week, rank=1, distance_km=3.0, cost=1.0,
            state=AssignmentState.PUBLISHED if state == RunState.PUBLISHED
            else AssignmentState.PROPOSED))
    _saved(run)
    return run


def assign(pupil: Pupil, offer: Offer, week: str, campaign: Campaign,
           state: AssignmentState = AssignmentState.PUBLISHED) -> Assignment:
    """One assignment in a run of its own."""
    run = MatchingRun(campaign=campaign, seed=1, state="published")
    assignment = Assignment(run=run, pupil=pupil, offer=offer, week=week, distance_km=1.0,
                            cost=1.0, state=state)
    _saved(run, assignment)
    return assignment


# Agreements ------------------------------------------------------------------------------

def make_agreement_settings(campaign: Campaign, school: School,
                            **fields: Any) -> AgreementSettings:
    """The school's signatory and insurance for ``campaign``."""
    values: dict[str, Any] = {
        "head_name": "Mme Claire Principale", "head_title": "Principale",
        "signatory_email": "direction@college-test.fr", "insurer": "MAIF",
        "insurance_policy": "1234567 A", "delegation": None, "school_address": None}
    values.update(fields)
    settings = AgreementSettings(campaign=campaign, school=school, **values)
    _saved(settings)
    return settings


# Questionnaires --------------------------------------------------------------------------

def add_responses(campaign: Campaign, count: int, answers: dict[str, Any],
                  school_kind: SchoolKind | None = None,
                  respondent: Respondent | None = None, priority_area: str | None = None,
                  qpv_resident: bool | None = None) -> None:
    """Responses written directly, as many as an observatory test needs."""
    from stagebourse.services.questionnaires import ensure_questionnaires

    wanted = respondent or Respondent.PUPIL
    questionnaire = next(q for q in ensure_questionnaires(None, campaign)
                         if q.respondent == wanted)
    db.session.add_all(QuestionnaireResponse(
        questionnaire_id=questionnaire.id, level=Level.TROISIEME,
        school_kind=school_kind or SchoolKind.COLLEGE, answered_week=dt.date(2027, 2, 8),
        answers=answers, priority_area=priority_area, qpv_resident=qpv_resident)
        for _ in range(count))
    db.session.commit()


# Outbox ----------------------------------------------------------------------------------

RESET_CONTEXT = {"user": type("U", (), {"display_name": "Camille"})(),
                 "reset_url": "http://stagebourse.test/reset/abc", "minutes": 60}


def queue(n: int, prefix: str = "test") -> list[str]:
    """Queue ``n`` password-reset mails (keys ``prefix:i``) and commit; return the addresses."""
    addresses = [f"personne{i}@atelier-test.fr" for i in range(n)]
    for i, address in enumerate(addresses):
        queue_email(address, "password_reset", key=f"{prefix}:{i}",
                    reason="vous avez demandé à changer votre mot de passe.", **RESET_CONTEXT)
    db.session.commit()
    return addresses


def outbox_states() -> Counter[OutboxState]:
    return Counter(db.session.scalars(select(OutboxMessage.state)).all())


# Files -----------------------------------------------------------------------------------

def scan_pdf(pages: int = 1) -> bytes:
    """A real PDF of ``pages`` blank A4 pages, as a scanner would save a signed agreement."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
