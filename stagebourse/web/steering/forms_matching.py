"""Forms of the matching rounds: parameters of a run, manual changes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from stagebourse.matching import Params
from stagebourse.web.forms import select_choices

_DEFAULT = Params()


def _cost(label: object, default: float) -> FloatField:
    return FloatField(label, default=default, validators=[
        InputRequired(_l("Indiquez un nombre (0 ou plus).")),
        NumberRange(0, 100000, _l("Entre 0 et 100 000."))])


class RunForm(FlaskForm):
    # The only round that can be computed is the one after the last published round.
    round_number = SelectField(_l("Tour"), default="1", choices=[])
    rank_cost_1 = _cost(_l("Coût du vœu 1"), _DEFAULT.rank_costs[0])
    rank_cost_2 = _cost(_l("Coût du vœu 2"), _DEFAULT.rank_costs[1])
    rank_cost_3 = _cost(_l("Coût du vœu 3"), _DEFAULT.rank_costs[2])
    rank_cost_4 = _cost(_l("Coût du vœu 4"), _DEFAULT.rank_costs[3])
    rank_cost_5 = _cost(_l("Coût du vœu 5"), _DEFAULT.rank_costs[4])
    km_cost = _cost(_l("Coût par kilomètre"), _DEFAULT.km_cost)
    allow_unranked = BooleanField(_l("Autoriser une offre qu'aucun vœu ne nomme (dans les "
                                     "limites de distance, semaines, âge…)"))
    unranked_cost = _cost(_l("Coût d'une offre hors vœux"), _DEFAULT.unranked_cost)
    seed = IntegerField(_l("Graine du tirage au sort (laisser vide pour la tirer au hasard)"),
                        validators=[Optional(), NumberRange(0, 2**53 - 1,
                                                            _l("Un entier positif."))])

    def offer_round(self, number: int) -> None:
        """Offer round ``number`` (the campaign's next round) and nothing else."""
        text = _l("Premier tour") if number == 1 else _l(
            "Tour %(n)s (élèves sans place, sur les places restantes)", n=number)
        self.round_number.choices = select_choices([(str(number), text)])
        if not self.is_submitted():
            self.round_number.data = str(number)

    def rank_costs(self) -> tuple[float, ...]:
        return tuple(float(getattr(self, f"rank_cost_{k}").data) for k in range(1, 6))


class ManualMoveForm(FlaskForm):
    pupil_id = IntegerField(_l("Numéro de l'élève"), validators=[
        InputRequired(_l("Indiquez le numéro de l'élève (colonne « N° » du tableau)."))])
    offer_id = IntegerField(_l("Numéro de l'offre"), validators=[
        InputRequired(_l("Indiquez le numéro de l'offre."))])
    week = StringField(_l("Semaine (AAAA-Wss, ex. 2027-W05)"), validators=[
        DataRequired(_l("Indiquez la semaine.")),
        Regexp(r"^\d{4}-W\d{2}$", message=_l("Format : 2027-W05."))])
    reason = TextAreaField(_l("Raison du changement (figurera dans l'audit)"), validators=[
        DataRequired(_l("Écrivez la raison.")), Length(max=2000)])


class CancelForm(FlaskForm):
    assignment_id = IntegerField(_l("Numéro de l'affectation"), validators=[
        InputRequired(_l("Indiquez le numéro de l'affectation."))])
    reason = TextAreaField(_l("Raison de l'annulation (figurera dans l'audit)"), validators=[
        DataRequired(_l("Écrivez la raison.")), Length(max=2000)])
