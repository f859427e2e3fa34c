from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Length, Optional


class SignForm(FlaskForm):
    code = StringField(_l("Code reçu par e-mail (6 chiffres)"),
                       validators=[InputRequired(_l("Recopiez le code reçu par e-mail.")),
                                   Length(max=20)])
    version = HiddenField()
    signer_name = StringField(_l("Votre nom et votre prénom"),
                              validators=[Optional(), Length(max=200)])
