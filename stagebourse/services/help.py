"""Help for people who met discrimination: the local directory and « Être rappelé·e ».

The directory is data kept in the repository (``seed/help/contacts.csv``, its README says where
each entry comes from), checked on load so that a wrong line is caught with its line and
column named rather than shown to a victim.

A call-back request keeps only what the person typed (a name or pseudonym, a phone and/or an
e-mail, an optional need), goes to the steering group's referent by the outbox, and is deleted
by the retention purge after ``CALLBACK_RETENTION_DAYS``. It is not journaled: a journal row
would keep, for years, that someone asked for help at a given minute. The observatory learns
only a count per calendar month and need (``CallbackCount``), never a row per person and never
anything shared with questionnaire answers.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.models import CallbackCount, CallbackRequest, OutboxMessage
from stagebourse.services import ServiceError, throttle
from stagebourse.services.notifications import queue_email
from stagebourse.services.reference import SEED_DIR

CONTACTS_FILE = SEED_DIR / "help" / "contacts.csv"
COLUMNS = ("who", "for_what", "address", "hours", "phone", "web", "source", "date_checked")
REQUIRED = ("who", "for_what", "source")
# In the order the page shows them: the most urgent first.
NEEDS = {
    "emergency": _l("En danger, tout de suite"),
    "discrimination": _l("Signaler une discrimination"),
    "law": _l("Connaître tes droits, être conseillé·e gratuitement"),
    "listening": _l("Être écouté·e et accompagné·e"),
}
# What a call-back may be about; "" (not said) is always allowed.
TOPICS = {
    "discrimination": _l("Une discrimination (recherche de stage ou stage)"),
    "internship": _l("Un autre problème pendant le stage"),
    "rights": _l("Connaître mes droits, porter plainte"),
    "other": _l("Autre chose"),
}
PHONE = re.compile(r"^\+?[0-9][0-9 .]{0,18}[0-9]$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
MAX_NAME = 60
CALLBACK_TEMPLATE = "help_callback"
THROTTLE_PREFIX = "callback:"


# The directory -----------------------------------------------------------------------------

class DirectoryError(ServiceError):
    """A line of the directory file is wrong: says which line, which column, what to write."""


@dataclass(frozen=True)
class Contact:
    who: str
    need: str
    address: str
    hours: str
    phone: str
    web: str
    source: str
    checked_on: dt.date | None

    @property
    def tel(self) -> str:
        """The number for a ``tel:`` link: digits and a leading ``+`` only."""
        return ("+" if self.phone.startswith("+") else "") + re.sub(r"\D", "", self.phone)


@dataclass(frozen=True)
class NeedGroup:
    code: str
    label: str
    contacts: list[Contact]


def _problem(line: int, column: str, problem: str) -> DirectoryError:
    return DirectoryError(_l("Annuaire d'aide, ligne %(line)s, colonne « %(column)s » : "
                             "%(problem)s", line=line, column=column, problem=problem))


def parse_contacts(text: str) -> list[Contact]:
    """The directory's rows, each checked; the first wrong one raises ``DirectoryError``."""
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    for column in COLUMNS:
        if column not in header:
            raise _problem(1, column, str(_l("colonne absente de la première ligne ; la "
                                             "première ligne doit être : %(columns)s",
                                             columns=",".join(COLUMNS))))
    for column in header:
        if column not in COLUMNS:
            raise _problem(1, column, str(_l("colonne inconnue ; les colonnes sont : "
                                             "%(columns)s", columns=",".join(COLUMNS))))
    contacts = []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise _problem(line, header[min(len(values), len(header)) - 1], str(_l(
                "%(found)s valeurs au lieu de %(expected)s ; mettez entre guillemets une "
                "valeur qui contient une virgule", found=len(values), expected=len(header))))
        row = {name: value.strip() for name, value in zip(header, values, strict=True)}
        contacts.append(_contact(line, row))
    return contacts


def _contact(line: int, row: dict[str, str]) -> Contact:
    for column in REQUIRED:
        if not row[column]:
            raise _problem(line, column, str(_l("valeur obligatoire")))
    if row["for_what"] not in NEEDS:
        raise _problem(line, "for_what", str(_l("« %(value)s » n'est pas un besoin connu ; "
                                                "écrivez l'un de : %(needs)s",
                                                value=row["for_what"], needs=", ".join(NEEDS))))
    if row["phone"] and not PHONE.match(row["phone"]):
        raise _problem(line, "phone", str(_l("« %(value)s » n'est pas un numéro de téléphone "
                                             "(chiffres, espaces, un « + » au début)",
                                             value=row["phone"])))
    if row["web"] and not row["web"].startswith("https://"):
        raise _problem(line, "web", str(_l("l'adresse doit commencer par https://")))
    if not (row["address"] or row["phone"] or row["web"]):
        raise _problem(line, "address", str(_l("indiquez au moins une adresse, un téléphone "
                                               "ou un site")))
    checked_on = None
    if row["date_checked"]:
        try:
            checked_on = dt.date.fromisoformat(row["date_checked"])
        except ValueError:
            raise _problem(line, "date_checked", str(_l(
                "« %(value)s » n'est pas une date AAAA-MM-JJ (laissez vide si l'entrée n'a "
                "pas été vérifiée)", value=row["date_checked"]))) from None
    return Contact(row["who"], row["for_what"], row["address"], row["hours"], row["phone"],
                   row["web"], row["source"], checked_on)


_cache: dict[Path, tuple[float, list[Contact]]] = {}


def load_contacts(path: Path | None = None) -> list[Contact]:
    """The directory file, read again only when it changed."""
    path = path or Path(current_app.config.get("HELP_CONTACTS_FILE") or CONTACTS_FILE)
    mtime = path.stat().st_mtime
    cached = _cache.get(path)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    contacts = parse_contacts(path.read_text(encoding="utf-8-sig"))
    _cache[path] = (mtime, contacts)
    return contacts


def directory(path: Path | None = None) -> list[NeedGroup]:
    """The contacts grouped by need, the most urgent need first, empty needs left out."""
    contacts = load_contacts(path)
    return [NeedGroup(code, str(label), [c for c in contacts if c.need == code])
            for code, label in NEEDS.items() if any(c.need == code for c in contacts)]


# « Être rappelé·e » --------------------------------------------------------------------------

def callbacks_enabled() -> bool:
    return bool(current_app.config.get("HELP_REFERENT_EMAIL"))


@dataclass(frozen=True)
class CallbackInput:
    name: str = ""
    phone: str = ""
    email: str = ""
    topic: str = ""


def _throttle_key(client_ip: str) -> str:
    # The address itself is not kept, only a digest that is enough to count.
    return THROTTLE_PREFIX + hashlib.sha256(client_ip.encode()).hexdigest()[:24]


def _take_rate(key: str) -> None:
    """One more request from this connection, within the quota of the shared throttle."""
    limit = int(current_app.config.get("CALLBACK_RATE_LIMIT", 3))
    window = int(current_app.config.get("CALLBACK_RATE_WINDOW_SECONDS", 3600))
    if not throttle.take(key, limit, window):
        raise ServiceError(_l("Plusieurs demandes de rappel viennent déjà de cette connexion. "
                              "Réessaie plus tard, ou appelle directement le 3928 (ou le 119 "
                              "si tu es en danger)."))


def request_callback(data: CallbackInput, client_ip: str) -> None:
    """Record and send a call-back request; raises ``ServiceError`` with what to fix."""
    referent = current_app.config.get("HELP_REFERENT_EMAIL")
    if not referent:
        raise ServiceError(_l("Le rappel n'est pas encore ouvert. Appelle directement l'un des "
                              "numéros de cette page."))
    name = data.name.strip()
    phone = data.phone.strip()
    email = data.email.strip()
    topic = data.topic.strip()
    if not phone and not email:
        raise ServiceError(_l("Laisse au moins un moyen de te joindre : un numéro de téléphone "
                              "ou une adresse e-mail."))
    if len(name) > MAX_NAME:
        raise ServiceError(_l("Le prénom ou pseudo doit faire au plus %(n)s caractères.",
                              n=MAX_NAME))
    if phone and not (PHONE.match(phone) and 8 <= len(re.sub(r"\D", "", phone)) <= 15):
        raise ServiceError(_l("Ce numéro de téléphone n'est pas valide : écris-le avec des "
                              "chiffres, par exemple 06 12 34 56 78."))
    if email and (len(email) > 254 or not EMAIL.match(email)):
        raise ServiceError(_l("Cette adresse e-mail n'est pas valide : vérifie-la, par "
                              "exemple prenom@exemple.fr."))
    if topic and topic not in TOPICS:
        topic = ""
    _take_rate(_throttle_key(client_ip))
    request = CallbackRequest(name=name or None, phone=phone or None, email=email or None,
                              topic=topic or None)
    db.session.add(request)
    _count(topic)
    db.session.flush()
    queue_email(referent, CALLBACK_TEMPLATE, key=f"help-callback:{request.id}",
                reason=_l("vous êtes la personne référente du groupe de pilotage pour l'aide "
                          "aux victimes."),
                name=name, phone=phone, email=email,
                topic=str(TOPICS[topic]) if topic else "",
                retention_days=current_app.config["CALLBACK_RETENTION_DAYS"])
    db.session.flush()


def _count(topic: str) -> None:
    """One more request this month for this need: a single upsert, so that two requests of
    the month's first minute cannot both insert the row."""
    month = clock.today().strftime("%Y-%m")
    insert = (postgresql_insert if db.session.get_bind().dialect.name == "postgresql"
              else sqlite_insert)
    statement = insert(CallbackCount).values(month=month, topic=topic, count=1)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["month", "topic"], set_={"count": CallbackCount.count + 1}))


@dataclass(frozen=True)
class CallbackTally:
    month: str
    topic: str
    label: str
    count: int


def callback_counts() -> list[CallbackTally]:
    """What the observatory may know: call-backs asked per month and need, newest first."""
    rows = db.session.scalars(select(CallbackCount).order_by(CallbackCount.month.desc(),
                                                             CallbackCount.topic))
    return [CallbackTally(r.month, r.topic,
                          str(TOPICS[r.topic]) if r.topic in TOPICS else str(_l("Non précisé")),
                          r.count) for r in rows]


def _retention_limit(today: dt.date) -> dt.datetime:
    days = int(current_app.config.get("CALLBACK_RETENTION_DAYS", 30))
    return dt.datetime.combine(today - dt.timedelta(days=days), dt.time(), tzinfo=dt.UTC)


def expired_callbacks(today: dt.date) -> int:
    return int(db.session.scalar(select(func.count()).select_from(CallbackRequest).where(
        CallbackRequest.created_at < _retention_limit(today))) or 0)


def purge_callbacks(today: dt.date) -> None:
    """Delete the call-back requests past retention, and the e-mails that carried them."""
    limit = _retention_limit(today)
    db.session.execute(delete(CallbackRequest).where(CallbackRequest.created_at < limit))
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.template == CALLBACK_TEMPLATE,
                                                   OutboxMessage.created_at < limit))
