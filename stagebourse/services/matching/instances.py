"""Building the blind instance of a round from the database.

A round sees pseudonymous pupil ids drawn at random for each run (the pseudonym -> pupil map
stays in the run, server-side), the wishes, the weeks and the travel: never a name, school,
gender or address (``PROTECTED_FIELDS`` is checked on every instance).

How wishes are counted: a wish naming an offer that is not in the instance (withdrawn, no seat
left on the pupil's weeks, structure suspended...) is dropped before the engine sees it, and
the remaining wishes move up. Ranks in the instance, the result and the audit are therefore
positions among the wishes that could still be granted; ``stats["dropped_wishes"]`` counts the
dropped ones.

A pupil turned away by a host in a published round of the campaign (declined before the reveal
or withdrawn after it, ``HOST_REFUSALS``) enters every later round with priority class
``HOST_REFUSAL_PRIORITY``: the engine places as many of them as possible before any other
pupil (docs/matching.md). ``stats["priority_pupils"]`` counts them."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from stagebourse import matching as engine
from stagebourse.extensions import db
from stagebourse.models import (
    HOST_REFUSALS,
    Assignment,
    AssignmentState,
    Campaign,
    MatchingRun,
    Offer,
    Pupil,
    Request,
    RunState,
)
from stagebourse.services.offers import HOLDING_STATES, campaign_capacities
from stagebourse.services.requests import left_out_counts, matching_candidates

MECHANISMS = ("optimal", "fcfs", "network-first")

# The engine's priority class of a pupil a host turned away (0: no priority).
HOST_REFUSAL_PRIORITY = 1


# Labels kept BESIDE the instance, for the audit only (and "network" for network-first).
AUDIT_LABELS = ("gender", "school", "qpv", "disability", "network")


# Field names that must never appear in an instance (the blindness check).
PROTECTED_FIELDS = frozenset({
    "gender", "sex", "school", "school_id", "uai", "qpv", "qpv_resident", "disability",
    "network", "has_network", "name", "first_name", "last_name", "birth_date", "address",
    "email", "guardian_email", "home_commune", "class_name", "pupil_id",
})


PseudonymDraw = Callable[[], str]


def random_pseudonym() -> str:
    """48 random bits: nothing in a pseudonym says which pupil it stands for."""
    return "p" + secrets.token_hex(6)


@dataclass
class BuiltInstance:
    instance: engine.Instance
    pseudonyms: dict[str, int]  # pseudonym -> pupil id
    groups: dict[str, dict[str, str]]  # pseudonym -> label -> value (never in the instance)
    stats: dict[str, Any] = field(default_factory=dict)


def _holding_pupils(campaign: Campaign) -> set[int]:
    return set(db.session.scalars(
        select(Assignment.pupil_id).join(MatchingRun, MatchingRun.id == Assignment.run_id)
        .where(MatchingRun.campaign_id == campaign.id,
               Assignment.state.in_(HOLDING_STATES))))


def _lapsed_pupils(campaign: Campaign) -> set[int]:
    """Pupils who declined their seat, or let it lapse without confirming: not re-placed."""
    rows = db.session.execute(
        select(Assignment.pupil_id, Assignment.declined_by, Assignment.pupil_confirmed_at)
        .join(MatchingRun, MatchingRun.id == Assignment.run_id)
        .where(MatchingRun.campaign_id == campaign.id,
               Assignment.state == AssignmentState.DECLINED)).all()
    return {pupil_id for pupil_id, who, confirmed in rows
            if who == "pupil" or (who == "deadline" and confirmed is None)}


def _refused_by_a_host(campaign: Campaign) -> set[int]:
    """Pupils with an assignment of a published round of the campaign that a host ended."""
    return set(db.session.scalars(
        select(Assignment.pupil_id).join(MatchingRun, MatchingRun.id == Assignment.run_id)
        .where(MatchingRun.campaign_id == campaign.id, MatchingRun.state == RunState.PUBLISHED,
               Assignment.declined_by.in_(sorted(HOST_REFUSALS)))))


def build_instance(campaign: Campaign, params: engine.Params, round_number: int = 1,
                   draw_pseudonym: PseudonymDraw = random_pseudonym) -> BuiltInstance:
    """The blind instance of a round, from the database as it is now.

    Pseudonyms are drawn at random unless a draw is given: the worker passes a keyed draw
    (``matching_jobs.pseudonym_draw``) so that a run taken back after its worker died gets the
    same pseudonyms, and the demo its own seeded draw, so that its fictitious history is the
    same at every seeding (the lottery's tickets, hence the choice among equal optima, depend
    on the pseudonyms).
    """
    candidates = matching_candidates(campaign)
    excluded = _holding_pupils(campaign)
    if round_number > 1:
        excluded |= _lapsed_pupils(campaign)
    candidates = [c for c in candidates if c.pupil_id not in excluded]
    refused = _refused_by_a_host(campaign)

    capacities = campaign_capacities(campaign)
    levels = {oid: (f3, f2) for oid, f3, f2 in db.session.execute(
        select(Offer.id, Offer.for_3e, Offer.for_2de)
        .where(Offer.id.in_({c.offer_id for c in capacities}))).all()} if capacities else {}
    by_offer: dict[int, list[Any]] = {}
    for cap in capacities:
        by_offer.setdefault(cap.offer_id, []).append(cap)
    offers: list[engine.Offer] = []
    seats_total = 0
    for offer_id, caps in sorted(by_offer.items()):
        seats = tuple((c.week, c.seats - c.assigned) for c in caps if c.seats - c.assigned > 0)
        if not seats:
            continue
        seats_total += sum(s for _, s in seats)
        first = caps[0]
        for_3e, for_2de = levels[offer_id]
        offers.append(engine.Offer(
            id=f"o{offer_id}", sector=first.sector_code, lat=first.lat, lon=first.lon,
            levels=tuple(lv for lv, ok in (("3e", for_3e), ("2de", for_2de)) if ok),
            min_age=first.min_age, accessible=first.accessible, seats=seats))
    offer_ids = {o.id for o in offers}

    pupil_rows = {p.id: p for p in db.session.scalars(
        select(Pupil).where(Pupil.id.in_([c.pupil_id for c in candidates])))} \
        if candidates else {}
    network = dict(db.session.execute(
        select(Request.pupil_id, Request.has_network)
        .where(Request.campaign_id == campaign.id)).all())

    pupils: list[engine.Pupil] = []
    pseudonyms: dict[str, int] = {}
    groups: dict[str, dict[str, str]] = {}
    dropped = 0
    for cand in candidates:
        if cand.age_on_first_day is None:
            continue
        pseudonym = draw_pseudonym()
        while pseudonym in pseudonyms:  # pragma: no cover - 48 random bits
            pseudonym = draw_pseudonym()
        wishes: list[str] = []
        for _rank, sector, wished_offer in sorted(cand.wishes, key=lambda w: w[0]):
            if wished_offer is not None:
                wish = f"offer:o{wished_offer}"
                if f"o{wished_offer}" not in offer_ids:
                    dropped += 1
                    continue
            else:
                wish = f"sector:{sector}"
            if wish not in wishes:
                wishes.append(wish)
        pupils.append(engine.Pupil(
            id=pseudonym, level=campaign.level.value, age=cand.age_on_first_day,
            weeks=tuple(cand.weeks), lat=cand.origin[0], lon=cand.origin[1],
            max_km=cand.max_travel_km, needs_accessible=cand.needs_accessible,
            wishes=tuple(wishes),
            priority=HOST_REFUSAL_PRIORITY if cand.pupil_id in refused else 0))
        pseudonyms[pseudonym] = cand.pupil_id
        row = pupil_rows[cand.pupil_id]
        groups[pseudonym] = {
            "gender": row.gender.value if row.gender is not None else "",
            "school": row.school.name,
            "qpv": "" if row.qpv_resident is None else ("yes" if row.qpv_resident else "no"),
            "disability": "yes" if row.needs_accessible else "no",
            # Not answered counts as "no network" for network-first (documented).
            "network": "yes" if network.get(cand.pupil_id) else "no",
        }
    # The instance is sorted by pseudonym: its order says nothing about the pupils.
    pupils.sort(key=lambda p: p.id)
    instance = engine.make_instance(params, pupils, offers)
    stats = {"pupils": len(pupils), "offers": len(offers),
             "slots": sum(len(o.seats) for o in offers), "seats": seats_total,
             "dropped_wishes": dropped, "excluded_pupils": len(excluded),
             "priority_pupils": sum(1 for p in pupils if p.priority), "round": round_number,
             # Confirmed requests the round cannot consider, by reason (the page and audit).
             "left_out": left_out_counts(campaign)}
    return BuiltInstance(instance, pseudonyms, groups, stats)

