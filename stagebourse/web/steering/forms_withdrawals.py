"""The steering group's decision on a host's request to withdraw a confirmed placement."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from stagebourse.web.forms import select_choices

ACCEPT, REFUSE = "accept", "refuse"


class WithdrawalDecisionForm(FlaskForm):
    request_id = IntegerField(_l("N° de la demande"), validators=[
        InputRequired(_l("Indiquez le numéro de la demande."))])
    decision = RadioField(_l("Décision"), choices=select_choices([
        (ACCEPT, _l("Accepter : le stage est retiré, la convention annulée, l'élève repasse "
                    "en priorité au tour suivant")),
        (REFUSE, _l("Refuser : le stage est maintenu"))]),
        validators=[DataRequired(_l("Choisissez d'accepter ou de refuser."))])
    note = TextAreaField(_l("Message à la structure (obligatoire pour un refus)"),
                         validators=[Optional(), Length(max=2000)])
