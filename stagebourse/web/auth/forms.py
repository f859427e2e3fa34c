from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length

from stagebourse.web.forms import new_password_fields


class PasswordSignInForm(FlaskForm):
    email = EmailField(_l("Adresse e-mail"), validators=[
        DataRequired(_l("Indiquez votre adresse e-mail.")),
        Email(_l("Cette adresse e-mail n'est pas valide (exemple : nom@exemple.fr).")),
        Length(max=254)])
    password = PasswordField(_l("Mot de passe"), validators=[
        DataRequired(_l("Indiquez votre mot de passe.")), Length(max=200)])
    next = HiddenField()


class CodeSignInForm(FlaskForm):
    code = StringField(_l("Ton code d'accès"), validators=[
        DataRequired(_l("Écris le code que ton professeur t'a donné.")),
        Length(max=40, message=_l("Ce code est trop long : vérifie-le sur ton papier."))])


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Adresse e-mail du compte"), validators=[
        DataRequired(_l("Indiquez votre adresse e-mail.")),
        Email(_l("Cette adresse e-mail n'est pas valide (exemple : nom@exemple.fr).")),
        Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password, confirm = new_password_fields(_l("Nouveau mot de passe"))
