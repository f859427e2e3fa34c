"""Forms of the steering group's questionnaire and observatory pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange


class QuestionnaireJsonForm(FlaskForm):
    document = TextAreaField(_l("Questionnaire (JSON)"), validators=[
        DataRequired(_l("Collez le questionnaire au format JSON.")),
        Length(max=100_000, message=_l("100 000 caractères au plus."))])


class ReminderForm(FlaskForm):
    days = IntegerField(_l("Relancer les personnes invitées depuis au moins (jours)"),
                        default=7, validators=[
                            DataRequired(_l("Indiquez un nombre de jours.")),
                            NumberRange(1, 90, _l("Entre 1 et 90 jours."))])


class ReleaseForm(FlaskForm):
    """Publishing is final (a release is never recomputed): say so, and ask to confirm."""

    confirm = BooleanField(_l("Je confirme : ces chiffres seront publiés tels quels, "
                              "définitivement."),
                           validators=[InputRequired(_l("Cochez pour confirmer."))])
