"""Forms of the steering group's questionnaire and observatory pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange


class QuestionnaireJsonForm(FlaskForm):
    document = TextAreaField(_l("Questionnaire (JSON)"), validators=[
        DataRequired(_l("Collez le questionnaire au format JSON.")),
        Length(max=100_000, message=_l("100 000 caractères au plus."))])


class ReminderForm(FlaskForm):
    days = IntegerField(_l("Relancer les personnes invitées depuis au moins (jours)"),
                        default=7, validators=[
                            DataRequired(_l("Indiquez un nombre de jours.")),
                            NumberRange(1, 90, _l("Entre 1 et 90 jours."))])
