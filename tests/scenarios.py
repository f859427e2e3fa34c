"""Small worlds built from the factories, and readers of what the code under test mailed.

- an agreement at each step of its life (a confirmed assignment, drafted, sent for signature);
- a finished campaign whose pupils and tutor are asked the questionnaires;
- a campaign closed and ready to match, from a small demo (the demo's generator at a size that
  keeps every test of rounds meaningful and fast);
- rounds after the first (pupils whose wishes name no seat left), and a published round with
  hosts' decisions of every kind;
- a small round computed and published, every proposal awaiting the host's answer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    Agreement,
    Assignment,
    AssignmentState,
    Campaign,
    CampaignState,
    Company,
    DeclinedBy,
    HostReason,
    Level,
    MatchingRun,
    OutboxMessage,
    Party,
    Pupil,
    QuestionnaireResponse,
    Role,
    Tutor,
    User,
    WithdrawalRequest,
    WithdrawalState,
    utcnow,
)
from stagebourse.services import agreements, campaigns, matching, requests
from stagebourse.services.demo import DemoSize, seed_demo
from stagebourse.services.matching import RunOptions
from tests.factories import (
    ANZIN,
    INTERNSHIP_MONDAY,
    UPCOMING_CAMPAIGN,
    UPCOMING_WEEK,
    WEEK_A,
    assign,
    first_school,
    make_agreement_settings,
    make_campaign,
    make_company,
    make_offer,
    make_pupil,
    make_pupil_user,
    make_run,
    make_teacher,
    make_tutor,
    make_user,
)

# Agreements ------------------------------------------------------------------------------

GUARDIAN = "parent.essai@famille-test.fr"
HEAD = "direction@college-test.fr"
AGREEMENT_TEACHER = "prof.conventions@college-test.fr"


def make_confirmed_assignment(guardian_email: str | None = GUARDIAN,
                              with_settings: bool = True) -> Assignment:
    """Inès Martin (3B), confirmed at the default company's offer, week A of a published
    round; with the school's agreement settings unless ``with_settings`` is false."""
    school = first_school()
    campaign = make_campaign([school], state=CampaignState.OPEN)
    offer = make_offer(make_company())
    campaign.state = CampaignState.PUBLISHED
    pupil = make_pupil_user(school, first_name="Inès", last_name="Martin", class_name="3B",
                            guardian_email=guardian_email).pupil
    assignment = assign(pupil, offer, WEEK_A, campaign, state=AssignmentState.CONFIRMED)
    if with_settings:
        make_agreement_settings(campaign, school, signatory_email=HEAD)
    return assignment


def drafted(guardian_email: str | None = GUARDIAN) -> Agreement:
    assignment = make_confirmed_assignment(guardian_email)
    agreements.draft_missing(None)
    db.session.commit()  # as the command does: the browser tests' server reads it
    agreement = agreements.agreement_of(assignment)
    assert agreement is not None
    return agreement


def sent(guardian_email: str | None = GUARDIAN) -> tuple[Agreement, User]:
    agreement = drafted(guardian_email)
    teacher = make_teacher(AGREEMENT_TEACHER)
    agreements.send_for_signature(teacher, agreement)
    db.session.commit()  # as the teacher's request does
    return agreement, teacher


def last_code(address: str) -> str:
    """The code in the latest code mail sent to ``address``."""
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == address,
                                    OutboxMessage.template == "agreement_code")
        .order_by(OutboxMessage.id.desc())).first()
    assert message is not None, f"no code mail to {address}"
    found = re.search(r"\b(\d{6})\b", message.body_text)
    assert found is not None
    return found.group(1)


def sign_by_code(agreement: Agreement, party: Party, name: str | None = None) -> None:
    address = agreements.request_code(agreement, party)
    agreements.sign_with_code(agreement, party, last_code(address), signer_name=name)
    db.session.commit()  # as the signing page's request does


# Questionnaires --------------------------------------------------------------------------

FINISHED_WEEK = "2027-W05"  # Monday 1 to Friday 5 February 2027
AFTER = dt.date(2027, 2, 10)
CODE_RE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")


@dataclass
class Finished:
    campaign: Campaign
    by_email: list[Pupil]
    on_paper: list[Pupil]
    tutor: Tutor


def finished_campaign(by_email: int = 3, on_paper: int = 2, year: int = 2027,
                      company: Company | None = None) -> Finished:
    """A published 3e campaign of ``year``: pupils of class 3B confirmed at one offer in week 5,
    ``by_email`` of them with a guardian's address, ``on_paper`` without."""
    week = f"{year}-W05"
    campaign = make_campaign([first_school()], year=year, weeks=(week,))
    company = company or db.session.scalar(select(Company).limit(1)) or make_company()
    tutor = make_tutor(company, "Inès Tutrice", f"ines{year}@atelier-test.fr")
    offer = make_offer(company, tutor=tutor, seats={week: by_email + on_paper or 1},
                       title="Découverte de l'atelier")
    campaign.state = CampaignState.PUBLISHED
    emailed = [make_pupil(class_name="3B", first_name=f"Courriel{i}",
                          birth_date=dt.date(2012, 5, 6),
                          guardian_email=f"parent{year}-{i}@famille-test.fr")
               for i in range(by_email)]
    paper = [make_pupil(class_name="3B", first_name=f"Papier{i}",
                        birth_date=dt.date(2012, 5, 6)) for i in range(on_paper)]
    run = make_run(campaign, [(p, offer, week) for p in emailed + paper])
    for assignment in run.assignments:
        assignment.state = AssignmentState.CONFIRMED
    db.session.commit()
    return Finished(campaign, emailed, paper, tutor)


def emailed_code(recipient: str) -> str:
    message = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.recipient == recipient,
        OutboxMessage.template.in_(("questionnaire_pupil", "questionnaire_tutor"))))
    assert message is not None
    found = CODE_RE.search(message.body_text)
    assert found is not None
    return found.group(0)


def responses() -> list[QuestionnaireResponse]:
    return list(db.session.scalars(select(QuestionnaireResponse)))


# Rounds ----------------------------------------------------------------------------------

DAY = dt.date(2026, 11, 28)
# A fifth of the demo: every school keeps pupils, offers keep competing for seats, and a
# round solves in a fraction of the full demo's time.
SMALL_DEMO = DemoSize(pupils_3e=120, pupils_2de=0, companies=12, offers=36, past_pupils_3e=0)


def demo_campaign(today: dt.date = DAY, size: DemoSize = SMALL_DEMO) -> tuple[User, Campaign]:
    """The demo 3e campaign (small by default), closed by the demo steering account.

    Without the demo's finished campaign of last year: these tests count runs, assignments
    and mails of the current campaign alone.
    """
    seed_demo(today=today, size=size, history=False)
    steering = db.session.scalar(select(User).where(User.role == Role.STEERING))
    campaign = db.session.scalar(select(Campaign).where(Campaign.level == Level.TROISIEME,
                                                        Campaign.state == CampaignState.OPEN))
    assert steering is not None and campaign is not None
    campaigns.transition(steering, campaign, "close", today=today)
    db.session.commit()  # as the steering page's request does
    return steering, campaign


# A round for real worker processes -------------------------------------------------------

def small_round(pupils: int = 6, seats: tuple[int, ...] = (1, 1, 2)) -> tuple[User, Campaign]:
    """A closed campaign small enough for tests that start real processes: a few pupils who
    all wish the same sector, fewer seats than pupils, so the seeded lottery decides who is
    placed. Returns the steering member and the campaign, everything committed (other
    processes read it)."""
    school = first_school()
    campaign = make_campaign([school], **UPCOMING_CAMPAIGN)
    steering = make_user(Role.STEERING, "pilote.calcul@metropole-test.fr")
    company = make_company()
    for index, count in enumerate(seats):
        make_offer(company, title=f"Offre {index + 1}", sector_code="sante",
                   seats={UPCOMING_WEEK: count}, lat=school.lat + 0.002 * index, lon=school.lon)
    # Fifteen on the first day: no parental consent needed for the matching.
    born = dt.date(INTERNSHIP_MONDAY.year - 15, 1, 1)
    for index in range(pupils):
        user = make_pupil_user(school, code=f"CALC-{index:04d}-TEST", first_name=f"Élève{index}",
                               birth_date=born)
        requests.add_wish(user, user.pupil, sector_code="sante")
        requests.confirm_request(user, user.pupil)
    campaigns.transition(steering, campaign, "close")
    db.session.commit()
    return steering, campaign


# Rounds after the first, and hosts' decisions ----------------------------------------------

def wishes_one_sector(pupils: int = 5) -> tuple[User, Campaign]:
    """Five pupils who all wish health; one health seat, and four seats in retail nearby
    that nobody wishes."""
    school = first_school()
    campaign = make_campaign([school], **UPCOMING_CAMPAIGN)
    steering = make_user(Role.STEERING, "pilote.tours@metropole-test.fr")
    company = make_company()
    make_offer(company, title="Pharmacie", sector_code="sante", seats={UPCOMING_WEEK: 1},
               lat=school.lat, lon=school.lon)
    make_offer(company, title="Boutique", sector_code="commerce", seats={UPCOMING_WEEK: 4},
               lat=school.lat + 0.002, lon=school.lon)
    born = dt.date(INTERNSHIP_MONDAY.year - 15, 1, 1)
    for index in range(pupils):
        user = make_pupil_user(school, code=f"TOUR-{index:04d}-TEST",
                               first_name=f"Élève{index}", birth_date=born)
        requests.add_wish(user, user.pupil, sector_code="sante")
        requests.confirm_request(user, user.pupil)
    campaigns.transition(steering, campaign, "close")
    db.session.flush()
    return steering, campaign


# How many of the round's proposals end each way, in this order (the rest get no answer).
DECLINED_BEFORE, WITHDRAWN_AFTER, ASKED_AFTER, KEPT_AFTER = 14, 12, 3, 30


def round_with_host_decisions() -> tuple[User, Campaign, MatchingRun, list[Assignment]]:
    """The small demo's round, published, with hosts' decisions of every kind."""
    steering, campaign = demo_campaign()
    run = matching.run_round(steering, campaign, RunOptions(seed=5))
    matching.publish(steering, run)
    proposals = sorted(run.assignments, key=lambda a: a.id)
    now = utcnow()
    cut = [DECLINED_BEFORE, WITHDRAWN_AFTER, ASKED_AFTER, KEPT_AFTER]
    bounds = [sum(cut[:k]) for k in range(5)]
    for index, a in enumerate(proposals):
        if index < bounds[1]:
            a.state, a.declined_by, a.host_reason = (AssignmentState.DECLINED,
                                                     DeclinedBy.COMPANY, HostReason.OTHER)
            continue
        if index >= bounds[4]:
            continue
        a.pupil_confirmed_at = a.company_confirmed_at = now
        a.state = AssignmentState.CONFIRMED
        if index < bounds[2]:
            a.state, a.declined_by = AssignmentState.CANCELLED, DeclinedBy.WITHDRAWN
            db.session.add(WithdrawalRequest(assignment=a, reason=HostReason.SEAT_GONE,
                                             state=WithdrawalState.ACCEPTED, decided_at=now))
        elif index < bounds[3]:
            db.session.add(WithdrawalRequest(assignment=a, reason=HostReason.OTHER,
                                             note="Tuteur absent"))
    db.session.flush()
    return steering, campaign, run, proposals
# A published round, for the host's side --------------------------------------------------

HOST_MEMBER = "accueil@atelier-test.fr"
ROUND_TEACHER = "prof.tour@college-test.fr"
ROUND_STEERING = "pilote.tour@metropole-test.fr"
# Names, classes and addresses found nowhere else in the app, so that a page showing one of
# them shows a pupil's data.
ROUND_PUPILS = (("Zéphyrine", "Quillebœuf"), ("Anatole", "Vermandois"),
                ("Capucine", "Hautecloque"), ("Barnabé", "Ostrevent"))


@dataclass
class PublishedRound:
    steering: User
    campaign: Campaign
    run: MatchingRun
    member: User  # of the host structure, which holds every offer of the round
    teacher: User  # a validated teacher of the pupils' school
    pupils: list[Pupil]


def published_round() -> PublishedRound:
    """Four pupils of one school (class « 3-Orchidée », living in Anzin, distinctive names,
    each with a guardian's address), one structure in Valenciennes with three accessible
    offers and four seats in all, a member and a teacher signed up: the round computed by
    the engine and published, so that every pupil has a proposal awaiting both answers and
    the publication mail is in the outbox. Everything committed (a live server reads it)."""
    school = first_school()
    campaign = make_campaign([school], **UPCOMING_CAMPAIGN)
    steering = make_user(Role.STEERING, ROUND_STEERING)
    company = make_company()
    member = make_user(Role.COMPANY, HOST_MEMBER, company=company)
    teacher = make_teacher(ROUND_TEACHER, school)
    for index, count in enumerate((1, 1, 2)):
        make_offer(company, title=f"Atelier {index + 1}", sector_code="sante", accessible=True,
                   seats={UPCOMING_WEEK: count}, lat=school.lat + 0.002 * index, lon=school.lon)
    born = dt.date(INTERNSHIP_MONDAY.year - 15, 1, 1)
    pupils = []
    for index, (first, last) in enumerate(ROUND_PUPILS):
        user = make_pupil_user(school, code=f"TOUR-{index:04d}-TEST", first_name=first,
                               last_name=last, class_name="3-Orchidée", birth_date=born,
                               home_commune_code=ANZIN, needs_accessible=index == 0,
                               guardian_email=f"famille.{last.lower()}@parents-test.fr")
        requests.add_wish(user, user.pupil, sector_code="sante")
        requests.confirm_request(user, user.pupil)
        pupils.append(user.pupil)
    campaigns.transition(steering, campaign, "close")
    run = matching.run_round(steering, campaign, RunOptions(seed=15))
    matching.publish(steering, run)
    db.session.commit()
    assert len(run.assignments) == len(pupils), "every pupil has a proposal"
    return PublishedRound(steering, campaign, run, member, teacher, pupils)
