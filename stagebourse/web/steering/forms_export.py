"""Form of the auditor's download of a round's files: who receives them, and what for."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class InstanceDownloadForm(FlaskForm):
    recipient = StringField(_l("Destinataire (personne et organisme)"), validators=[
        DataRequired(_l("Indiquez à qui les fichiers sont remis.")), Length(max=200)])
    purpose = TextAreaField(_l("Finalité"), validators=[
        DataRequired(_l("Indiquez pour quoi faire : par exemple, vérifier l'optimalité du "
                        "tour.")), Length(max=200)])
