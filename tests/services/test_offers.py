"""Offers: the rules a structure's offer must follow, checked by the service."""

import pytest
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    AssignmentState,
    CampaignState,
    CompanyState,
    JournalEntry,
    Level,
    OfferState,
    Request,
    Role,
    Wish,
)
from stagebourse.services import ServiceError
from stagebourse.services.offer_rules import Slot
from stagebourse.services.offer_search import OfferFilters, search_offers
from stagebourse.services.offers import (
    OfferRefused,
    company_audience,
    duplicate_offer,
    save_offer,
    seats_by_week,
    supply_and_demand,
    withdraw_offer,
)
from tests.factories import (
    WEEK_A,
    WEEK_B,
    assign,
    first_school,
    make_campaign,
    make_company,
    make_offer,
    make_pupil_user,
    make_user,
    offer_input,
    offer_writer,
)


@pytest.fixture
def campaign(app):
    return make_campaign([first_school()])


def test_offer_with_seats_on_two_weeks_is_published_with_commune_coordinates(campaign):
    company = make_company()
    offer = make_offer(company)
    assert offer.state == OfferState.PUBLISHED
    assert {w.week: w.seats for w in offer.weeks} == {WEEK_A: 2, WEEK_B: 1}
    assert all(w.campaign_id == campaign.id for w in offer.weeks)
    assert offer.commune is not None and offer.lat == offer.commune.lat
    assert offer.tutor.email == "tuteur@atelier-test.fr"
    assert len(company.tutors) == 1  # the existing tutor with that e-mail was reused
    assert seats_by_week(campaign) == {WEEK_A: 2, WEEK_B: 1}


def test_forty_hour_week_and_night_schedule_are_refused_with_reasons(campaign):
    company = make_company()
    days = ("lundi", "mardi", "mercredi", "jeudi", "vendredi")
    with pytest.raises(OfferRefused) as refused:
        save_offer(offer_writer(company), company,
                   offer_input(schedule=[Slot(d, "08:00", "16:00") for d in days]))
    assert "35 h par semaine" in refused.value.fields["schedule"]
    assert "7 h par jour" in refused.value.fields["schedule"]
    with pytest.raises(OfferRefused) as refused:
        save_offer(offer_writer(company), company,
                   offer_input(schedule=[Slot("lundi", "14:00", "20:30")]))
    assert "20:00 et 06:00" in refused.value.fields["schedule"]


def test_missing_attestation_and_wrong_level_week_are_refused(campaign):
    with pytest.raises(OfferRefused) as refused:
        company = make_company()
        save_offer(offer_writer(company), company, offer_input(safety_attested=False,
                                                               for_3e=False, for_2de=True))
    assert "D. 331-9" in refused.value.fields["safety_attested"]
    assert "3e" in refused.value.fields["seats"]


def test_week_outside_open_campaigns_is_refused(campaign):
    with pytest.raises(OfferRefused) as refused:
        company = make_company()
        save_offer(offer_writer(company), company, offer_input(seats={"2027-W30": 2}))
    assert "aucune campagne ouverte" in refused.value.fields["seats"]


def test_a_long_week_for_under_15s_is_saved_with_a_warning(campaign):
    data = offer_input(schedule=[Slot(d, "09:00", "15:30") for d in
                                 ("lundi", "mardi", "mercredi", "jeudi", "vendredi")])
    company = make_company()
    save_offer(offer_writer(company), company, data)
    assert data.warnings and "30 h" in data.warnings[0]


def test_seats_cannot_go_below_assigned_after_publication_and_changes_are_journaled(campaign):
    company = make_company()
    offer = make_offer(company)
    pupil = make_pupil_user().pupil
    other = make_pupil_user(code="TEST-CODE-0002", first_name="Sami").pupil
    assign(pupil, offer, WEEK_A, campaign)
    assign(other, offer, WEEK_A, campaign, AssignmentState.CONFIRMED)
    campaign.state = CampaignState.PUBLISHED
    db.session.commit()
    with pytest.raises(OfferRefused) as refused:
        save_offer(offer_writer(company), company, offer_input(seats={WEEK_A: 1, WEEK_B: 1}), offer)
    assert "2 élève(s)" in refused.value.fields["seats"]
    save_offer(offer_writer(company), company, offer_input(seats={WEEK_A: 3, WEEK_B: 1}), offer)
    entry = db.session.scalar(select(JournalEntry).where(JournalEntry.action == "offer.updated"))
    assert entry.details["after_publication"] is True
    assert entry.details["changes"]["weeks"][1][WEEK_A] == 3
    with pytest.raises(ServiceError, match="affectés"):
        withdraw_offer(offer_writer(company), offer)


def test_duplicate_is_a_draft_without_weeks_and_withdraw_hides_the_offer(campaign):
    company = make_company()
    offer = make_offer(company, external_ref="A-1")
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company=company)
    copy = duplicate_offer(member, offer)
    assert copy.state == OfferState.DRAFT and copy.weeks == [] and copy.external_ref is None
    pupil_user = make_pupil_user()
    assert search_offers(pupil_user, OfferFilters()).total == 1
    withdraw_offer(offer_writer(company), offer)
    assert offer.state == OfferState.WITHDRAWN
    assert search_offers(pupil_user, OfferFilters()).total == 0


def test_offers_of_a_pending_company_are_not_visible(campaign):
    company = make_company(state=CompanyState.PENDING)
    make_offer(company)
    assert search_offers(make_pupil_user(), OfferFilters()).total == 0


def test_company_sees_only_counts_before_publication_and_names_only_once_confirmed(campaign):
    company = make_company()
    offer = make_offer(company)
    pupil = make_pupil_user(first_name="Inès", last_name="Secret").pupil
    request = Request(campaign=campaign, pupil=pupil)
    request.wishes = [Wish(rank=1, offer_id=offer.id), Wish(rank=2, sector_code="industrie")]
    db.session.add(request)
    db.session.commit()
    audience = company_audience(company)
    assert audience.offers[0].wishes_for_offer == 1
    assert list(audience.wishes_for_sectors.values()) == [1]
    assert audience.assigned == []
    assignment = assign(pupil, offer, WEEK_A, campaign)
    assert company_audience(company).assigned == []  # campaign not published yet
    campaign.state = CampaignState.PUBLISHED
    db.session.commit()
    assert company_audience(company).assigned == []  # published, not confirmed yet
    assignment.state = AssignmentState.CONFIRMED
    db.session.commit()
    [seen] = company_audience(company).assigned
    assert (seen.first_name, seen.level, seen.school) == ("Inès", "3e", pupil.school.name)
    assert set(vars(seen)) == {"first_name", "level", "school", "week", "offer_title"}


def test_supply_and_demand_counts_offer_wishes_in_their_sector(campaign):
    company = make_company()
    offer = make_offer(company)
    pupil = make_pupil_user().pupil
    request = Request(campaign=campaign, pupil=pupil)
    request.wishes = [Wish(rank=1, offer_id=offer.id), Wish(rank=2, sector_code="sante")]
    db.session.add(request)
    db.session.commit()
    rows = {r.code: r for r in supply_and_demand(campaign)}
    assert (rows["industrie"].seats, rows["industrie"].wishes,
            rows["industrie"].first_wishes) == (3, 1, 1)
    if "sante" in rows:
        assert rows["sante"].missing == 1


def test_search_by_sector_and_distance_sorted_by_distance(campaign):
    company = make_company()
    near = make_offer(company, title="Zèbre proche", commune_code="59014")  # Anzin
    far = make_offer(company, title="Atelier lointain", commune_code="59484",
                     new_tutor=None, tutor_id=company.tutors[0].id)  # Quiévrechain
    make_offer(company, title="Autre secteur", sector_code="commerce")
    pupil_user = make_pupil_user()  # school in Anzin: the first collège
    result = search_offers(pupil_user, OfferFilters(sector="industrie", level="3e"))
    assert [h.offer.id for h in result.hits] == [near.id, far.id]
    assert result.sort == "distance"
    close = search_offers(pupil_user, OfferFilters(sector="industrie", radius_km=5))
    assert [h.offer.id for h in close.hits] == [near.id]
    steering = make_user(Role.STEERING, "pilotage@vm-test.fr")
    assert search_offers(steering, OfferFilters()).sort == "title"
    assert search_offers(pupil_user, OfferFilters(level=Level.SECONDE.value)).total == 0


def test_campaign_capacities_list_visible_seats_with_pupils_holding_them(campaign):
    from stagebourse.services.offers import campaign_capacities

    offer = make_offer(make_company())
    make_offer(make_company(siret="35600000010000", name="En attente",
                            state=CompanyState.PENDING))
    assign(make_pupil_user().pupil, offer, WEEK_A, campaign)
    capacities = campaign_capacities(campaign)
    assert [(c.offer_id, c.week, c.seats, c.assigned) for c in capacities] == [
        (offer.id, WEEK_A, 2, 1), (offer.id, WEEK_B, 1, 0)]
