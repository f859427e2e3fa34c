"""Offer forms: the seat fields depend on the open campaigns, so the class is built per request."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from stagebourse.services.offer_rules import DAYS, MAX_SEATS_PER_WEEK, Slot, parse_day_ranges
from stagebourse.services.offers import CampaignWeeks, OfferInput, TutorInput

NEW_TUTOR = "new"


def seats_field_name(week: str) -> str:
    return "seats_" + week.replace("-", "_")


class OfferFormBase(FlaskForm):
    title = StringField(_l("Titre de l'offre"), validators=[
        DataRequired(_l("Donnez un titre à l'offre.")), Length(max=200)])
    external_ref = StringField(_l("Votre référence (facultatif)"),
                               validators=[Optional(), Length(max=100)])
    sector = SelectField(_l("Secteur"), validators=[DataRequired(_l("Choisissez un secteur."))])
    description = TextAreaField(_l("Ce que l'élève verra et fera"), validators=[
        DataRequired(_l("Décrivez ce que l'élève verra et fera.")), Length(min=20, max=5000)])
    address = StringField(_l("Adresse du lieu de stage"), validators=[
        DataRequired(_l("Indiquez l'adresse.")), Length(max=300)])
    commune = SelectField(_l("Commune"), validators=[DataRequired(_l("Choisissez la commune."))])
    for_3e = BooleanField(_l("Élèves de 3e"))
    for_2de = BooleanField(_l("Élèves de 2de"))
    lat = FloatField(_l("Latitude (facultatif)"), validators=[
        Optional(), NumberRange(-90, 90, _l("Entre -90 et 90."))])
    lon = FloatField(_l("Longitude (facultatif)"), validators=[
        Optional(), NumberRange(-180, 180, _l("Entre -180 et 180."))])
    min_age = IntegerField(_l("Âge minimum"), default=14, validators=[
        DataRequired(_l("Indiquez l'âge minimum.")),
        NumberRange(13, 18, _l("Entre 13 et 18 ans."))])
    accessible = BooleanField(_l("Accessible aux personnes à mobilité réduite"))
    safety_attested = BooleanField(_l("J'atteste que l'élève n'utilisera aucune machine ni "
                                      "aucun produit dangereux (code de l'éducation, D. 331-9)"))
    tutor = SelectField(_l("Tuteur"))
    tutor_name = StringField(_l("Nom du nouveau tuteur"), validators=[Optional(), Length(max=200)])
    tutor_job = StringField(_l("Fonction du nouveau tuteur"),
                            validators=[Optional(), Length(max=200)])
    tutor_email = EmailField(_l("E-mail du nouveau tuteur"), validators=[
        Optional(), Email(_l("Adresse e-mail invalide.")), Length(max=254)])
    publish = BooleanField(_l("Publier l'offre (sinon, brouillon)"), default=True)


def offer_form_class(groups: list[CampaignWeeks]) -> type[OfferFormBase]:
    attrs: dict[str, Any] = {}
    for day in DAYS:
        attrs[f"day_{day}"] = StringField(day.capitalize(), validators=[Optional(),
                                                                        Length(max=100)])
    for group in groups:
        for week, label in group.weeks:
            attrs[seats_field_name(week)] = IntegerField(
                label, default=0, validators=[Optional(), NumberRange(
                    0, MAX_SEATS_PER_WEEK, _l("Entre 0 et %(n)s places.", n=MAX_SEATS_PER_WEEK))])
    return type("OfferForm", (OfferFormBase,), attrs)


def form_to_input(form: Any, groups: list[CampaignWeeks]) -> tuple[OfferInput | None, str | None]:
    """Build the service input; returns (None, message) if the hours cannot be read."""
    schedule: list[Slot] = []
    for day in DAYS:
        text = form[f"day_{day}"].data or ""
        if text.strip():
            try:
                schedule.extend(parse_day_ranges(day, text))
            except ValueError as error:
                form[f"day_{day}"].errors = [str(error)]
                return None, str(error)
    seats = {}
    for group in groups:
        for week, _label in group.weeks:
            seats[week] = int(form[seats_field_name(week)].data or 0)
    tutor_id = None
    new_tutor = None
    if form.tutor.data and form.tutor.data != NEW_TUTOR:
        tutor_id = int(form.tutor.data)
    elif form.tutor_name.data or form.tutor_email.data:
        new_tutor = TutorInput(form.tutor_name.data or "", form.tutor_job.data or "",
                               form.tutor_email.data or "")
    return OfferInput(
        title=form.title.data, sector_code=form.sector.data, description=form.description.data,
        address=form.address.data, commune_code=form.commune.data, for_3e=form.for_3e.data,
        for_2de=form.for_2de.data, min_age=form.min_age.data or 14,
        accessible=form.accessible.data, schedule=schedule,
        safety_attested=form.safety_attested.data, seats=seats, tutor_id=tutor_id,
        new_tutor=new_tutor, publish=form.publish.data,
        external_ref=(form.external_ref.data or "").strip() or None,
        lat=form.lat.data if form.lon.data is not None else None,
        lon=form.lon.data if form.lat.data is not None else None,
    ), None


class ImportUploadForm(FlaskForm):
    file = FileField(_l("Fichier CSV des offres"), validators=[
        FileRequired(_l("Choisissez le fichier CSV à importer."))])


class ImportConfirmForm(FlaskForm):
    only_valid = BooleanField(_l("Importer seulement les lignes valides"))
