from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Raison du refus (envoyée à la structure)"), validators=[
        DataRequired(_l("Indiquez la raison du refus.")), Length(min=5, max=2000)])


class SignatoriesForm(FlaskForm):
    file = FileField(_l("Liste des signataires (CSV avec une colonne siret et/ou nom)"),
                     validators=[FileRequired(_l("Choisissez le fichier CSV."))])


class TokenForm(FlaskForm):
    company = SelectField(_l("Structure"), validators=[
        DataRequired(_l("Choisissez la structure."))])
    label = StringField(_l("Libellé (à quoi sert ce jeton)"), validators=[
        DataRequired(_l("Donnez un libellé, ex. « Logiciel RH du groupe »")), Length(max=200)])
    expires_on = DateField(_l("Expire le (facultatif)"), validators=[Optional()])
