"""The help page's « Être rappelé·e » form: nothing is required but one way to answer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, StringField, TelField
from wtforms.validators import Length, Optional

from stagebourse.services.help import MAX_NAME, TOPICS
from stagebourse.web.forms import select_choices


class CallbackForm(FlaskForm):
    name = StringField(_l("Prénom ou pseudo (facultatif)"),
                       validators=[Optional(), Length(max=MAX_NAME)])
    phone = TelField(_l("Téléphone"), validators=[Optional(), Length(max=30)])
    email = EmailField(_l("Adresse e-mail"), validators=[Optional(), Length(max=254)])
    topic = RadioField(_l("C'est à propos de… (facultatif)"), validators=[Optional()],
                       choices=select_choices([("", _l("Je préfère ne pas le dire")),
                                               *TOPICS.items()]),
                       default="")
