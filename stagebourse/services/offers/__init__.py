"""Offers of the host structures, one room per concern:

- ``writing``: create, edit, duplicate, withdraw an offer, and the weeks it can offer;
- ``audience``: what a host may see of the pupils placed with it (blind until publication);
- ``supply``: seats per week, visibility, supply against demand by sector (steering).

Callers use ``from stagebourse.services import offers`` and the names re-exported here."""

from __future__ import annotations

from stagebourse.services.offers.audience import (
    AssignedPupil,
    CompanyAudience,
    OfferAudience,
    company_audience,
)
from stagebourse.services.offers.supply import (
    HOLDING_STATES,
    Capacity,
    SectorBalance,
    active_campaigns,
    campaign_capacities,
    communes,
    get_sector,
    is_visible,
    seats_by_week,
    seats_total,
    sectors,
    supply_and_demand,
    visibility,
    visible_offer_conditions,
)
from stagebourse.services.offers.writing import (
    AFTER_PUBLICATION,
    CampaignWeeks,
    OfferInput,
    OfferRefused,
    TutorInput,
    assigned_count,
    check_offer,
    company_offer,
    company_offers,
    duplicate_offer,
    offer_levels,
    offerable_weeks,
    save_offer,
    withdraw_offer,
)

__all__ = [
    "HOLDING_STATES",
    "visible_offer_conditions",
    "is_visible",
    "visibility",
    "seats_by_week",
    "seats_total",
    "Capacity",
    "campaign_capacities",
    "SectorBalance",
    "supply_and_demand",
    "sectors",
    "communes",
    "active_campaigns",
    "get_sector",
    "AFTER_PUBLICATION",
    "OfferRefused",
    "TutorInput",
    "OfferInput",
    "CampaignWeeks",
    "offerable_weeks",
    "assigned_count",
    "check_offer",
    "save_offer",
    "duplicate_offer",
    "withdraw_offer",
    "offer_levels",
    "company_offer",
    "company_offers",
    "OfferAudience",
    "AssignedPupil",
    "CompanyAudience",
    "company_audience",
]
