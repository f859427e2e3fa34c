"""The teacher sign-up form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from stagebourse.web.forms import new_password_fields


class TeacherSignUpForm(FlaskForm):
    display_name = StringField(_l("Prénom et nom"), validators=[
        DataRequired(_l("Indiquez votre prénom et votre nom.")), Length(max=200)])
    email = EmailField(_l("Adresse e-mail professionnelle"), validators=[
        DataRequired(_l("Indiquez votre adresse e-mail.")),
        Email(_l("Cette adresse e-mail n'est pas valide (exemple : nom@ac-lille.fr).")),
        Length(max=254)])
    school_id = SelectField(_l("Votre établissement"), coerce=int, validate_choice=True)
    password, confirm = new_password_fields()
