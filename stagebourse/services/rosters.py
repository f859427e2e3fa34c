"""Class rosters from CSV: decode, sniff, check every row, preview, then import.

Reading is pure (bytes in, a ``RosterPreview`` out) except for one query: the pupils already in
the school, to report duplicates before anything is written. Importing re-reads the same text,
so the preview and the import can never disagree, and nothing is kept between the two steps.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.models import Gender, Level, Pupil, Role, School, User
from stagebourse.services import ServiceError, csv_input, journal
from stagebourse.services.journal import Event
from stagebourse.services.policy import Action, require

# One class is ~30 pupils; a whole school's level is a few hundred. Above this we refuse at once,
# rather than build a preview nobody can read; the message says how to split the file.
MAX_ROWS = 1000

# Canonical column → accepted spellings (compared without accents, case, spaces or punctuation).
COLUMNS: dict[str, tuple[str, ...]] = {
    "nom": ("nom", "nomdefamille", "lastname", "nomeleve"),
    "prenom": ("prenom", "firstname", "prenomeleve"),
    "date_naissance": ("datenaissance", "datedenaissance", "naissance", "nele", "birthdate",
                       "datenais"),
    "classe": ("classe", "class", "division", "div"),
    "genre": ("genre", "sexe", "gender"),
    "email_responsable": ("emailresponsable", "courrielresponsable", "mailresponsable",
                          "emailparent", "guardianemail", "email", "courriel"),
    "qpv": ("qpv", "residentqpv", "residenceqpv", "habiteenqpv"),
}
REQUIRED = ("nom", "prenom", "date_naissance", "classe")
COLUMN_LABELS = {
    "nom": _l("nom"),
    "prenom": _l("prénom"),
    "date_naissance": _l("date de naissance"),
    "classe": _l("classe"),
    "genre": _l("genre"),
    "email_responsable": _l("e-mail du responsable légal"),
    "qpv": _l("habite en QPV"),
}
TEMPLATE_HEADER = ["nom", "prenom", "date_naissance", "classe", "genre", "email_responsable",
                   "qpv"]
TEMPLATE_EXAMPLE = ["Exemple", "Camille", "14/03/2012", "3A", "F", "parent@exemple.fr", "oui"]

_GENDERS = {
    "f": Gender.FEMALE, "fille": Gender.FEMALE, "feminin": Gender.FEMALE, "femme": Gender.FEMALE,
    "m": Gender.MALE, "g": Gender.MALE, "garcon": Gender.MALE, "masculin": Gender.MALE,
    "homme": Gender.MALE, "x": Gender.OTHER, "autre": Gender.OTHER, "nonbinaire": Gender.OTHER,
}
_BOOLEANS = {"oui": True, "o": True, "1": True, "vrai": True, "yes": True, "x": True,
             "non": False, "n": False, "0": False, "faux": False, "no": False}
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CLASS_RE = re.compile(r"^[\w][\w .'/-]{0,39}$")


# Headers and values are compared without accents, case, spaces or punctuation.
_key = csv_input.compact_key


def person_key(last_name: str, first_name: str, birth_date: dt.date) -> tuple[str, str, dt.date]:
    return _key(last_name), _key(first_name), birth_date


@dataclass
class RowProblem:
    line: int
    column: str  # a label shown to the teacher
    message: str  # what is wrong and how to fix it


@dataclass
class RosterRow:
    line: int
    last_name: str
    first_name: str
    birth_date: dt.date | None
    class_name: str
    gender: Gender | None = None
    guardian_email: str | None = None
    qpv_resident: bool | None = None
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass
class RosterPreview:
    text: str  # the decoded file, UTF-8: sent back with the import button
    delimiter: str
    encoding_note: str | None
    rows: list[RosterRow]
    ignored_columns: list[str]

    @property
    def valid_rows(self) -> list[RosterRow]:
        return [row for row in self.rows if row.valid]

    @property
    def problems(self) -> list[RowProblem]:
        return [problem for row in self.rows for problem in row.problems]


# Reading ---------------------------------------------------------------------------------

LEGACY_ENCODING_NOTE = _l(
    "Le fichier n'était pas en UTF-8 : il a été lu comme un CSV Windows (Windows-1252, "
    "ce qu'Excel produit par défaut). Vérifiez les accents dans l'aperçu ci-dessous ; s'ils "
    "sont faux, enregistrez le fichier en « CSV UTF-8 » et envoyez-le de nouveau.")


def decode(data: bytes) -> tuple[str, str | None]:
    """The rosters' policy: a Windows-1252 file (Excel's "CSV" on Windows) is read, with a
    note asking to check the accents; UTF-16 and spreadsheets are refused (csv_input.decode)."""
    decoded = csv_input.decode(data)
    return decoded.text, str(LEGACY_ENCODING_NOTE) if decoded.legacy else None


def sniff_delimiter(header_line: str) -> str:
    delimiter = csv_input.sniff_delimiter(header_line)
    if delimiter is None:
        raise ServiceError(_l(
            "La première ligne ne contient qu'une colonne : les colonnes doivent être séparées "
            "par des points-virgules (;) ou des virgules (,). Enregistrez le fichier au format "
            "CSV depuis votre tableur, ou partez du modèle à télécharger."))
    return delimiter


def _map_header(header: list[str]) -> tuple[dict[str, int], list[str]]:
    wanted = {spelling: canonical for canonical, spellings in COLUMNS.items()
              for spelling in spellings}
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, name in enumerate(header):
        canonical = wanted.get(_key(name))
        if canonical and canonical not in positions:
            positions[canonical] = index
        elif name.strip():
            ignored.append(name.strip())
    missing = [c for c in REQUIRED if c not in positions]
    if missing:
        names = ", ".join(f"« {c} » ({COLUMN_LABELS[c]})" for c in missing)
        found = ", ".join(f"« {h.strip()} »" for h in header if h.strip()) or "—"
        raise ServiceError(_l(
            "Colonne(s) manquante(s) : %(missing)s. Colonnes trouvées : %(found)s. La première "
            "ligne doit nommer les colonnes comme dans le modèle à télécharger.",
            missing=names, found=found))
    return positions, ignored


def parse_date(value: str) -> dt.date:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def read_roster(data: bytes | str, school: School, *, today: dt.date | None = None
                ) -> RosterPreview:
    """Check a roster file without writing anything; every problem names its line."""
    today = today or clock.today()
    # The text sent back with the import button is bounded like the file (its UTF-8 size).
    csv_input.check_size(len(data) if isinstance(data, bytes) else len(data.encode()))
    if isinstance(data, bytes):
        text, note = decode(data)
    else:
        text, note = data.lstrip("\ufeff"), None
    if not text.strip():
        raise ServiceError(_l("Le fichier est vide. Partez du modèle à télécharger."))
    limit = max_rows()
    header_line, _newline, body = text.partition("\n")
    # Blank trailing lines are common; more data lines than the limit is refused up front,
    # counted on the lines (cheap) before any record is built.
    try:
        csv_input.check_row_limit(
            sum(1 for line in body.splitlines() if line.strip()), limit)
    except csv_input.TooManyRows as error:
        raise _too_many_rows(error.count, error.limit) from None
    delimiter = sniff_delimiter(header_line)
    try:
        # A quoted field may span lines, so the records are bounded too.
        table = csv_input.read_table(text, delimiter, limit)
    except csv_input.TooManyRows as error:
        raise _too_many_rows(error.count, error.limit) from None
    except csv_input.CsvSyntaxError as error:
        if error.line <= 1:
            raise ServiceError(_l("La première ligne du fichier est illisible.")) from None
        raise ServiceError(_l(
            "Ligne %(line)s illisible (%(error)s) : vérifiez les guillemets de cette ligne.",
            line=error.line, error=error.error)) from None
    positions, ignored = _map_header(table.header)
    existing = _existing_pupils(school)
    seen: dict[tuple[str, str, dt.date], int] = {}
    rows = [_read_row(line, cells, positions, today, seen, existing)
            for _number, line, cells in table.rows]
    if not rows:
        raise ServiceError(_l("Le fichier ne contient aucune ligne d'élève sous l'en-tête."))
    return RosterPreview(text, delimiter, note, rows, ignored)


def max_rows() -> int:
    """``MAX_ROWS``, or ``IMPORT_MAX_ROWS`` when the operator set it lower."""
    return csv_input.max_rows(MAX_ROWS)


def _too_many_rows(count: int | None, limit: int) -> ServiceError:
    if count is None:
        return ServiceError(_l(
            "Le fichier contient plus de %(max)s lignes d'élèves ; la limite est de %(max)s par "
            "fichier. Importez une classe (ou quelques classes) à la fois.", max=limit))
    return ServiceError(_l(
        "Le fichier contient %(count)s lignes d'élèves ; la limite est de %(max)s par "
        "fichier. Importez une classe (ou quelques classes) à la fois.",
        count=count, max=limit))


def _existing_pupils(school: School) -> dict[tuple[str, str, dt.date], str]:
    found = db.session.execute(
        select(Pupil.last_name, Pupil.first_name, Pupil.birth_date, Pupil.class_name)
        .where(Pupil.school_id == school.id)
    ).all()
    return {person_key(last, first, born): class_name for last, first, born, class_name in found}


def _read_row(
    line: int, cells: list[str], positions: dict[str, int], today: dt.date,
    seen: dict[tuple[str, str, dt.date], int], existing: dict[tuple[str, str, dt.date], str],
) -> RosterRow:
    def cell(name: str) -> str:
        index = positions.get(name)
        if index is None or index >= len(cells):
            return ""
        return " ".join(cells[index].split())

    row = RosterRow(line, cell("nom"), cell("prenom"), None, cell("classe"))

    def problem(column: str, message: object) -> None:
        row.problems.append(RowProblem(line, str(COLUMN_LABELS[column]), str(message)))

    for column, value in (("nom", row.last_name), ("prenom", row.first_name)):
        if not value:
            problem(column, _l("vide : écrivez le %(what)s de l'élève.",
                               what=COLUMN_LABELS[column]))
        elif len(value) > 100:
            problem(column, _l("trop long (100 caractères au plus)."))
    if not row.class_name:
        problem("classe", _l("vide : écrivez la classe, par exemple 3A."))
    elif not _CLASS_RE.match(row.class_name):
        problem("classe", _l("« %(value)s » n'est pas un nom de classe valide (lettres, chiffres, "
                             "espaces, 40 caractères au plus ; exemple : 3A).",
                             value=row.class_name))
    raw_date = cell("date_naissance")
    try:
        row.birth_date = parse_date(raw_date)
    except ValueError:
        problem("date_naissance", _l(
            "« %(value)s » n'est pas une date : écrivez-la jour/mois/année, par exemple "
            "14/03/2012.", value=raw_date))
    else:
        age = today.year - row.birth_date.year
        if not 9 <= age <= 21:
            problem("date_naissance", _l(
                "« %(value)s » donne un âge de %(age)s ans : vérifiez l'année de naissance.",
                value=raw_date, age=age))
    gender = cell("genre")
    if gender:
        row.gender = _GENDERS.get(_key(gender))
        if row.gender is None:
            problem("genre", _l("« %(value)s » n'est pas reconnu : écrivez F, M ou X (autre), "
                                "ou laissez la case vide.", value=gender))
    email = cell("email_responsable")
    if email:
        if not _EMAIL_RE.match(email) or len(email) > 254:
            problem("email_responsable", _l(
                "« %(value)s » n'est pas une adresse e-mail valide (exemple : "
                "parent@exemple.fr) ; laissez la case vide si vous ne l'avez pas.", value=email))
        else:
            row.guardian_email = email.lower()
    qpv = cell("qpv")
    if qpv:
        if _key(qpv) not in _BOOLEANS:
            problem("qpv", _l("« %(value)s » n'est pas reconnu : écrivez oui ou non, ou laissez "
                              "la case vide.", value=qpv))
        else:
            row.qpv_resident = _BOOLEANS[_key(qpv)]
    if row.birth_date and row.last_name and row.first_name:
        key = person_key(row.last_name, row.first_name, row.birth_date)
        if key in seen:
            problem("nom", _l("doublon de la ligne %(other)s (même nom, prénom et date de "
                              "naissance) : supprimez l'une des deux lignes.", other=seen[key]))
        elif key in existing:
            problem("nom", _l("cet élève est déjà inscrit dans l'établissement (classe "
                              "%(class_name)s) : supprimez la ligne.", class_name=existing[key]))
        else:
            seen[key] = line
    return row


# Writing ---------------------------------------------------------------------------------

def import_roster(actor: User, text: str, level: Level, *, only_valid: bool) -> list[Pupil]:
    """Create the pupils of a checked roster. All or nothing unless ``only_valid``."""
    require(actor, Action.SCHOOL_PUPILS)
    school = teacher_school(actor)
    preview = read_roster(text, school)
    if preview.problems and not only_valid:
        raise ServiceError(_l(
            "Le fichier contient %(count)s erreur(s) : corrigez-les et envoyez-le de nouveau, "
            "ou choisissez d'importer seulement les lignes valides.",
            count=len(preview.problems)))
    rows = preview.valid_rows
    if not rows:
        raise ServiceError(_l("Aucune ligne valide à importer : corrigez le fichier."))
    pupils = []
    for row in rows:
        assert row.birth_date is not None
        pupil = Pupil(
            school_id=school.id, class_name=row.class_name, level=level,
            last_name=row.last_name, first_name=row.first_name, birth_date=row.birth_date,
            gender=row.gender, guardian_email=row.guardian_email, qpv_resident=row.qpv_resident,
        )
        pupil.user = User(role=Role.PUPIL, display_name=row.first_name, school_id=school.id)
        pupils.append(pupil)
    db.session.add_all(pupils)
    db.session.flush()
    journal.record(actor, Event.PUPILS_IMPORTED, school, count=len(pupils),
                   skipped=len(preview.rows) - len(rows),
                   classes=sorted({p.class_name for p in pupils}))
    db.session.flush()
    return pupils


def teacher_school(actor: User) -> School:
    """The school a teacher acts for; refused until the account is validated."""
    require(actor, Action.SCHOOL_PUPILS)
    assert actor.school is not None
    return actor.school


def template_rows() -> tuple[list[str], list[list[str]]]:
    return TEMPLATE_HEADER, [TEMPLATE_EXAMPLE]
