"""Forms of a request (used by the pupil and by their teacher on their behalf)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectChoice, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional

from stagebourse.services.requests import MAX_TRAVEL_KM, MIN_TRAVEL_KM


class SectorWishForm(FlaskForm):
    sector_code = SelectField(_l("Un secteur"), validate_choice=False)


class OfferWishForm(FlaskForm):
    offer_id = IntegerField(_l("Une offre précise"), validators=[
        InputRequired(_l("Choisis une offre dans la liste."))])


class PreferencesForm(FlaskForm):
    max_travel_km = IntegerField(
        _l("Jusqu'à combien de kilomètres peux-tu aller ?"),
        validators=[InputRequired(_l("Écris un nombre de kilomètres.")),
                    NumberRange(MIN_TRAVEL_KM, MAX_TRAVEL_KM,
                                _l("Écris un nombre entre %(min)s et %(max)s."))])
    needs_accessible = BooleanField(_l("J'ai besoin d'un lieu accessible (fauteuil roulant, "
                                       "mobilité réduite)"))
    has_network = RadioField(
        _l("Quelqu'un de ta famille ou de ton entourage pourrait-il t'accueillir en stage ?"),
        choices=[SelectChoice("oui", _l("Oui")), SelectChoice("non", _l("Non")),
                 SelectChoice("", _l("Je préfère ne pas répondre"))],
        default="", validators=[Optional()], validate_choice=False)
