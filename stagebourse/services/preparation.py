"""Preparing the people of a published round: tutors read the sensitisation materials and say
so; pupils (through their guardian) and teachers receive theirs.

The publication of a round (steering) calls :func:`queue_preparation` inside its own
transaction, so a rolled-back publication sends nothing. Reminders (:func:`send_due_reminders`)
run from the worker or from ``stagebourse remind tutors``; every mail has an outbox idempotency
key, so running any of this twice never queues a message twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from markupsafe import Markup
from sqlalchemy import func, select

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.models import (
    Assignment,
    AssignmentState,
    Audience,
    Campaign,
    CampaignState,
    MatchingRun,
    Material,
    MaterialAcknowledgement,
    Offer,
    OutboxMessage,
    Pupil,
    Role,
    RunState,
    Tutor,
    TutorLink,
    User,
    utcnow,
)
from stagebourse.services import ServiceError, journal
from stagebourse.services.journal import Event
from stagebourse.services.materials import (
    attachment_path,
    current_material,
    current_materials,
    render_markdown,
)
from stagebourse.services.notifications import public_url, queue_email
from stagebourse.services.policy import Action, require

# Assignments that still mean "a pupil will come" (a proposal of the run being published is
# included: the publication may flip states after calling us, in the same transaction).
ACTIVE_STATES = (AssignmentState.PROPOSED, AssignmentState.PUBLISHED,
                 AssignmentState.CONFIRMED, AssignmentState.COMPLETED)
DEFAULT_LINK_DAYS = 60
DEFAULT_REMINDER_DAYS = (14, 3)
# No reminder within this many days of the first mail: it would arrive on its heels.
REMINDER_QUIET_DAYS = 2
_SALT = "tutor-preparation"


class PreparationLinkError(ServiceError):
    """The personal link cannot be used; ``status`` is the HTTP status to answer."""

    status = 400


class PreparationLinkExpired(PreparationLinkError):
    status = 410


class PreparationLinkRevoked(PreparationLinkError):
    status = 403


def first_day(week: str) -> dt.date:
    """The Monday of an ISO week such as ``2027-W05``."""
    year, number = week.split("-W")
    return dt.date.fromisocalendar(int(year), int(number), 1)


# Personal links ----------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def link_days() -> int:
    return int(current_app.config.get("PREPARATION_LINK_DAYS", DEFAULT_LINK_DAYS))


def make_token(tutor: Tutor, campaign: Campaign) -> str:
    return _serializer().dumps({"t": tutor.id, "c": campaign.id})


def tutor_link(tutor: Tutor, campaign: Campaign) -> str:
    return public_url("tutor_preparation.read", token=make_token(tutor, campaign))


def read_token(token: str) -> tuple[Tutor, Campaign]:
    """The tutor and campaign a link was made for, or a clear refusal."""
    try:
        data, issued = _serializer().loads(token, max_age=link_days() * 86400,
                                           return_timestamp=True)
    except SignatureExpired:
        raise PreparationLinkExpired(
            _l("Ce lien a expiré. Demandez un nouveau lien au groupe de pilotage de la bourse de "
               "stages, ou au professeur référent de votre stagiaire.")
        ) from None
    except BadSignature:
        raise PreparationLinkError(
            _l("Ce lien n'est pas valide : il a peut-être été coupé ou modifié. Ouvrez le lien "
               "complet reçu par e-mail (copiez-le en entier dans la barre d'adresse).")
        ) from None
    tutor = db.session.get(Tutor, data.get("t")) if isinstance(data, dict) else None
    campaign = db.session.get(Campaign, data.get("c")) if isinstance(data, dict) else None
    if tutor is None or campaign is None:
        raise PreparationLinkExpired(
            _l("Ce lien ne correspond plus à un stage en cours. Si vous accueillez toujours un "
               "élève, demandez un nouveau lien au groupe de pilotage.")
        )
    # A host or the steering group who cut this tutor's access cut this link too: it was made
    # before the revocation (links made after it, for a new tutor period, still work).
    revoked = db.session.scalar(select(func.max(TutorLink.revoked_at)).where(
        TutorLink.tutor_id == tutor.id))
    if revoked is not None and revoked >= issued:
        raise PreparationLinkRevoked(
            _l("Ce lien a été désactivé par la structure d'accueil ou par le groupe de "
               "pilotage. Si vous accueillez toujours un élève, demandez un nouveau lien à votre "
               "structure."))
    return tutor, campaign


# Who is concerned --------------------------------------------------------------------------------


@dataclass
class TutorPlacement:
    tutor: Tutor
    campaign: Campaign
    first_day: dt.date
    pupils: int


def _tutor_placements(campaign: Campaign, runs: Iterable[MatchingRun]) -> list[TutorPlacement]:
    run_ids = [run.id for run in runs]
    if not run_ids:
        return []
    rows = db.session.execute(
        select(Offer.tutor_id, func.min(Assignment.week), func.count(Assignment.id))
        .join(Assignment, Assignment.offer_id == Offer.id)
        .where(Assignment.run_id.in_(run_ids), Assignment.state.in_(ACTIVE_STATES),
               Offer.tutor_id.is_not(None))
        .group_by(Offer.tutor_id)
    ).all()
    placements = []
    for tutor_id, week, pupils in rows:
        tutor = db.session.get(Tutor, tutor_id)
        assert tutor is not None
        placements.append(TutorPlacement(tutor, campaign, first_day(week), pupils))
    return sorted(placements, key=lambda p: (p.first_day, p.tutor.full_name, p.tutor.id))


def published_runs(campaign: Campaign) -> list[MatchingRun]:
    return list(db.session.scalars(
        select(MatchingRun).where(MatchingRun.campaign_id == campaign.id,
                                  MatchingRun.state == RunState.PUBLISHED)
    ).all())


def _assigned_pupils(run: MatchingRun) -> list[tuple[Pupil, str]]:
    rows = db.session.execute(
        select(Pupil, Assignment.week).join(Assignment, Assignment.pupil_id == Pupil.id)
        .where(Assignment.run_id == run.id, Assignment.state.in_(ACTIVE_STATES))
        .order_by(Pupil.id)
    ).all()
    return [(pupil, week) for pupil, week in rows]


# Queuing the first mails -------------------------------------------------------------------------


@dataclass
class PreparationSummary:
    tutors: int = 0
    teachers: int = 0
    guardians: int = 0


def _materials_context(audience: Audience) -> list[dict[str, object]]:
    return [{"title": m.title, "version": m.version, "body_md": m.body_md,
             "body_html": render_markdown(m.body_md, heading_offset=1)}
            for m in current_materials(audience)]


def queue_preparation(actor: User | None, run: MatchingRun) -> PreparationSummary:
    """Queue the preparation mails of a round, in the caller's transaction (no commit).

    Call it from the publication of ``run``. Each tutor of an assigned offer gets a personal
    link to read and acknowledge the tutor materials; each assigned pupil's guardian (when an
    address is known) gets the pupil materials; each teacher of the schools concerned gets the
    teacher and pupil materials. Calling it again queues nothing new (outbox keys).
    """
    require(actor, Action.STEER_MATERIALS, run)
    campaign = run.campaign
    summary = PreparationSummary()
    tutor_materials = current_materials(Audience.TUTOR)
    for placement in _tutor_placements(campaign, [run]):
        tutor = placement.tutor
        queue_email(
            tutor.email, "tutor_preparation",
            key=f"preparation:tutor:{campaign.id}:{tutor.id}",
            reason=("vous êtes tuteur ou tutrice d'un stage d'observation attribué par la "
                    "bourse de stages de Valenciennes Métropole."),
            tutor=tutor, campaign=campaign, first_day=placement.first_day,
            pupils=placement.pupils, link=tutor_link(tutor, campaign),
            link_days=link_days(), materials=tutor_materials,
        )
        summary.tutors += 1

    pupils = _assigned_pupils(run)
    pupil_materials = _materials_context(Audience.PUPIL)
    for pupil, week in pupils:
        if not pupil.guardian_email:
            continue
        queue_email(
            pupil.guardian_email, "pupil_preparation",
            key=f"preparation:pupil:{campaign.id}:{pupil.id}",
            reason=("votre adresse a été donnée comme celle du représentant légal d'un élève "
                    "inscrit à la bourse de stages de Valenciennes Métropole."),
            first_name=pupil.first_name, campaign=campaign, first_day=first_day(week),
            materials=pupil_materials, link=public_url("pupil.preparation_page"),
        )
        summary.guardians += 1

    school_ids = sorted({pupil.school_id for pupil, _ in pupils})
    per_school: dict[int, int] = {}
    for pupil, _ in pupils:
        per_school[pupil.school_id] = per_school.get(pupil.school_id, 0) + 1
    teacher_materials = (_materials_context(Audience.TEACHER)
                         + _materials_context(Audience.PUPIL))
    teachers = db.session.scalars(
        select(User).where(User.role == Role.TEACHER, User.school_id.in_(school_ids),
                           User.is_active.is_(True), User.validated_at.is_not(None),
                           User.email.is_not(None))
        .order_by(User.id)
    ).all() if school_ids else []
    for teacher in teachers:
        assert teacher.email is not None and teacher.school_id is not None
        queue_email(
            teacher.email, "teacher_preparation",
            key=f"preparation:teacher:{campaign.id}:{teacher.id}",
            reason=("vous êtes professeur référent d'un établissement dont des élèves ont "
                    "obtenu un stage par la bourse de stages de Valenciennes Métropole."),
            teacher=teacher, campaign=campaign, pupils=per_school[teacher.school_id],
            materials=teacher_materials, link=public_url("teacher.preparation_page"),
        )
        summary.teachers += 1
    journal.record(actor, Event.PREPARATION_QUEUE, run, tutors=summary.tutors,
                   teachers=summary.teachers, guardians=summary.guardians)
    return summary


def prepare_tutors(actor: User | None, run: MatchingRun) -> PreparationSummary:
    """:func:`queue_preparation` as a use case of its own."""
    require(actor, Action.STEER_MATERIALS, run)
    if run.state not in (RunState.PUBLISHED, RunState.DONE):
        raise ServiceError(_l("Ce tour d'affectation n'est pas terminé : publiez-le d'abord."))
    summary = queue_preparation(actor, run)
    db.session.flush()
    return summary


# The tutor reads and acknowledges ---------------------------------------------------------------


def acknowledged_ids(tutor: Tutor, campaign: Campaign) -> dict[int, dt.datetime]:
    rows = db.session.execute(
        select(MaterialAcknowledgement.material_id, MaterialAcknowledgement.acknowledged_at)
        .where(MaterialAcknowledgement.tutor_id == tutor.id,
               MaterialAcknowledgement.campaign_id == campaign.id)
    ).all()
    return {material_id: at for material_id, at in rows}


@dataclass
class ReadingItem:
    material: Material
    html: Markup
    acknowledged_at: dt.datetime | None


def reading_list(tutor: Tutor, campaign: Campaign) -> list[ReadingItem]:
    """The current tutor materials, rendered, with when this tutor acknowledged each."""
    done = acknowledged_ids(tutor, campaign)
    return [ReadingItem(m, render_markdown(m.body_md, heading_offset=1), done.get(m.id))
            for m in current_materials(Audience.TUTOR)]


def tutor_attachment(slug: str) -> Path | None:
    """The PDF of a current tutor material, if it has one (served behind a valid link)."""
    material = current_material(slug)
    if material is None or material.audience != Audience.TUTOR:
        return None
    return attachment_path(material)


def acknowledge(tutor: Tutor, campaign: Campaign) -> list[Material]:
    """Record "J'ai lu ces documents" for every current tutor material. Idempotent."""
    materials = current_materials(Audience.TUTOR)
    if not materials:
        raise ServiceError(_l("Aucun document n'est encore publié pour les tuteurs : revenez plus "
                              "tard, le lien reste valable."))
    done = acknowledged_ids(tutor, campaign)
    new = [m for m in materials if m.id not in done]
    now = utcnow()
    for material in new:
        db.session.add(MaterialAcknowledgement(tutor_id=tutor.id, campaign_id=campaign.id,
                                               material_id=material.id, acknowledged_at=now))
    if new:
        journal.record(None, Event.PREPARATION_ACKNOWLEDGE, tutor, campaign_id=campaign.id,
                       materials=[f"{m.slug} v{m.version}" for m in new])
    db.session.flush()
    return new


# Reminders ---------------------------------------------------------------------------------------


def reminder_days() -> tuple[int, ...]:
    days = current_app.config.get("PREPARATION_REMINDER_DAYS", DEFAULT_REMINDER_DAYS)
    return tuple(sorted({int(d) for d in days}, reverse=True))


def send_due_reminders(today: dt.date | None = None) -> int:
    """Queue the reminders due today to tutors who have not acknowledged. Commits.

    For each tutor, only the most urgent due reminder (e.g. 3 days before rather than 14) is
    queued, and none in the first days after the preparation mail. Returns how many were new.
    """
    today = today or clock.today()
    days = reminder_days()
    queued = 0
    campaigns = db.session.scalars(
        select(Campaign).where(Campaign.state != CampaignState.FINISHED)
    ).all()
    for campaign in campaigns:
        for placement in _tutor_placements(campaign, published_runs(campaign)):
            if placement.first_day <= today:
                continue
            tutor = placement.tutor
            if acknowledged_ids(tutor, campaign):
                continue
            due = [d for d in days if today >= placement.first_day - dt.timedelta(days=d)]
            if not due:
                continue
            first_mail = db.session.scalar(select(OutboxMessage.created_at).where(
                OutboxMessage.idempotency_key == f"preparation:tutor:{campaign.id}:{tutor.id}"))
            if first_mail is not None and (
                    clock.paris_date(first_mail) > today - dt.timedelta(days=REMINDER_QUIET_DAYS)):
                continue
            key = f"preparation:remind:{campaign.id}:{tutor.id}:{min(due)}"
            if db.session.scalar(select(OutboxMessage.id).where(
                    OutboxMessage.idempotency_key == key)) is not None:
                continue
            queue_email(
                tutor.email, "tutor_reminder", key=key,
                reason=("vous êtes tuteur ou tutrice d'un stage d'observation attribué par la "
                        "bourse de stages de Valenciennes Métropole."),
                tutor=tutor, campaign=campaign, first_day=placement.first_day,
                days_left=(placement.first_day - today).days,
                link=tutor_link(tutor, campaign), link_days=link_days(),
            )
            queued += 1
    if queued:
        journal.record(None, Event.PREPARATION_REMIND, None, reminders=queued,
                       day=today.isoformat())
    db.session.flush()
    return queued


# The steering group's view -----------------------------------------------------------------------


@dataclass
class TutorStatus:
    tutor: Tutor
    first_day: dt.date
    pupils: int
    acknowledged_at: dt.datetime | None

    @property
    def acknowledged_before_first_day(self) -> bool:
        return (self.acknowledged_at is not None
                and clock.paris_date(self.acknowledged_at) < self.first_day)


@dataclass
class PreparationDashboard:
    campaign: Campaign
    rows: list[TutorStatus]

    @property
    def tutors(self) -> int:
        return len(self.rows)

    @property
    def acknowledged_in_time(self) -> int:
        return sum(1 for row in self.rows if row.acknowledged_before_first_day)

    @property
    def share(self) -> float | None:
        return self.acknowledged_in_time / self.tutors if self.tutors else None

    @property
    def not_in_time(self) -> list[TutorStatus]:
        return [row for row in self.rows if not row.acknowledged_before_first_day]


def preparation_dashboard(actor: User, campaign: Campaign) -> PreparationDashboard:
    """Per tutor of the campaign's published rounds: first day and first acknowledgement."""
    require(actor, Action.STEER_MATERIALS, campaign)
    rows = []
    for placement in _tutor_placements(campaign, published_runs(campaign)):
        first_ack = db.session.scalar(
            select(func.min(MaterialAcknowledgement.acknowledged_at)).where(
                MaterialAcknowledgement.tutor_id == placement.tutor.id,
                MaterialAcknowledgement.campaign_id == campaign.id))
        if first_ack is not None and first_ack.tzinfo is None:
            first_ack = first_ack.replace(tzinfo=dt.UTC)  # func.min bypasses the column type
        rows.append(TutorStatus(placement.tutor, placement.first_day, placement.pupils,
                                first_ack))
    return PreparationDashboard(campaign, rows)


# The preparation pages of the pupil and teacher spaces --------------------------------------

@dataclass
class ReadingPage:
    material: Material
    html: Markup


def materials_for(actor: User, audience: Audience) -> list[ReadingPage]:
    """The current materials of one audience, rendered (Fiche 5: preparing the pupils).

    A pupil reads the pupil materials; a teacher the teacher materials and the pupils' (to
    read them in class). Nothing personal is read: any signed-in pupil or teacher may."""
    allowed = {Role.PUPIL: {Audience.PUPIL},
               Role.TEACHER: {Audience.PUPIL, Audience.TEACHER}}.get(actor.role, set())
    if audience not in allowed:
        raise ServiceError(_l("Ces documents ne sont pas destinés à votre espace."))
    return [ReadingPage(m, render_markdown(m.body_md, heading_offset=1))
            for m in current_materials(audience)]
