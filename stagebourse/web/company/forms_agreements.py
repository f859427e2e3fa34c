"""The structure's part of an agreement, which it may correct before signing; the scan of
its paper signature; naming a tutor."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

_EMAIL = Email(_l("Cette adresse e-mail n'est pas valide (exemple : nom@exemple.fr)."))


class CompanyPartForm(FlaskForm):
    representative_name = StringField(_l("Représentant(e) de la structure"), validators=[
        DataRequired(_l("Indiquez qui représente la structure.")), Length(max=200)])
    representative_title = StringField(_l("Sa fonction"), validators=[Optional(),
                                                                      Length(max=120)])
    email = EmailField(_l("Adresse qui reçoit le lien de signature de la structure"),
                       validators=[DataRequired(_l("Indiquez une adresse e-mail.")), _EMAIL,
                                   Length(max=254)])
    phone = StringField(_l("Téléphone (facultatif)"), validators=[Optional(), Length(max=30)])
    tutor_name = StringField(_l("Tuteur ou tutrice"), validators=[
        DataRequired(_l("Indiquez le tuteur ou la tutrice.")), Length(max=200)])
    tutor_title = StringField(_l("Sa fonction"), validators=[Optional(), Length(max=200)])
    tutor_email = EmailField(_l("Son adresse e-mail"), validators=[Optional(), _EMAIL,
                                                                   Length(max=254)])
    place = StringField(_l("Lieu de la séquence"), validators=[
        DataRequired(_l("Indiquez le lieu.")), Length(max=300)])
    tasks = TextAreaField(_l("Activités observées"), validators=[
        DataRequired(_l("Décrivez les activités observées.")), Length(max=4000)])


class HostPaperForm(FlaskForm):
    signer_name = StringField(_l("Nom de la personne qui a signé pour la structure"),
                              validators=[Optional(), Length(max=200)])
    scan = FileField(_l("Scan de la convention signée (un fichier PDF)"),
                     validators=[FileRequired(_l("Joignez le scan de la convention signée."))])


class TutorForm(FlaskForm):
    offer = SelectField(_l("Offre"), validate_choice=False)
    full_name = StringField(_l("Nom et prénom du tuteur ou de la tutrice"), validators=[
        DataRequired(_l("Indiquez le nom et le prénom du tuteur ou de la tutrice.")),
        Length(max=200)])
    job_title = StringField(_l("Sa fonction (facultatif)"), validators=[Optional(),
                                                                      Length(max=200)])
    email = EmailField(_l("Son adresse e-mail"), validators=[
        DataRequired(_l("Indiquez l'adresse e-mail du tuteur ou de la tutrice.")), _EMAIL,
        Length(max=254)])
