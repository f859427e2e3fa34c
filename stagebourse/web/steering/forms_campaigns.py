from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from stagebourse.identifiers import parse_iso_week
from stagebourse.models import School
from stagebourse.web.forms import LEVEL_CHOICES


class CampaignForm(FlaskForm):
    year = IntegerField(_l("Année des stages"), validators=[
        DataRequired(_l("Indiquez l'année (ex. 2027 pour l'année scolaire 2026-2027).")),
        NumberRange(2020, 2100, _l("Année entre 2020 et 2100."))])
    level = SelectField(_l("Niveau"), choices=LEVEL_CHOICES)
    name = StringField(_l("Nom de la campagne"), validators=[
        DataRequired(_l("Donnez un nom, ex. « Stages de 3e 2026-2027 »")), Length(max=200)])
    requests_deadline = DateField(_l("Date limite des vœux"), validators=[
        DataRequired(_l("Indiquez une date (jj/mm/aaaa)."))])
    confirmation_deadline = DateField(_l("Date limite de confirmation des affectations"),
                                      validators=[Optional()])


class DeadlinesForm(FlaskForm):
    requests_deadline = DateField(_l("Date limite des vœux"), validators=[
        DataRequired(_l("Indiquez une date (jj/mm/aaaa)."))])
    confirmation_deadline = DateField(_l("Date limite de confirmation des affectations"),
                                      validators=[Optional()])


WEEK_SLOTS = 2


def week_field_name(school: School, slot: int) -> str:
    return f"week-{school.id}-{slot}"


def parse_school_weeks(
    schools: Sequence[School], formdata: Mapping[str, str]
) -> tuple[dict[int, list[str]], dict[str, str]]:
    """Read the weeks grid: ``week-<school id>-<slot>`` inputs, empty means none.

    Returns the weeks per school and, per field name, an error message.
    """
    values: dict[int, list[str]] = {}
    errors: dict[str, str] = {}
    for school in schools:
        weeks: list[str] = []
        for slot in range(1, WEEK_SLOTS + 1):
            name = week_field_name(school, slot)
            raw = (formdata.get(name) or "").strip().upper()
            if not raw:
                continue
            try:
                parse_iso_week(raw)
            except ValueError as error:
                errors[name] = str(error)
                continue
            weeks.append(raw)
        values[school.id] = weeks
    return values, errors
