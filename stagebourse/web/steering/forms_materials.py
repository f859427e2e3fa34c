"""Forms of the steering group's materials and preparation pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from stagebourse.models import Audience

AUDIENCE_LABELS = {
    Audience.TUTOR: _l("Tuteurs"),
    Audience.PUPIL: _l("Élèves"),
    Audience.TEACHER: _l("Professeurs"),
}


def _audience_choices() -> list[SelectChoice]:
    return [SelectChoice(a.value, label) for a, label in AUDIENCE_LABELS.items()]


class MaterialFilterForm(FlaskForm):
    class Meta:
        csrf = False

    audience = SelectField(_l("Public"), choices=[SelectChoice("", _l("Tous"))]
                           + _audience_choices(), validators=[Optional()])


class MaterialForm(FlaskForm):
    title = StringField(_l("Titre"), validators=[
        DataRequired(_l("Donnez un titre au support.")), Length(max=200)])
    audience = SelectField(_l("Public"), choices=_audience_choices(),
                           validators=[DataRequired()])
    body_md = TextAreaField(_l("Texte (Markdown)"), validators=[
        DataRequired(_l("Écrivez le texte du support.")), Length(max=100_000)])
    attachment = FileField(_l("Document joint (PDF, facultatif)"))


class EditMaterialForm(MaterialForm):
    remove_attachment = BooleanField(_l("Retirer le document joint"))


class NewMaterialForm(MaterialForm):
    slug = StringField(_l("Identifiant"), validators=[
        DataRequired(_l("Donnez un identifiant.")), Length(min=2, max=100),
        Regexp(r"^[a-z0-9][a-z0-9-]+$", message=_l(
            "Minuscules sans accent, chiffres et tirets seulement (exemple : tuteur-accueil)."))])


class CampaignChoiceForm(FlaskForm):
    class Meta:
        csrf = False

    campaign = SelectField(_l("Campagne"), coerce=int, validators=[Optional()])
