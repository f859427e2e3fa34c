"""Before a round is run: how many pupils have at least one seat they could get, and, for the
others, why not.

The count comes from the engine itself: the blind instance the round would be built from, and
the feasible pairs of ``engine.build_problem`` (the pairs the solver may use). A pupil with no
feasible pair is explained by the rule that blocks their closest pair, as the engine reports it
(``matching.verify.infeasibility``): rules are checked in a fixed order (week, seats, distance,
level, age, accessibility, wish), and the pair that passes the most of them is the closest."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from stagebourse import matching as engine
from stagebourse.extensions import db
from stagebourse.matching.verify import infeasibility
from stagebourse.models import Campaign, CampaignState, User
from stagebourse.services.matching.answers import release_unconfirmed
from stagebourse.services.matching.instances import build_instance
from stagebourse.services.policy import Action, require

if TYPE_CHECKING:  # rounds stores these reasons on every run it computes
    from stagebourse.services.matching.rounds import RunOptions

# The engine's rules in the order it checks them (``verify.infeasibility``).
RULE_ORDER = ("week", "seats", "distance", "level", "age", "accessible", "wish")

REASONS: dict[str, LazyString] = {
    "week": _l("aucune offre n'a de place sur leurs semaines de stage"),
    "seats": _l("aucune offre n'a de place restante sur leurs semaines de stage"),
    "distance": _l("les places restantes sont au-delà de la distance qu'ils peuvent faire"),
    "level": _l("les places restantes n'accueillent pas leur niveau"),
    "age": _l("les places restantes demandent un âge qu'ils n'ont pas"),
    "accessible": _l("ils ont besoin d'un lieu accessible et les places restantes ne le sont "
                     "pas"),
    "wish": _l("aucun de leurs vœux (offre ou secteur) ne nomme une place restante"),
}


@dataclass
class Feasibility:
    """What the round form shows before a run is started."""

    round_number: int
    pupils: int  # pupils the round would place (confirmed requests, no seat held)
    feasible: int  # of whom: with at least one feasible (offer, week)
    seats: int  # seats left on the campaign's weeks
    released: int  # assignments awaiting an answer that the round releases (deadline past)
    excluded: int  # pupils left out: holding a seat, or who declined / let theirs lapse
    allow_unranked: bool
    # Pupils without any feasible pair, by the rule that blocks their closest pair, most first.
    reasons: list[tuple[str, int]] = field(default_factory=list)
    # With offers outside the wishes allowed: how many would have a feasible pair (None when
    # the round already allows them).
    feasible_outside_wishes: int | None = None

    @property
    def infeasible(self) -> int:
        return self.pupils - self.feasible

    def reason_text(self, rule: str) -> str:
        return reason_text(rule)


def _feasible_pupils(instance: engine.Instance, problem: engine.Problem | None = None
                     ) -> set[int]:
    problem = problem if problem is not None else engine.build_problem(instance)
    return {int(p) for p in np.unique(problem.arc_pupil)}


def _closest_rule(instance: engine.Instance, pupil: int) -> str:
    """The rule blocking the pupil's closest pair (the latest in the engine's order)."""
    weeks = instance.pupils[pupil].weeks
    best = 0
    for offer in range(len(instance.offers)):
        for week in weeks:
            best = max(best, RULE_ORDER.index(infeasibility(instance, pupil, offer, week).rule))
            if best == len(RULE_ORDER) - 1:
                return RULE_ORDER[best]
    return RULE_ORDER[max(best, 1)]  # no offer at all: no seat left


def unplaceable_reasons(instance: engine.Instance, problem: engine.Problem | None = None,
                        feasible: set[int] | None = None) -> list[tuple[str, int]]:
    """Pupils without any feasible pair, counted by the rule blocking their closest pair,
    most frequent first."""
    if feasible is None:
        feasible = _feasible_pupils(instance, problem)
    blocked = Counter(_closest_rule(instance, i) for i in range(len(instance.pupils))
                      if i not in feasible)
    return sorted(blocked.items(), key=lambda item: (-item[1], RULE_ORDER.index(item[0])))


def reason_text(rule: str) -> str:
    return str(REASONS[rule])


def can_preview(campaign: Campaign) -> bool:
    """Whether a round can be computed now (requests closed), hence previewed."""
    return campaign.state in (CampaignState.CLOSED, CampaignState.MATCHED,
                              CampaignState.PUBLISHED)


def preview(actor: User, campaign: Campaign, options: RunOptions) -> Feasibility:
    """How many pupils of the next round have a feasible seat, and why the others have none.

    Reads only: what the round would release after the confirmation deadline is released in a
    savepoint that is rolled back, so that the count is the one the round will see."""
    require(actor, Action.STEER_MATCHING, campaign)
    params = options.params(seed=0)
    savepoint = db.session.begin_nested()
    try:
        released = release_unconfirmed(actor, campaign) if options.round_number > 1 else 0
        built = build_instance(campaign, params, options.round_number)
    finally:
        savepoint.rollback()
    instance = built.instance
    feasible = _feasible_pupils(instance)
    outside: int | None = None
    if not options.allow_unranked:
        widened = engine.make_instance(replace(params, allow_unranked=True),
                                       list(instance.pupils), list(instance.offers))
        outside = len(_feasible_pupils(widened))
    return Feasibility(
        round_number=options.round_number, pupils=len(instance.pupils),
        feasible=len(feasible), seats=int(built.stats["seats"]), released=released,
        excluded=int(built.stats["excluded_pupils"]), allow_unranked=options.allow_unranked,
        reasons=unplaceable_reasons(instance, feasible=feasible),
        feasible_outside_wishes=outside)
