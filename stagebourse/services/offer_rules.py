"""Rules for minors in observation internships: pure functions, no database and no request.
Distances live in ``stagebourse.geo``.

Sources: code de l'éducation D. 331-9 to D. 331-15 (observation internships of pupils under
16: no dangerous machine or product), code du travail L. 3162-1 (at most 7 h a day and 35 h a
week for minors under 16 in observation), L. 3163-2 (no night work: nothing between 20:00 and
06:00 for under-16s). The steering group asks for a warning above 30 h a week for under-15s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Messages are translated when built; outside a request (unit tests) they stay in French.
from flask_babel import gettext as _

DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi")
MAX_DAY_MINUTES = 7 * 60
MAX_WEEK_MINUTES = 35 * 60
WARN_WEEK_MINUTES_UNDER_15 = 30 * 60
NIGHT_STARTS = 20 * 60  # 20:00
NIGHT_ENDS = 6 * 60  # 06:00
MAX_SEATS_PER_WEEK = 50

_TIME_RE = re.compile(r"^([01]?\d|2[0-3])[:hH]([0-5]\d)$")
_RANGE_RE = re.compile(r"^([^-]+)-([^-]+)$")


@dataclass(frozen=True)
class Slot:
    day: str
    start: str  # "HH:MM"
    end: str

    def as_dict(self) -> dict[str, str]:
        return {"day": self.day, "start": self.start, "end": self.end}


@dataclass
class ScheduleCheck:
    """``errors`` refuse the schedule; ``warnings`` are shown but accepted."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    week_minutes: int = 0
    day_minutes: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def minutes(value: str) -> int:
    """``"09:30"`` → 570; ValueError with a French message otherwise."""
    match = _TIME_RE.match(value.strip())
    if not match:
        raise ValueError(_("« %(value)s » n'est pas une heure (format HH:MM, ex. 09:00)",
                           value=value))
    return int(match.group(1)) * 60 + int(match.group(2))


def format_minutes(total: int) -> str:
    hours, rest = divmod(total, 60)
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def _clock(total: int) -> str:
    return f"{total // 60:02d}:{total % 60:02d}"


def parse_day_ranges(day: str, text: str) -> list[Slot]:
    """``"09:00-12:00 13:30-17:00"`` (or separated by ',' / ';') → slots of that day."""
    slots: list[Slot] = []
    text = re.sub(r"\s*(?:-|–|à)\s*", "-", text.strip())
    for part in re.split(r"[,;/\s]+", text):
        if not part.strip():
            continue
        match = _RANGE_RE.match(part)
        if not match:
            raise ValueError(_(
                "%(day)s : « %(part)s » n'est pas une plage horaire "
                "(écrivez par exemple 09:00-12:00 13:30-16:30)", day=day, part=part.strip()))
        start, end = minutes(match.group(1)), minutes(match.group(2))
        slots.append(Slot(day, _clock(start), _clock(end)))
    return slots


def format_day_ranges(slots: list[dict[str, str]], day: str) -> str:
    return " ".join(f"{s['start']}-{s['end']}" for s in slots if s.get("day") == day)


def check_schedule(slots: list[Slot], min_age: int) -> ScheduleCheck:
    """Check a weekly schedule against the rules for minors; every refusal says why."""
    check = ScheduleCheck()
    if not slots:
        check.errors.append(
            _("Indiquez les horaires de la semaine (au moins une plage, ex. lundi 09:00-12:00).")
        )
        return check
    by_day: dict[str, list[tuple[int, int]]] = {}
    for slot in slots:
        if slot.day not in DAYS:
            check.errors.append(_(
                "« %(day)s » n'est pas un jour possible : un stage d'observation a lieu "
                "du lundi au samedi.", day=slot.day))
            continue
        try:
            start, end = minutes(slot.start), minutes(slot.end)
        except ValueError as error:
            check.errors.append(f"{slot.day} : {error}.")
            continue
        if end <= start:
            check.errors.append(_(
                "%(day)s : la plage %(start)s-%(end)s finit avant de commencer ; "
                "vérifiez l'heure de fin.", day=slot.day, start=slot.start, end=slot.end))
            continue
        if start < NIGHT_ENDS or end > NIGHT_STARTS:
            check.errors.append(_(
                "%(day)s : la plage %(start)s-%(end)s déborde sur la nuit. Un élève "
                "mineur ne peut pas être présent entre 20:00 et 06:00 (code du travail, "
                "L. 3163-2) : finissez au plus tard à 20:00 et commencez au plus tôt à 06:00.",
                day=slot.day, start=slot.start, end=slot.end))
        by_day.setdefault(slot.day, []).append((start, end))
    for day in DAYS:
        ranges = sorted(by_day.get(day, []))
        for (_s1, e1), (s2, _e2) in zip(ranges, ranges[1:], strict=False):
            if s2 < e1:
                check.errors.append(_("%(day)s : deux plages horaires se chevauchent.",
                                      day=day))
        total = sum(end - start for start, end in ranges)
        if ranges:
            check.day_minutes[day] = total
        if total > MAX_DAY_MINUTES:
            check.errors.append(_(
                "%(day)s : %(total)s de présence. Un élève en stage "
                "d'observation peut être présent 7 h par jour au plus (code du travail, "
                "L. 3162-1) : raccourcissez cette journée.", day=day,
                total=format_minutes(total)))
    check.week_minutes = sum(check.day_minutes.values())
    if check.week_minutes > MAX_WEEK_MINUTES:
        check.errors.append(_(
            "La semaine compte %(total)s. Un élève en stage "
            "d'observation peut être présent 35 h par semaine au plus (code du travail, "
            "L. 3162-1) : réduisez les horaires.", total=format_minutes(check.week_minutes)))
    elif min_age < 15 and check.week_minutes > WARN_WEEK_MINUTES_UNDER_15:
        check.warnings.append(_(
            "La semaine compte %(total)s : c'est autorisé, mais "
            "long pour un élève de moins de 15 ans. Nous recommandons 30 h au plus.",
            total=format_minutes(check.week_minutes)))
    return check


def check_safety_attested(attested: bool) -> str | None:
    if attested:
        return None
    return str(_(
        "Cochez l'attestation : l'élève n'utilisera aucune machine ni aucun produit dangereux "
        "(code de l'éducation, D. 331-9). Sans elle, l'offre ne peut pas être enregistrée."
    ))


def check_seats(seats: int) -> str | None:
    if seats < 0:
        return str(_("Le nombre de places ne peut pas être négatif."))
    if seats > MAX_SEATS_PER_WEEK:
        return str(_(
            "%(seats)s places sur une semaine, c'est plus que le maximum de "
            "%(max)s : vérifiez le nombre ou contactez le groupe de pilotage.",
            seats=seats, max=MAX_SEATS_PER_WEEK))
    return None


def check_seats_not_below_assigned(week: str, seats: int, assigned: int) -> str | None:
    """After the assignment is published, the pupils already placed keep their seat."""
    if seats >= assigned:
        return None
    return str(_(
        "Semaine %(week)s : %(assigned)s élève(s) y sont déjà affecté(s) ; vous ne pouvez pas "
        "descendre à %(seats)s place(s). Pour annuler un accueil, contactez le groupe de "
        "pilotage.", week=week, assigned=assigned, seats=seats))

