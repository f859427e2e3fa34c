"""Publishing a round: all assignments, seat counts and mail in one transaction, once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from stagebourse.extensions import db
from stagebourse.models import (
    Assignment,
    AssignmentState,
    MatchingRun,
    Role,
    RunState,
    User,
    utcnow,
)
from stagebourse.services import ServiceError, campaigns, journal, placement
from stagebourse.services.journal import Event
from stagebourse.services.notifications import public_url, queue_email
from stagebourse.services.policy import Action, require


def publish(actor: User, run: MatchingRun) -> MatchingRun:
    """Publish a dry run: all of it in one transaction, or nothing.

    The run and its assignments become published, the other dry runs of the round are
    discarded, the campaign moves to "published", the outbox receives the messages to pupils
    (guardians), teachers, company members and tutors, and the journal says who did it. Two
    people publishing at once: the conditional UPDATE on the run's state lets exactly one win.
    """
    require(actor, Action.STEER_MATCHING, run)
    if run.state != RunState.DONE:
        raise ServiceError(_l("Seul un essai terminé et vérifié peut être publié (cet essai "
                              "est « %(state)s »).", state=_state_label(run.state)))
    campaign = run.campaign
    run_id, campaign_id, round_number = run.id, campaign.id, run.round_number
    try:
        won = db.session.execute(
            update(MatchingRun)
            .where(MatchingRun.id == run_id, MatchingRun.state == RunState.DONE)
            .values(state=RunState.PUBLISHED, published_at=utcnow(), published_by_id=actor.id)
            .execution_options(synchronize_session=False))
        if won.rowcount != 1:  # type: ignore[attr-defined]
            raise ServiceError(_l("Cet essai vient d'être publié ou écarté par quelqu'un "
                                  "d'autre : rechargez la page."))
        other = db.session.scalar(select(func.count()).select_from(MatchingRun).where(
            MatchingRun.campaign_id == campaign_id, MatchingRun.round_number == round_number,
            MatchingRun.state == RunState.PUBLISHED, MatchingRun.id != run_id))
        if other:
            raise ServiceError(_l("Un autre essai de ce tour est déjà publié."))
        db.session.execute(
            update(Assignment)
            .where(Assignment.run_id == run_id, Assignment.state == AssignmentState.PROPOSED)
            .values(state=AssignmentState.PUBLISHED)
            .execution_options(synchronize_session=False))
        discarded = db.session.execute(
            update(MatchingRun)
            .where(MatchingRun.campaign_id == campaign_id,
                   MatchingRun.round_number == round_number, MatchingRun.id != run_id,
                   MatchingRun.state.in_((RunState.DONE, RunState.FAILED)))
            .values(state=RunState.DISCARDED)
            .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
        db.session.expire_all()
        run = db.session.get(MatchingRun, run_id)  # type: ignore[assignment]
        campaign = run.campaign
        campaigns.transition(actor, campaign, "publish")
        counts = _queue_publication_mail(run)
        from stagebourse.services.preparation import queue_preparation

        queue_preparation(actor, run)
        journal.record(actor, Event.MATCHING_PUBLISHED, run, campaign=campaign_id,
                       round=round_number, assignments=counts["assignments"],
                       discarded=discarded, sha256=run.instance_sha256)
        db.session.flush()
    except ServiceError:
        db.session.rollback()
        raise
    except DBAPIError:
        # SQLite refuses a second writer instead of waiting: the other publication won.
        db.session.rollback()
        raise ServiceError(_l("Une autre publication est en cours : rechargez la page dans "
                              "un instant.")) from None
    except Exception:
        db.session.rollback()
        raise
    return run


def _state_label(state: RunState) -> str:
    from stagebourse.labels import label

    return label(state)


def _queue_publication_mail(run: MatchingRun) -> dict[str, int]:
    campaign = run.campaign
    assignments = [a for a in run.assignments if a.state == AssignmentState.PUBLISHED]
    deadline = campaign.confirmation_deadline
    guardians = 0
    schools: dict[int, int] = {}
    companies: dict[int, list[Assignment]] = {}
    for a in assignments:
        pupil = a.pupil
        schools[pupil.school_id] = schools.get(pupil.school_id, 0) + 1
        companies.setdefault(a.offer.company_id, []).append(a)
        if pupil.guardian_email:
            queue_email(
                pupil.guardian_email, "assignment_pupil", key=f"assignment:pupil:{a.id}",
                reason=("votre adresse a été donnée comme celle du représentant légal d'un "
                        "élève inscrit à la bourse de stages de Valenciennes Métropole."),
                first_name=pupil.first_name, where=placement.describe(a),
                link=public_url("pupil.assignment_page"))
            guardians += 1
    teachers = db.session.scalars(
        select(User).where(User.role == Role.TEACHER, User.school_id.in_(list(schools)),
                           User.is_active.is_(True), User.validated_at.is_not(None))
        .order_by(User.id)).all() if schools else []
    for teacher in teachers:
        assert teacher.email is not None and teacher.school_id is not None
        queue_email(
            teacher.email, "assignment_teacher", key=f"assignment:teacher:{run.id}:{teacher.id}",
            reason=("vous êtes professeur référent d'un établissement inscrit à la bourse de "
                    "stages de Valenciennes Métropole."),
            campaign=campaign, pupils=schools[teacher.school_id], deadline=deadline,
            link=public_url("teacher.assignments_page"))
    members = db.session.scalars(
        select(User).where(User.role == Role.COMPANY, User.company_id.in_(list(companies)),
                           User.is_active.is_(True)).order_by(User.id)).all() \
        if companies else []
    for member in members:
        assert member.email is not None and member.company_id is not None
        queue_email(
            member.email, "assignment_company", key=f"assignment:company:{run.id}:{member.id}",
            reason=("vous êtes membre d'une structure d'accueil de la bourse de stages de "
                    "Valenciennes Métropole."),
            campaign=campaign, pupils=len(companies[member.company_id]), deadline=deadline,
            link=public_url("company.assignments_page"))
    return {"assignments": len(assignments), "guardians": guardians,
            "teachers": len(teachers), "members": len(members)}

