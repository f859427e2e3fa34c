"""The steering group's forms about tutors and about hosts' paper signatures."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length


class RefuseScanForm(FlaskForm):
    reason = TextAreaField(_l("Pourquoi refuser ce scan ?"), validators=[
        DataRequired(_l("Dites pourquoi le scan est refusé : la structure saura quoi corriger.")),
        Length(max=2000)])
