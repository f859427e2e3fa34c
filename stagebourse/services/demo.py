"""A deterministic synthetic campaign for the agglomeration, for demonstrations and trials.

Everything drawn here comes from one seeded generator, so two runs on the same day give the same
companies, offers, pupils and wishes. Dates are placed relative to the day of seeding so that
the demo campaign is always open. Every name is obviously fictitious.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from stdnum import luhn

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.identifiers import iso_week, seconde_default_weeks
from stagebourse.models import (
    Campaign,
    CampaignSchoolWeek,
    CampaignState,
    CharterStatus,
    Commune,
    Company,
    CompanyKind,
    CompanyState,
    ConsentMethod,
    Gender,
    Level,
    Offer,
    OfferState,
    OfferWeek,
    Pupil,
    Request,
    RequestState,
    Role,
    School,
    SchoolKind,
    Sector,
    Tutor,
    User,
    Wish,
    utcnow,
)
from stagebourse.services import ServiceError, journal
from stagebourse.services.accounts import hash_password, set_access_code

# Re-exported: the demo's published credentials are named from here too.
from stagebourse.services.demo_marks import DEMO_DOMAIN as DEMO_DOMAIN
from stagebourse.services.demo_marks import DEMO_PASSWORD as DEMO_PASSWORD
from stagebourse.services.demo_marks import DEMO_PUPIL_CODE as DEMO_PUPIL_CODE
from stagebourse.services.journal import Event

if TYPE_CHECKING:
    from stagebourse.services.demo_history import HistorySummary

DEMO_ACCOUNTS = {
    Role.STEERING: f"pilotage@{DEMO_DOMAIN}",
    Role.TEACHER: f"prof@{DEMO_DOMAIN}",
    Role.COMPANY: f"entreprise@{DEMO_DOMAIN}",
    Role.TUTOR: f"tuteur@{DEMO_DOMAIN}",
}

FIRST_NAMES_F = ["Lina", "Inès", "Jade", "Aya", "Sarah", "Léa", "Nour", "Chloé", "Maëlys",
                 "Yasmine", "Manon", "Camille", "Assia", "Emma", "Louna", "Rania", "Zoé"]
FIRST_NAMES_M = ["Noah", "Adam", "Rayan", "Lucas", "Ilyes", "Nathan", "Mehdi", "Enzo", "Hugo",
                 "Sofiane", "Théo", "Yanis", "Kylian", "Louis", "Amine", "Tom", "Ibrahim"]
# Last names nobody carries: the demo must never look like real pupils.
FAKE_LAST_NAMES = ["Exemple", "Essai", "Fictif", "Factice", "Maquette", "Modèle", "Spécimen",
                   "Brouillon", "Témoin", "Prototype", "Simulé", "Démo", "Fantaisie", "Imaginé"]
COMPANY_WORDS = {
    "administration": ("Mairie annexe", "Service", CompanyKind.PUBLIC_BODY),
    "agriculture": ("Jardins", "Ferme", CompanyKind.COMPANY),
    "artisanat": ("Atelier", "Ébénisterie", CompanyKind.COMPANY),
    "banque-assurance": ("Agence", "Mutuelle", CompanyKind.COMPANY),
    "batiment": ("Bâti", "Chantiers", CompanyKind.COMPANY),
    "beaute": ("Salon", "Institut", CompanyKind.COMPANY),
    "commerce": ("Boutique", "Supérette", CompanyKind.COMPANY),
    "communication": ("Studio", "Radio", CompanyKind.ASSOCIATION),
    "droit": ("Cabinet", "Étude", CompanyKind.COMPANY),
    "education": ("Centre social", "Maison de quartier", CompanyKind.ASSOCIATION),
    "energie": ("Régie", "Station", CompanyKind.COMPANY),
    "hotellerie-restauration": ("Brasserie", "Boulangerie", CompanyKind.COMPANY),
    "industrie": ("Ateliers", "Usine", CompanyKind.COMPANY),
    "logistique": ("Entrepôts", "Transports", CompanyKind.COMPANY),
    "mecanique": ("Garage", "Carrosserie", CompanyKind.COMPANY),
    "numerique": ("Lab", "Agence web", CompanyKind.COMPANY),
    "recherche": ("Laboratoire", "Plateforme", CompanyKind.PUBLIC_BODY),
    "sante": ("Pharmacie", "Maison de santé", CompanyKind.COMPANY),
    "securite": ("Caserne", "Poste", CompanyKind.PUBLIC_BODY),
    "social": ("EHPAD", "Association d'aide", CompanyKind.ASSOCIATION),
    "sport": ("Club", "Salle", CompanyKind.ASSOCIATION),
}
# Popularity of sectors in pupils' wishes, by gender, to reproduce real skew and stereotypes:
# some sectors are oversubscribed, some get no wish at all.
POPULARITY = {
    Gender.FEMALE: {"sante": 10, "beaute": 7, "social": 6, "education": 6, "commerce": 4,
                    "droit": 3, "communication": 3, "sport": 2, "numerique": 2,
                    "hotellerie-restauration": 2, "securite": 1, "administration": 1},
    Gender.MALE: {"numerique": 9, "mecanique": 8, "sport": 7, "batiment": 4, "securite": 4,
                  "commerce": 3, "hotellerie-restauration": 3, "sante": 2, "communication": 2,
                  "industrie": 1, "administration": 1},
}
@dataclass(frozen=True)
class DemoSize:
    """How big the synthetic campaign is: the demo, or a département for load tests."""

    pupils_3e: int = 420
    pupils_2de: int = 180
    companies: int = 40
    offers: int = 120
    # Last school year's finished 3e campaign (services/demo_history.py); 0 for none.
    past_pupils_3e: int = 200
    # Pupils per class. None: the demo's four 3e and five 2de classes per school, whatever
    # the number of pupils; a département's scale needs classes of a real size (about 28),
    # more of them per school, not classes of hundreds.
    class_size: int | None = None


DEMO_SIZE = DemoSize()


@dataclass
class DemoSummary:
    companies: int
    offers: int
    pupils: int
    requests: int
    campaigns: list[str]
    history: HistorySummary | None = None


def _siret(rng: random.Random) -> str:
    siren = str(rng.randint(10_000_000, 99_999_999))
    siren += luhn.calc_check_digit(siren)
    nic = f"{rng.randint(1, 9999):04d}"
    return siren + nic + luhn.calc_check_digit(siren + nic)


def _unique_siret(rng: random.Random, used: set[str]) -> str:
    siret = _siret(rng)
    while siret in used:
        siret = _siret(rng)
    used.add(siret)
    return siret


def _jitter(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    """A point up to ``km`` from (lat, lon): commune centres only, never a street address."""
    radius, angle = km * math.sqrt(rng.random()), rng.random() * 2 * math.pi
    dlat = radius * math.cos(angle) / 111.0
    dlon = radius * math.sin(angle) / (111.0 * math.cos(math.radians(lat)))
    return round(lat + dlat, 5), round(lon + dlon, 5)


def _weighted(rng: random.Random, weights: dict[str, int], count: int) -> list[str]:
    chosen: list[str] = []
    pool = dict(weights)
    while pool and len(chosen) < count:
        pick = rng.choices(list(pool), weights=list(pool.values()))[0]
        chosen.append(pick)
        del pool[pick]
    return chosen


def offers_by_sector(offers: list[Offer]) -> dict[str, list[Offer]]:
    by_sector: dict[str, list[Offer]] = {}
    for offer in offers:
        by_sector.setdefault(offer.sector_code, []).append(offer)
    return by_sector


def new_pupil(rng: random.Random, school: School, level: Level, class_name: str, born: int,
              consent_before: dt.date) -> Pupil:
    """A fictitious pupil living in the school's commune, consent given on paper."""
    gender = rng.choice([Gender.FEMALE, Gender.MALE, Gender.FEMALE, Gender.MALE, None])
    names = FIRST_NAMES_F if gender == Gender.FEMALE else FIRST_NAMES_M
    return Pupil(
        school=school, level=level, class_name=class_name,
        first_name=rng.choice(names), last_name=rng.choice(FAKE_LAST_NAMES),
        birth_date=dt.date(born, rng.randint(1, 12), rng.randint(1, 28)),
        gender=gender,
        qpv_resident=rng.random() < (0.6 if school.priority else 0.35),
        home_commune=school.commune,
        max_travel_km=rng.choice([8.0, 10.0, 12.0, 15.0]),
        needs_accessible=rng.random() < 0.04,
        consent_on=consent_before - dt.timedelta(days=rng.randint(1, 30)),
        consent_method=ConsentMethod.PAPER,
    )


def add_wishes(rng: random.Random, request: Request, gender: Gender | None,
               by_sector: dict[str, list[Offer]]) -> None:
    """Two to five wishes, sectors drawn by the gendered popularity, a fifth naming an offer."""
    weights = POPULARITY.get(gender or rng.choice([Gender.FEMALE, Gender.MALE]))
    assert weights is not None
    for rank, code in enumerate(_weighted(rng, weights, rng.randint(2, 5)), start=1):
        if rng.random() < 0.2:
            candidates = by_sector.get(code)
            if candidates:
                request.wishes.append(Wish(rank=rank, offer_id=rng.choice(candidates).id))
                continue
        request.wishes.append(Wish(rank=rank, sector_code=code))


def _class_name(level: Level, index: int, schools: int, class_size: int | None) -> str:
    """The class of the ``index``-th pupil of a level, pupils dealt to ``schools`` in turn."""
    if class_size is None:
        number = index % 4 if level == Level.TROISIEME else index % 5
    else:
        number = index // schools // class_size  # the school's pupils fill classes in order
    if level == Level.SECONDE:
        return f"2de{number + 1}"
    letters = ""  # 3A … 3Z, then 3AA, 3AB…
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"3{letters}"


def demo_exists() -> bool:
    steering = DEMO_ACCOUNTS[Role.STEERING]
    return db.session.scalar(select(User.id).where(User.email == steering)) is not None


def _school_year(today: dt.date) -> int:
    """The calendar year in which the current school year's internships end (June)."""
    return today.year + 1 if today.month >= 8 else today.year


def seed_demo(today: dt.date | None = None, seed: int = 2027,
              size: DemoSize = DEMO_SIZE, history: bool = True) -> DemoSummary:
    """Create the demo campaigns and accounts. Refused in production by the caller's config.

    With ``history``, last school year's 3e campaign is played to its end as well
    (services/demo_history.py): tests of the current campaigns alone can leave it out.
    """
    if demo_exists():
        raise ServiceError(_l("Les données de démonstration sont déjà chargées."))
    schools = db.session.scalars(select(School).order_by(School.uai)).all()
    communes = db.session.scalars(select(Commune).order_by(Commune.code_insee)).all()
    sectors = {s.code: s for s in db.session.scalars(select(Sector)).all()}
    if not schools or not communes or not sectors:
        raise ServiceError(
            _l("Chargez d'abord les données de référence : stagebourse seed reference")
        )
    rng = random.Random(seed)
    today = today or clock.today()
    year = _school_year(today)
    colleges = [s for s in schools if s.kind == SchoolKind.COLLEGE]
    lycees = [s for s in schools if s.kind == SchoolKind.LYCEE]

    # Campaigns: 3e weeks chosen per collège, in the weeks after the request deadline.
    first_monday = today + dt.timedelta(days=7 * 6 - today.weekday())
    college_weeks = [iso_week(first_monday + dt.timedelta(weeks=k)) for k in range(4)]
    campaign_3e = Campaign(
        year=year, level=Level.TROISIEME, name=f"Stages de 3e {year - 1}-{year} (démonstration)",
        state=CampaignState.OPEN, requests_deadline=today + dt.timedelta(days=21),
        confirmation_deadline=today + dt.timedelta(days=35),
    )
    for school in colleges:
        for week in sorted(rng.sample(college_weeks, rng.choice([1, 1, 2]))):
            campaign_3e.school_weeks.append(CampaignSchoolWeek(school=school, week=week))
    june_weeks = seconde_default_weeks(year)
    campaign_2de = Campaign(
        year=year, level=Level.SECONDE, name=f"Stages de seconde {year} (démonstration)",
        state=CampaignState.OPEN, requests_deadline=today + dt.timedelta(days=21),
        confirmation_deadline=today + dt.timedelta(days=35),
    )
    for school in lycees:
        for week in june_weeks:
            campaign_2de.school_weeks.append(CampaignSchoolWeek(school=school, week=week))
    db.session.add_all([campaign_3e, campaign_2de])

    # Companies and their tutors, all Charter signatories validated by the steering group.
    sector_codes = sorted(sectors)
    companies: list[tuple[Company, str]] = []
    sirets: set[str] = set()
    for index in range(size.companies):
        sector = sector_codes[index % len(sector_codes)]
        commune = rng.choice(communes)
        prefix, alt, kind = COMPANY_WORDS.get(sector, ("Structure", "Maison", CompanyKind.COMPANY))
        name = f"{rng.choice([prefix, alt])} Démo {commune.name} n°{index + 1}"
        company = Company(
            siret=_unique_siret(rng, sirets), name=name, kind=kind,
            address=f"{rng.randint(1, 120)} rue de l'Exemple", postcode=commune.postcodes[:5],
            commune=commune, contact_name=f"{rng.choice(FIRST_NAMES_F + FIRST_NAMES_M)} Contact",
            contact_email=f"contact{index + 1}@entreprise.{DEMO_DOMAIN}",
            charter_status=CharterStatus.VERIFIED,
            charter_signed_on=dt.date(rng.randint(2008, year - 1), rng.randint(1, 12), 1),
            charter_evidence_url="https://www.charte-diversite.com/",
            state=CompanyState.VALIDATED, validated_at=utcnow(),
        )
        company.tutors.append(Tutor(
            full_name=f"{rng.choice(FIRST_NAMES_F + FIRST_NAMES_M)} Tuteur-Démo",
            job_title="Responsable d'équipe", email=f"tuteur{index + 1}@entreprise.{DEMO_DOMAIN}",
        ))
        companies.append((company, sector))
        db.session.add(company)

    # Offers: most in the company's own sector; 3e ones on collège weeks, some on June weeks.
    offers: list[Offer] = []
    for index in range(size.offers):
        company, sector = companies[index % size.companies]
        if rng.random() < 0.25:
            sector = rng.choice(sector_codes)
        commune = company.commune or rng.choice(communes)
        lat, lon = _jitter(rng, commune.lat, commune.lon, 1.5)
        for_2de = index % 3 == 0
        offer = Offer(
            company=company, sector_code=sector,
            title=f"Découverte : {sectors[sector].label.split(',')[0].lower()} ({index + 1})",
            description="Observer les métiers de l'équipe, suivre une journée type, poser des "
                        "questions aux professionnels. (Offre de démonstration.)",
            address=company.address, commune=commune, lat=lat, lon=lon,
            for_3e=not for_2de or rng.random() < 0.5, for_2de=for_2de,
            min_age=14, accessible=rng.random() < 0.6,
            schedule=[{"day": d, "start": "09:00", "end": "16:00"}
                      for d in ("lundi", "mardi", "mercredi", "jeudi", "vendredi")],
            safety_attested=True, tutor=company.tutors[0], state=OfferState.PUBLISHED,
            external_ref=f"DEMO-{index + 1:03d}",
        )
        if offer.for_3e:
            for week in sorted(rng.sample(college_weeks, rng.randint(2, 4))):
                offer.weeks.append(
                    OfferWeek(campaign=campaign_3e, week=week, seats=rng.randint(1, 3))
                )
        if offer.for_2de:
            for week in june_weeks:
                offer.weeks.append(
                    OfferWeek(campaign=campaign_2de, week=week, seats=rng.randint(1, 3))
                )
        offers.append(offer)
        db.session.add(offer)
    db.session.flush()

    # Pupils, their accounts and their requests.
    pupil_total = request_total = 0
    for level, count in ((Level.TROISIEME, size.pupils_3e), (Level.SECONDE, size.pupils_2de)):
        level_schools = colleges if level == Level.TROISIEME else lycees
        campaign = campaign_3e if level == Level.TROISIEME else campaign_2de
        by_sector = offers_by_sector(
            [o for o in offers if (o.for_3e if level == Level.TROISIEME else o.for_2de)])
        born = year - (15 if level == Level.TROISIEME else 16)
        for index in range(count):
            school = level_schools[index % len(level_schools)]
            pupil = new_pupil(rng, school, level,
                              _class_name(level, index, len(level_schools), size.class_size),
                              born, today)
            user = User(role=Role.PUPIL, display_name=pupil.first_name, pupil=pupil,
                        school=school)
            set_access_code(user, f"DEMO{rng.getrandbits(48):012X}")
            db.session.add_all([pupil, user])
            pupil_total += 1
            if rng.random() < 0.1:
                continue  # has not started a request yet
            request = Request(campaign=campaign, pupil=pupil, has_network=rng.random() < 0.2)
            request.state = RequestState.CONFIRMED if rng.random() < 0.85 else RequestState.DRAFT
            if request.state == RequestState.CONFIRMED:
                request.confirmed_at = utcnow()
            add_wishes(rng, request, pupil.gender, by_sector)
            db.session.add(request)
            request_total += 1

    accounts = _demo_accounts(colleges[0] if colleges else schools[0], companies[0][0])
    # The preparation materials of seed/materials/: without them the preparation pages and
    # mails of the demo would have nothing to show (loading twice changes nothing).
    from stagebourse.services.materials import load_materials

    load_materials()
    journal.record(None, Event.DEMO_SEEDED, None, seed=seed, day=today.isoformat())
    db.session.flush()
    summary = DemoSummary(
        companies=size.companies, offers=size.offers, pupils=pupil_total,
        requests=request_total, campaigns=[campaign_3e.name, campaign_2de.name],
    )
    if history and size.past_pupils_3e and colleges:
        # Imported here: the history builds on this module's generators.
        from stagebourse.services.demo_history import seed_history

        summary.history = seed_history(
            random.Random(f"history-{seed}"),  # its own: the draws above stay what they were
            school_year=year, pupils=size.past_pupils_3e,
            college_ids=[c.id for c in colleges], offer_ids=[o.id for o in offers],
            steering_id=accounts[Role.STEERING].id, teacher_id=accounts[Role.TEACHER].id)
    return summary


def _demo_accounts(school: School, company: Company) -> dict[Role, User]:
    password = hash_password(DEMO_PASSWORD)
    now = utcnow()
    accounts = {
        Role.STEERING: User(role=Role.STEERING, email=DEMO_ACCOUNTS[Role.STEERING],
                            display_name="Groupe de pilotage (démo)", password_hash=password),
        Role.TEACHER: User(role=Role.TEACHER, email=DEMO_ACCOUNTS[Role.TEACHER], school=school,
                           display_name="Professeure référente (démo)", password_hash=password,
                           validated_at=now),
        Role.COMPANY: User(role=Role.COMPANY, email=DEMO_ACCOUNTS[Role.COMPANY],
                           company=company, display_name="Membre de la structure (démo)",
                           password_hash=password),
        Role.TUTOR: User(role=Role.TUTOR, email=DEMO_ACCOUNTS[Role.TUTOR],
                         tutor=company.tutors[0], display_name=company.tutors[0].full_name,
                         password_hash=password),
    }
    db.session.add_all(accounts.values())
    # The demo pupil: the first pupil of the teacher's school gets the well-known code.
    pupil_user = db.session.scalar(
        select(User).join(Pupil, User.pupil_id == Pupil.id)
        .where(Pupil.school_id == school.id).order_by(Pupil.id).limit(1)
    )
    if pupil_user is not None:
        set_access_code(pupil_user, DEMO_PUPIL_CODE)
    return accounts
