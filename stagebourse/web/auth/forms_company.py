"""The forms of a structure's sign-up, a request to join it, an invitation's acceptance."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from stagebourse.web.forms import new_password_fields, select_choices

_EMAIL = [Email(_l("Cette adresse e-mail n'est pas valide (exemple : nom@exemple.fr).")),
          Length(max=254)]


class CompanySignUpForm(FlaskForm):
    siret = StringField(_l("SIRET de l'établissement"), validators=[
        DataRequired(_l("Indiquez le SIRET (14 chiffres)."))])
    name = StringField(_l("Nom de la structure"), validators=[
        DataRequired(_l("Indiquez le nom de la structure.")), Length(max=200)])
    kind = SelectField(_l("Type de structure"), choices=select_choices([
        ("company", _l("Entreprise")), ("association", _l("Association")),
        ("public_body", _l("Organisme public"))]))
    address = StringField(_l("Adresse"), validators=[
        DataRequired(_l("Indiquez l'adresse.")), Length(max=300)])
    postcode = StringField(_l("Code postal"), validators=[
        DataRequired(_l("Indiquez le code postal.")),
        Regexp(r"^\d{5}$", message=_l("5 chiffres, ex. 59300."))])
    commune_code = SelectField(_l("Commune"), validators=[
        DataRequired(_l("Choisissez la commune dans la liste."))])
    contact_name = StringField(_l("Personne à contacter"), validators=[
        DataRequired(_l("Indiquez la personne à contacter.")), Length(max=200)])
    contact_phone = StringField(_l("Téléphone (facultatif)"),
                                validators=[Optional(), Length(max=30)])
    display_name = StringField(_l("Votre nom"), validators=[
        DataRequired(_l("Indiquez votre nom.")), Length(max=200)])
    email = EmailField(_l("Votre adresse e-mail (identifiant)"), validators=[
        DataRequired(_l("Indiquez votre adresse e-mail.")), *_EMAIL])
    password, confirm = new_password_fields()
    # The personal link of a Charter signatory's invitation, when the form came from one.
    invitation = HiddenField()


class JoinRequestForm(FlaskForm):
    siret = HiddenField()
    name = StringField(_l("Votre nom"), validators=[
        DataRequired(_l("Indiquez votre nom.")), Length(max=200)])
    email = EmailField(_l("Votre adresse e-mail"), validators=[
        DataRequired(_l("Indiquez votre adresse e-mail.")), *_EMAIL])
    message = TextAreaField(_l("Message aux membres (facultatif)"),
                            validators=[Optional(), Length(max=1000)])


class AcceptInvitationForm(FlaskForm):
    display_name = StringField(_l("Votre nom"), validators=[
        DataRequired(_l("Indiquez votre nom.")), Length(max=200)])
    password, confirm = new_password_fields()
