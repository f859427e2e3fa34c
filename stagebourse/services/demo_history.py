"""The demo's history: last school year's 3e campaign, played to its end through the services.

A finished campaign is what the observatory, the questionnaire results, the confirmed
assignments and their agreements are made of. So that the demo shows them under the same rules
as real data, every step a service exists for is that service, called on the day it would have
happened: the campaign, its schools' weeks and its opening; the closing of requests; the round
computed by the real engine and published; each answer, given by the pupil's teacher and by a
member of the host structure (the agreement is drafted by the confirmation itself); the release
of the seats nobody confirmed; the questionnaire invitations and the teachers' class sheets of
codes; each anonymous answer, through the very function the questionnaire page calls (so the
answers are exactly as unlinkable as real ones: docs/privacy.md); the end of the campaign; and
the closing of its questionnaire with the release of its figures (what the observatory shows).

Rows are written directly only where no service can act in the past: the pupils, their
requests and the offers' seats for last year (the request services work on the current
campaign, today), as the current demo campaigns do.

Internships stay "confirmed": the app counts a confirmed internship whose week is over as done
(that is what the questionnaire invitations use), and moving one to "completed" needs its
agreement signed by all four parties, which the demo does not play.

Everything is drawn from a generator of its own, seeded from the demo's seed, so the current
campaigns draw exactly what they drew before the history existed, and the history is the same
at every seeding. The engine's pseudonyms come from that generator too (real rounds draw them
at random), because the lottery among equal optima depends on them.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from stagebourse.extensions import db
from stagebourse.identifiers import iso_week
from stagebourse.models import (
    Assignment,
    AssignmentState,
    Campaign,
    Company,
    Gender,
    HostReason,
    Level,
    Offer,
    OfferWeek,
    OutboxMessage,
    OutboxState,
    Pupil,
    Request,
    RequestState,
    Role,
    School,
    User,
    utcnow,
)
from stagebourse.services import campaigns, matching, observatory, questionnaires
from stagebourse.services.demo import DEMO_DOMAIN, add_wishes, new_pupil, offers_by_sector
from stagebourse.services.matching import RunOptions

# Trades where girls are still few: there, the demo's girls report remarks about their sex
# more often (what the observatory is meant to bring to light).
MALE_DOMINATED = {"batiment", "industrie", "mecanique", "numerique", "securite", "energie"}
COMMENTS = [
    "J'ai bien aimé, l'équipe était gentille.",
    "C'était trop court, j'aurais voulu rester plus longtemps.",
    "J'ai découvert un métier que je ne connaissais pas.",
    "Au début j'avais peur mais ça s'est bien passé.",
    "On ne m'a pas beaucoup expliqué, j'ai surtout regardé.",
]
TUTOR_COMMENTS = [
    "Élève curieux et ponctuel.",
    "Une semaine, c'est court pour découvrir nos métiers.",
    "Les fiches de sensibilisation étaient claires.",
]
# The codes as printed in the invitation e-mail a tutor receives (questionnaires.invite).
_CODE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\b")


@dataclass
class HistorySummary:
    campaign: str
    pupils: int
    published: int
    confirmed: int
    declined: int
    pupil_responses: int
    tutor_responses: int


@dataclass(frozen=True)
class _Calendar:
    """The days of last year's campaign, all in the past whatever the day of seeding."""

    year: int
    weeks: tuple[str, ...]
    opened: dt.date
    requests_deadline: dt.date
    published: dt.date
    confirmation_deadline: dt.date
    invited: dt.date

    @classmethod
    def previous(cls, school_year: int) -> _Calendar:
        # 3e internships of December and January: the three weeks from the one holding
        # 1 December, and one in January, after the Christmas holidays.
        year = school_year - 1
        start = dt.date(year - 1, 12, 1)
        start -= dt.timedelta(days=start.weekday())
        deadline = start - dt.timedelta(weeks=5)
        return cls(
            year=year,
            weeks=tuple(iso_week(start + dt.timedelta(weeks=k)) for k in (0, 1, 2, 6)),
            opened=dt.date(year - 1, 9, 15),
            requests_deadline=deadline,
            published=deadline + dt.timedelta(days=5),
            confirmation_deadline=start - dt.timedelta(weeks=2),
            # The Monday after the last internship week: every internship is over.
            invited=start + dt.timedelta(weeks=7),
        )


def seed_history(rng: random.Random, *, school_year: int, pupils: int, college_ids: list[int],
                 offer_ids: list[int], steering_id: int, teacher_id: int) -> HistorySummary:
    """Play last school year's 3e campaign from opening to end, in the caller's transaction."""
    return _play(
        rng, school_year, pupils,
        colleges=[db.session.get_one(School, i) for i in college_ids],
        offers=list(db.session.scalars(
            select(Offer).where(Offer.id.in_(offer_ids)).order_by(Offer.id)
            .options(selectinload(Offer.company), selectinload(Offer.weeks)))),
        steering=db.session.get_one(User, steering_id),
        teacher=db.session.get_one(User, teacher_id))


def _play(rng: random.Random, school_year: int, pupils: int, *, colleges: list[School],
          offers: list[Offer], steering: User, teacher: User) -> HistorySummary:
    when = _Calendar.previous(school_year)
    mail_before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0
    teachers = _school_teachers(colleges, teacher)
    members = _company_members({o.company for o in offers})
    campaign = campaigns.create_campaign(
        steering, year=when.year, level=Level.TROISIEME,
        name=f"Stages de 3e {when.year - 1}-{when.year} (démonstration)",
        requests_deadline=when.requests_deadline,
        confirmation_deadline=when.confirmation_deadline)
    campaigns.set_school_weeks(steering, campaign, {
        school.id: sorted(rng.sample(when.weeks, rng.choice([1, 1, 2]))) for school in colleges})
    campaigns.transition(steering, campaign, "open", today=when.opened)

    # The same structures offered the same internships last year, on last year's weeks.
    offers_3e = [o for o in offers if o.for_3e]
    for offer in offers_3e:
        for week in sorted(rng.sample(when.weeks, rng.randint(2, 3))):
            offer.weeks.append(OfferWeek(campaign=campaign, week=week, seats=rng.randint(1, 3)))
    db.session.flush()
    by_sector = offers_by_sector(offers_3e)
    for index in range(pupils):
        school = colleges[index % len(colleges)]
        # Last year's classes keep their year in their name: the teachers' class lists show
        # them apart from this year's.
        pupil = new_pupil(rng, school, Level.TROISIEME,
                          f"3{'AB'[index % 2]} {when.year - 1}-{when.year}",
                          when.year - 15, when.opened + dt.timedelta(days=31))
        db.session.add(pupil)
        if rng.random() < 0.08:
            continue  # never started a request
        request = Request(campaign=campaign, pupil=pupil, has_network=rng.random() < 0.2)
        add_wishes(rng, request, pupil.gender, by_sector)
        if rng.random() < 0.92:
            request.state, request.confirmed_at = RequestState.CONFIRMED, utcnow()
        db.session.add(request)
    db.session.flush()

    campaigns.transition(steering, campaign, "close",
                         today=when.requests_deadline + dt.timedelta(days=1))
    run = matching.run_round(
        steering, campaign, RunOptions(seed=rng.randrange(2**31)),
        draw_pseudonym=lambda: f"p{rng.getrandbits(48):012x}")
    run = matching.publish(steering, run)
    _answer(rng, run.assignments, teachers, members, when)
    matching.release_unconfirmed(steering, campaign,
                                 today=when.confirmation_deadline + dt.timedelta(days=1))

    questionnaires.invite(steering, campaign, today=when.invited)
    pupil_responses = _pupils_answer(rng, campaign, teachers, when)
    tutor_responses = _tutors_answer(rng, campaign, when)
    questionnaires.mix_responses(campaign)  # what the worker's scheduled job does
    campaigns.transition(steering, campaign, "finish")
    # The questionnaire closes and the figures are released, once, as the steering group would:
    # the observatory's pages show only releases.
    observatory.close_questionnaire(steering, campaign)
    observatory.compute_campaign_release(steering, campaign)
    # Last year's mail went out last year: left pending, it would sit on the steering group's
    # outbox page (the demo runs no worker), or reach the demo addresses a year late.
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id > mail_before)
                       .values(state=OutboxState.SENT, sent_at=utcnow()))
    db.session.flush()

    states = Counter(a.state for a in run.assignments)
    return HistorySummary(
        campaign=campaign.name, pupils=pupils, published=len(run.assignments),
        confirmed=states[AssignmentState.CONFIRMED], declined=states[AssignmentState.DECLINED],
        pupil_responses=pupil_responses, tutor_responses=tutor_responses)


def _school_teachers(colleges: list[School], teacher: User) -> dict[int, User]:
    """The referent teacher of each collège: the demo's own, and one more per other collège
    (no password: nobody signs in as them, they did last year's work)."""
    teachers = {teacher.school_id: teacher} if teacher.school_id is not None else {}
    now = utcnow()
    for school in colleges:
        if school.id not in teachers:
            teachers[school.id] = User(
                role=Role.TEACHER, email=f"prof.{school.uai.lower()}@{DEMO_DOMAIN}",
                school_id=school.id, display_name=f"Professeur référent, {school.name} (démo)",
                validated_at=now)
            db.session.add(teachers[school.id])
    db.session.flush()
    return teachers


def _company_members(companies: Iterable[Company]) -> dict[int, User]:
    """A member account for each structure that has none (no password either)."""
    members = {u.company_id: u for u in db.session.scalars(
        select(User).where(User.role == Role.COMPANY).order_by(User.id)) if u.company_id}
    for company in sorted(companies, key=lambda c: c.id):
        if company.id not in members:
            members[company.id] = User(role=Role.COMPANY, email=company.contact_email,
                                       company_id=company.id, display_name=company.contact_name)
            db.session.add(members[company.id])
    db.session.flush()
    return members


HOST_REASONS = list(HostReason)
DEMO_HOST_NOTE = "Fermeture exceptionnelle de l'atelier cette semaine-là."


def _answer(rng: random.Random, assignments: list[Assignment], teachers: dict[int, User],
            members: dict[int, User], when: _Calendar) -> None:
    """Most pupils and hosts confirm. Pupils: 3 % never answer, 5 % decline; hosts: 2 % never
    answer, 3 % decline. The pupil's side is given by their teacher, as teachers may."""
    for assignment in sorted(assignments, key=lambda a: a.pupil_id):
        day = when.published + dt.timedelta(days=rng.randint(1, 12))
        pupil_side, host_side = rng.random(), rng.random()
        if pupil_side < 0.03:
            continue  # no answer: the seat goes back after the deadline
        teacher = teachers[assignment.pupil.school_id]
        matching.answer_for_pupil(teacher, assignment, pupil_side >= 0.08, today=day)
        if assignment.state == AssignmentState.DECLINED or host_side < 0.02:
            continue
        member = members[assignment.offer.company_id]
        # A host declines with one of the closed list's reasons, taken in turn.
        reason = HOST_REASONS[assignment.id % len(HOST_REASONS)]
        matching.answer_for_company(member, assignment, host_side >= 0.05, today=day,
                                    reason=reason, note=DEMO_HOST_NOTE)


def _pupils_answer(rng: random.Random, campaign: Campaign, teachers: dict[int, User],
                   when: _Calendar) -> int:
    """Teachers print their class sheets and hand the nameless slips out, one per pupil of
    the class; most pupils type their code and answer."""
    slips: list[tuple[Pupil, str]] = []
    for _school_id, teacher in sorted(teachers.items()):
        for class_name, pupils in sorted(
                questionnaires.class_sheet_pupils(teacher, campaign).items()):
            codes = questionnaires.print_class_sheet(teacher, campaign, class_name)
            slips += zip(pupils, codes, strict=True)
    placed = {a.pupil_id: a for a in db.session.scalars(
        select(Assignment).where(Assignment.pupil_id.in_([pupil.id for pupil, _ in slips]),
                                 Assignment.state == AssignmentState.CONFIRMED))}
    answered = 0
    for pupil, code in sorted(slips, key=lambda slip: slip[0].id):
        if rng.random() >= 0.8:
            continue  # four pupils in five answer
        form = _pupil_form(rng, pupil, placed[pupil.id])
        questionnaires.submit_answers(
            code, form, today=when.invited + dt.timedelta(days=rng.randint(0, 20)))
        answered += 1
    return answered


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _reported(rng: random.Random, chances: dict[str, float], also: Iterable[str] = ()
              ) -> list[str]:
    chosen = [*also, *(value for value, chance in chances.items() if rng.random() < chance)]
    return chosen or ["none"]


def _pupil_form(rng: random.Random, pupil: Pupil, assignment: Assignment) -> dict[str, list[str]]:
    """What this pupil ticks: wishes met by rank, and inequalities reported more often by
    girls placed in male-dominated trades and by pupils from priority neighbourhoods."""
    sector = assignment.offer.sector_code
    girl = pupil.gender == Gender.FEMALE
    qpv = bool(pupil.qpv_resident)
    rank = assignment.rank
    form: dict[str, list[str]] = {
        "matched_wish": [_pick(rng, {"yes": 8, "partly": 2, "no": 0.5} if rank and rank <= 2
                               else {"yes": 2, "partly": 5, "no": 3})],
        "activities": sorted(rng.sample(["watched", "helped", "explained"], rng.randint(1, 3))
                             + (["waited"] if rng.random() < 0.15 else [])),
        "welcome": [_pick(rng, {"good": 75, "average": 20, "bad": 5})],
        "recommend": [_pick(rng, {"yes": 65, "maybe": 25, "no": 10})],
    }
    if rng.random() < 0.9:
        form["sector"] = [sector]
    if rng.random() < 0.92:
        # Remarks on where one lives and on one's origin are often heard together.
        where = rng.random() < (0.3 if qpv else 0.03)
        origin = (where and rng.random() < 0.7) or rng.random() < 0.04
        form["remarks"] = _reported(rng, {
            "gender": (0.45 if sector in MALE_DOMINATED else 0.25) if girl else 0.02,
            "religion": 0.005,
            "disability": 0.3 if pupil.needs_accessible else 0.005,
            "appearance": 0.015,
            "name": 0.03 if qpv else 0.005,
        }, also=[v for v, yes in (("origin", origin), ("neighbourhood", where)) if yes])
    if rng.random() < 0.88:
        form["treatment"] = _reported(rng, {
            "tasks": 0.2 if girl and sector in MALE_DOMINATED else 0.01,
            "sidelined": 0.015,
            "refused": 0.005,
        })
    if any(v != "none" for q in ("remarks", "treatment") for v in form.get(q, [])):
        form["who"] = [_pick(rng, {"me": 5, "other": 3, "both": 2})]
    if pupil.gender is not None and rng.random() < 0.93:
        form["gender"] = [pupil.gender.value]
    elif rng.random() < 0.2:
        form["gender"] = ["X"]
    if rng.random() < 0.12:
        form["comment"] = [rng.choice(COMMENTS)]
    return form


def _tutors_answer(rng: random.Random, campaign: Campaign, when: _Calendar) -> int:
    """Tutors read their invitation e-mail and, more than half of them, answer."""
    prefix = f"questionnaire-invite:{campaign.id}:tutor:"
    mails = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.idempotency_key.startswith(prefix))).all()
    # The tutor's sector: that of their first offer.
    sectors = {o.tutor_id: o.sector_code for o in db.session.scalars(
        select(Offer).order_by(Offer.id.desc()))}
    answered = 0
    for mail in sorted(mails, key=lambda m: int(m.idempotency_key[len(prefix):])):
        found = _CODE.search(mail.body_text)
        if found is None or rng.random() >= 0.6:
            continue
        tutor_id = int(mail.idempotency_key[len(prefix):])
        form = {
            "prepared": [_pick(rng, {"yes": 50, "partly": 30, "no": 5, "not_read": 15})],
            "sector": [sectors[tutor_id]],
            "went_well": [_pick(rng, {"good": 75, "average": 20, "bad": 5})],
            "remarks": _reported(rng, {"origin": 0.05, "neighbourhood": 0.04, "gender": 0.05,
                                       "appearance": 0.03}),
            "again": [_pick(rng, {"yes": 70, "maybe": 25, "no": 5})],
        }
        if rng.random() < 0.15:
            form["comment"] = [rng.choice(TUTOR_COMMENTS)]
        questionnaires.submit_answers(
            found.group(), form, today=when.invited + dt.timedelta(days=rng.randint(0, 20)))
        answered += 1
    return answered
