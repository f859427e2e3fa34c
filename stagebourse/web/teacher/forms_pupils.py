"""Forms of the teacher's pupil pages: roster import, one pupil, consent, codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from stagebourse import clock
from stagebourse.models import ConsentMethod, Gender, Level
from stagebourse.web.forms import LEVEL_CHOICES

GENDER_CHOICES = [SelectChoice("", _l("Non renseigné")),
                  SelectChoice(Gender.FEMALE.value, _l("Fille")),
                  SelectChoice(Gender.MALE.value, _l("Garçon")),
                  SelectChoice(Gender.OTHER.value, _l("Autre"))]
QPV_CHOICES = [SelectChoice("", _l("Non renseigné")), SelectChoice("oui", _l("Oui")),
               SelectChoice("non", _l("Non"))]
CONSENT_CHOICES = [
    SelectChoice(ConsentMethod.PAPER.value, _l("Coupon papier signé (gardé par l'établissement)")),
    SelectChoice(ConsentMethod.EMAIL.value, _l("Par e-mail du responsable légal")),
    SelectChoice(ConsentMethod.IN_PERSON.value, _l("En personne, devant un membre de l'équipe")),
]


class RosterUploadForm(FlaskForm):
    file = FileField(_l("Fichier CSV de la classe"), validators=[
        FileRequired(_l("Choisissez le fichier CSV à importer."))])
    level = SelectField(_l("Niveau"), choices=LEVEL_CHOICES)


class RosterImportForm(FlaskForm):
    payload = HiddenField()
    level = HiddenField()


class PupilForm(FlaskForm):
    last_name = StringField(_l("Nom"), validators=[
        DataRequired(_l("Indiquez le nom de l'élève.")), Length(max=100)])
    first_name = StringField(_l("Prénom"), validators=[
        DataRequired(_l("Indiquez le prénom de l'élève.")), Length(max=100)])
    birth_date = DateField(_l("Date de naissance"), validators=[
        DataRequired(_l("Indiquez la date de naissance (jour/mois/année)."))])
    class_name = StringField(_l("Classe"), validators=[
        DataRequired(_l("Indiquez la classe, par exemple 3A.")), Length(max=40),
        Regexp(r"^[\w][\w .'/-]*$", message=_l("Lettres, chiffres et espaces seulement."))])
    level = SelectField(_l("Niveau"), choices=LEVEL_CHOICES)
    gender = SelectField(_l("Genre (facultatif, pour la mesure de l'égalité seulement)"),
                         choices=GENDER_CHOICES)
    guardian_email = EmailField(_l("E-mail du responsable légal (facultatif)"), validators=[
        Optional(), Email(_l("Cette adresse e-mail n'est pas valide.")), Length(max=254)])
    qpv_resident = SelectField(_l("Habite dans un quartier prioritaire (QPV)"),
                               choices=QPV_CHOICES)
    version = HiddenField()

    def service_data(self) -> dict[str, object]:
        return {
            "last_name": " ".join(self.last_name.data.split()),
            "first_name": " ".join(self.first_name.data.split()),
            "birth_date": self.birth_date.data,
            "class_name": " ".join(self.class_name.data.split()),
            "level": Level(self.level.data),
            "gender": Gender(self.gender.data) if self.gender.data else None,
            "guardian_email": (self.guardian_email.data or "").strip().lower() or None,
            "qpv_resident": {"oui": True, "non": False}.get(self.qpv_resident.data),
        }


class ConsentForm(FlaskForm):
    consent_on = DateField(_l("Date du consentement"), default=clock.today, validators=[
        DataRequired(_l("Indiquez la date du consentement."))])
    method = SelectField(_l("Comment le responsable légal a-t-il donné son accord ?"),
                         choices=CONSENT_CHOICES)


class WithdrawConsentForm(FlaskForm):
    reason = StringField(_l("Motif (facultatif)"), validators=[Optional(), Length(max=500)])


class TeacherValidationForm(FlaskForm):
    teacher_id = IntegerField(validators=[DataRequired()])
