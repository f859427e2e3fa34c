from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, EmailField, URLField
from wtforms.validators import DataRequired, Email, Length, Optional


class CharterForm(FlaskForm):
    signed_on = DateField(_l("Date de signature de la Charte"), validators=[
        DataRequired(_l("Indiquez la date de signature (jj/mm/aaaa)."))])
    evidence_url = URLField(_l("Lien vers la liste publique des signataires"),
                            validators=[Optional(), Length(max=500)])
    evidence_file = FileField(_l("Ou un justificatif (PDF, PNG ou JPEG, 5 Mo au plus)"))


class InviteForm(FlaskForm):
    email = EmailField(_l("Adresse e-mail de la personne à inviter"), validators=[
        DataRequired(_l("Indiquez l'adresse e-mail.")),
        Email(_l("Cette adresse e-mail n'est pas valide (exemple : nom@exemple.fr).")),
        Length(max=254)])
