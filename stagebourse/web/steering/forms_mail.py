"""Forms of the steering group's mail pages (outbox)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from stagebourse.models import OutboxState

STATE_LABELS = {
    OutboxState.PENDING: _l("En attente"),
    OutboxState.SENDING: _l("En cours d'envoi"),
    OutboxState.SENT: _l("Envoyé"),
    OutboxState.FAILED: _l("En échec"),
}


class OutboxFilterForm(FlaskForm):
    """A GET form: filters are part of the address, so a filtered list can be bookmarked."""

    class Meta:
        csrf = False

    state = SelectField(_l("État"), choices=[SelectChoice("", _l("Tous"))]
                        + [SelectChoice(s.value, label) for s, label in STATE_LABELS.items()],
                        validators=[Optional()])
    q = StringField(_l("Destinataire ou objet contient"), validators=[Optional(), Length(max=100)])
