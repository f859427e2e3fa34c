"""Forms of a request (used by the pupil and by their teacher on their behalf): what a post
must hold. The request pages write these forms' HTML themselves (requests/_request.html):
rendered through the form library, their dozen inputs cost as much as the rest of the page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import InputRequired, NumberRange

from stagebourse.services.requests import MAX_TRAVEL_KM, MIN_TRAVEL_KM


class SectorWishForm(FlaskForm):
    sector_code = StringField()


class OfferWishForm(FlaskForm):
    offer_id = IntegerField(validators=[InputRequired(_l("Choisis une offre dans la liste."))])


class PreferencesForm(FlaskForm):
    max_travel_km = IntegerField(validators=[
        InputRequired(_l("Écris un nombre de kilomètres.")),
        NumberRange(MIN_TRAVEL_KM, MAX_TRAVEL_KM, _l("Écris un nombre entre %(min)s et %(max)s."))])
    needs_accessible = BooleanField()
    # "oui", "non", or anything else for no answer.
    has_network = StringField()
