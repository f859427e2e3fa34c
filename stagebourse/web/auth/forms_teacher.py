"""The teacher sign-up form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from stagebourse.services.accounts import MIN_PASSWORD_LENGTH


class TeacherSignUpForm(FlaskForm):
    display_name = StringField(_l("Prénom et nom"), validators=[
        DataRequired(_l("Indiquez votre prénom et votre nom.")), Length(max=200)])
    email = EmailField(_l("Adresse e-mail professionnelle"), validators=[
        DataRequired(_l("Indiquez votre adresse e-mail.")),
        Email(_l("Cette adresse e-mail n'est pas valide (exemple : nom@ac-lille.fr).")),
        Length(max=254)])
    school_id = SelectField(_l("Votre établissement"), coerce=int, validate_choice=True)
    password = PasswordField(_l("Mot de passe"), validators=[
        DataRequired(_l("Choisissez un mot de passe.")),
        Length(min=MIN_PASSWORD_LENGTH, max=200,
               message=_l("Entre %(min)d et %(max)d caractères."))])
    confirm = PasswordField(_l("Confirmez le mot de passe"), validators=[
        DataRequired(_l("Recopiez le mot de passe.")),
        EqualTo("password", _l("Les deux mots de passe sont différents."))])
