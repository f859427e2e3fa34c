"""Forms of the teacher's agreement pages: the school's settings, its part, paper signatures."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from stagebourse.models import Party

_EMAIL = Email(_l("Cette adresse e-mail n'est pas valide (exemple : nom@exemple.fr)."))


class _SchoolFields(FlaskForm):
    head_name = StringField(_l("Nom du chef d'établissement"), validators=[
        DataRequired(_l("Indiquez le nom du chef d'établissement.")), Length(max=200)])
    head_title = StringField(_l("Sa qualité"), validators=[
        DataRequired(_l("Indiquez sa qualité (principal, principale, proviseur…).")),
        Length(max=120)])
    signatory_email = EmailField(_l("Adresse qui reçoit le lien de signature de l'établissement"),
                                 validators=[DataRequired(_l("Indiquez une adresse e-mail.")),
                                             _EMAIL, Length(max=254)])
    delegation = StringField(_l("Délégation de signature (facultatif)"),
                             validators=[Optional(), Length(max=300)])
    insurer = StringField(_l("Assureur de l'établissement (responsabilité civile)"), validators=[
        DataRequired(_l("Indiquez l'assureur de l'établissement.")), Length(max=200)])
    insurance_policy = StringField(_l("Numéro de contrat (facultatif)"),
                                   validators=[Optional(), Length(max=100)])


class SettingsForm(_SchoolFields):
    campaign = SelectField(_l("Campagne"), validate_choice=False)
    school_address = StringField(_l("Adresse de l'établissement (facultatif)"),
                                 validators=[Optional(), Length(max=300)])


class SchoolPartForm(_SchoolFields):
    address = StringField(_l("Adresse de l'établissement (facultatif)"),
                          validators=[Optional(), Length(max=300)])


# Only the parties who sign at school, in front of the teacher: the school and the host sign by
# their own link (a host's paper signature goes through the steering group).
PAPER_PARTY_CHOICES = [
    SelectChoice(Party.GUARDIAN.value, _l("Le ou la représentant(e) légal(e)")),
    SelectChoice(Party.PUPIL.value, _l("L'élève")),
]


class PaperSignatureForm(FlaskForm):
    party = SelectField(_l("Partie qui a signé sur papier"), choices=PAPER_PARTY_CHOICES)
    signer_name = StringField(_l("Nom de la personne qui a signé"),
                              validators=[Optional(), Length(max=200)])
    scan = FileField(_l("Scan de la convention signée (un fichier PDF)"),
                     validators=[FileRequired(_l("Joignez le scan de la convention signée."))])
