from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length


class AccountReasonForm(FlaskForm):
    reason = TextAreaField(_l("Raison (gardée au journal)"), validators=[
        DataRequired(_l("Indiquez la raison : elle reste au journal.")),
        Length(min=5, max=1000, message=_l("Écrivez entre 5 et 1 000 caractères."))])


class ObserverInviteForm(FlaskForm):
    display_name = StringField(_l("Nom et organisme"), validators=[
        DataRequired(_l("Indiquez le nom de la personne et son organisme.")),
        Length(max=200)])
    email = EmailField(_l("Adresse e-mail"), validators=[
        DataRequired(_l("Indiquez l'adresse e-mail de la personne.")),
        Email(_l("Cette adresse e-mail n'est pas valide : vérifiez-la.")), Length(max=254)])
