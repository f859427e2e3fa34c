"""A host's decline before the reveal and its withdrawal request after it: a reason from the
closed list, a note, and a box to tick, so that one stray click refuses nobody."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from stagebourse.labels import label
from stagebourse.models import HostReason
from stagebourse.web.forms import select_choices


def reason_choices() -> list[object]:
    return select_choices([("", _l("— choisir —"))]
                          + [(reason.value, label(reason)) for reason in HostReason])


class HostDecisionForm(FlaskForm):
    reason = SelectField(_l("Raison"), validators=[
        DataRequired(_l("Choisissez la raison dans la liste."))])
    note = TextAreaField(_l("Précision pour le groupe de pilotage (obligatoire pour « autre "
                            "raison »)"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.reason.choices = reason_choices()


class DeclineForm(HostDecisionForm):
    confirm = BooleanField(_l("Je confirme que notre structure ne peut pas accueillir l'élève "
                              "proposé cette semaine-là."), validators=[
        DataRequired(_l("Cochez la case pour confirmer le refus."))])


class WithdrawalForm(HostDecisionForm):
    confirm = BooleanField(_l("Je demande au groupe de pilotage de retirer ce stage ; il reste "
                              "prévu tant qu'il n'a pas décidé."), validators=[
        DataRequired(_l("Cochez la case pour confirmer la demande."))])
