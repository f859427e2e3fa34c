"""Host structures: sign-up, joining, members, Charter commitment, validation by the steering
group, and the API tokens of partner organisations."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.identifiers import is_valid_siret, normalise_siret
from stagebourse.models import (
    ApiToken,
    CharterStatus,
    Commune,
    Company,
    CompanyKind,
    CompanyState,
    JoinRequest,
    Role,
    User,
    utcnow,
)
from stagebourse.services import ServiceError, journal, outreach, throttle
from stagebourse.services.accounts import (
    check_password_length,
    email_taken,
    hash_password,
    tell_owner_of_sign_up_attempt,
)
from stagebourse.services.csv_input import normalise_name, read_csv
from stagebourse.services.files import private_files_dir, write_private
from stagebourse.services.journal import Event
from stagebourse.services.notifications import public_url, queue_email
from stagebourse.services.policy import Action, require
from stagebourse.transactions import side_write

INVITATION_MAX_AGE_SECONDS = 7 * 24 * 3600
EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
# Accepted evidence files, recognised by their first bytes (never by the name the user gave).
EVIDENCE_SIGNATURES = {
    "pdf": b"%PDF-",
    "png": b"\x89PNG\r\n\x1a\n",
    "jpg": b"\xff\xd8\xff",
}
SIGNATORIES_MAX_ROWS = 20000


class DuplicateSiret(ServiceError):
    """The SIRET is already registered: the view offers to ask to join that structure."""

    def __init__(self, company: Company) -> None:
        self.company = company
        super().__init__(
            _l("Cette structure (SIRET %(siret)s) est déjà inscrite. Vous pouvez demander à "
               "ses membres de vous inviter : ils recevront un e-mail.", siret=company.siret)
        )


# Sign-up ----------------------------------------------------------------------------------

def siret_error(value: str) -> str | None:
    """The French message for a wrong SIRET, or None if it is valid."""
    digits = normalise_siret(value or "")
    if not re.fullmatch(r"\d{14}", digits):
        return str(_l("Un SIRET compte 14 chiffres (les espaces sont acceptés). Vous le trouvez "
                      "sur un bulletin de paie, un extrait Kbis ou sur "
                      "annuaire-entreprises.data.gouv.fr."))
    if not is_valid_siret(digits):
        return str(_l("Ce SIRET n'existe pas : sa clé de contrôle est fausse. Vérifiez chaque "
                      "chiffre (une faute de frappe suffit)."))
    return None


def _commune(code: str | None) -> Commune:
    commune = db.session.get(Commune, code) if code else None
    if commune is None:
        raise ServiceError(_l("Choisissez la commune dans la liste."))
    return commune


def sign_up_company(data: dict[str, Any]) -> User | None:
    """Create the structure (pending validation) and its first member, who is mailed a link
    to sign in; returns the member.

    An address that already has an account creates nothing and mails its owner instead
    (None): the caller answers as for a new structure, so sign-up reveals no account. (A
    registered SIRET is said: the register of structures is public anyway.)
    """
    error = siret_error(data["siret"])
    if error:
        raise ServiceError(error)
    siret = normalise_siret(data["siret"])
    existing = db.session.scalar(select(Company).where(Company.siret == siret))
    if existing is not None:
        raise DuplicateSiret(existing)
    email = data["email"].strip().lower()
    check_password_length(data["password"])
    _commune(data.get("commune_code"))
    if email_taken(email):
        hash_password(data["password"])  # the same argon2 work as a new account
        tell_owner_of_sign_up_attempt(email)
        return None
    commune = _commune(data.get("commune_code"))
    company = Company(
        siret=siret, name=data["name"].strip(), kind=CompanyKind(data["kind"]),
        address=data["address"].strip(), postcode=data["postcode"].strip(),
        commune=commune, contact_name=data["contact_name"].strip(),
        contact_email=(data.get("contact_email") or email).strip().lower(),
        contact_phone=(data.get("contact_phone") or "").strip() or None,
        state=CompanyState.PENDING, charter_status=CharterStatus.NONE,
    )
    user = User(role=Role.COMPANY, email=email, display_name=data["display_name"].strip(),
                password_hash=hash_password(data["password"]), company=company)
    db.session.add_all([company, user])
    db.session.flush()
    journal.record(user, Event.COMPANY_SIGN_UP, company, siret=siret, name=company.name)
    queue_email(email, "company_signed_up", key=f"company-signed-up:{user.id}",
                reason=_l("vous avez inscrit votre structure sur la bourse de stages."),
                user=user, company=company, sign_in_url=public_url("auth.sign_in"))
    outreach.note_registered(company, data.get("invitation"))
    _tell_steering(company)
    db.session.flush()
    return user


def _tell_steering(company: Company) -> None:
    """Each steering member hears of a new structure to validate."""
    for member in db.session.scalars(select(User).where(User.role == Role.STEERING,
                                                        User.is_active.is_(True))):
        queue_email(
            member.email or "", "company_to_validate",
            key=f"company-to-validate:{company.id}:{member.id}",
            reason=_l("vous faites partie du groupe de pilotage de la bourse de stages."),
            company=company, review_url=public_url("steering.company_view",
                                                   company_id=company.id),
        )


class JoinRequestsCapped(ServiceError):
    pass


def request_to_join(company: Company, name: str, email: str, message: str | None,
                    client_ip: str = "unknown") -> JoinRequest:
    """Keep a request to join the structure, for its members to read on their members' page.

    Anyone may ask, without an account: so the members' mail carries none of the requester's
    words (no name, no message: the service must not relay a stranger's text), only that a
    request waits, at most once a day per member. Requests are capped per client address and
    per structure each day.
    """
    config = current_app.config
    if not throttle.take(throttle.address_key("join", client_ip),
                         int(config["JOIN_REQUESTS_PER_ADDRESS_PER_DAY"])):
        raise JoinRequestsCapped(_l("Vous avez déjà envoyé plusieurs demandes aujourd'hui. "
                                    "Réessayez demain, ou contactez directement la structure."))
    if not throttle.take(f"join:company:{company.id}",
                         int(config["JOIN_REQUESTS_PER_COMPANY_PER_DAY"])):
        raise JoinRequestsCapped(_l("Cette structure a reçu beaucoup de demandes aujourd'hui. "
                                    "Réessayez demain, ou contactez-la directement."))
    email = email.strip().lower()
    request = JoinRequest(company=company, name=name.strip()[:200], email=email[:254],
                          message=(message or "").strip() or None)
    db.session.add(request)
    members = [m for m in company.members if m.is_active and m.email]
    for member in members:
        queue_email(
            member.email or "", "company_join_request",
            # One mail a day per member, however many requests arrive.
            key=f"company-join:{company.id}:{member.id}:{clock.today().isoformat()}",
            reason=_l("vous êtes membre de la structure %(name)s sur la bourse de stages.",
                      name=company.name),
            company=company, member=member, members_url=public_url("company.members"),
        )
    journal.record(None, Event.COMPANY_JOIN_REQUESTED, company, email=email, notified=len(members))
    db.session.flush()
    return request


JOIN_REQUESTS_SHOWN_DAYS = 30


def join_requests(actor: User) -> list[JoinRequest]:
    """The recent requests to join the actor's structure from people without an account."""
    require(actor, Action.COMPANY_MEMBERS)
    since = utcnow() - dt.timedelta(days=JOIN_REQUESTS_SHOWN_DAYS)
    rows = db.session.scalars(select(JoinRequest).where(
        JoinRequest.company_id == actor.company_id, JoinRequest.created_at >= since,
    ).order_by(JoinRequest.created_at.desc(), JoinRequest.id.desc()))
    return [row for row in rows if not email_taken(row.email)]


# Members and invitations ------------------------------------------------------------------

def _invitation_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="company-invitation")


def invite_member(actor: User, email: str) -> str:
    """Send a signed invitation link (valid 7 days); returns the token (for tests)."""
    require(actor, Action.COMPANY_MEMBERS)
    company = actor.company
    assert company is not None
    email = email.strip().lower()
    if email_taken(email):
        raise ServiceError(_l("Un compte existe déjà avec cette adresse : une personne ne peut "
                              "être membre que d'une structure. Choisissez une autre adresse."))
    token = _invitation_serializer().dumps({"c": company.id, "e": email})
    queue_email(
        email, "company_invitation", key=f"company-invite:{company.id}:{email}:{token[-16:]}",
        reason=_l("%(who)s vous invite à rejoindre %(name)s sur la bourse de stages.",
                  who=actor.display_name, name=company.name),
        company=company, inviter=actor, days=INVITATION_MAX_AGE_SECONDS // 86400,
        accept_url=public_url("auth.company_invitation", token=token),
    )
    journal.record(actor, Event.COMPANY_MEMBER_INVITED, company, email=email)
    db.session.flush()
    return token


@dataclass
class Invitation:
    company: Company
    email: str


def read_invitation(token: str) -> Invitation:
    bad = ServiceError(_l("Ce lien d'invitation n'est plus valable (trop ancien ou déjà "
                          "utilisé). Demandez à un membre de la structure de vous réinviter."))
    try:
        data = _invitation_serializer().loads(token, max_age=INVITATION_MAX_AGE_SECONDS)
    except (SignatureExpired, BadSignature):
        raise bad from None
    company = db.session.get(Company, data.get("c"))
    email = str(data.get("e") or "")
    if company is None or not email or email_taken(email):
        raise bad
    return Invitation(company, email)


def accept_invitation(token: str, display_name: str, password: str) -> User:
    invitation = read_invitation(token)
    check_password_length(password)
    user = User(role=Role.COMPANY, email=invitation.email, display_name=display_name.strip(),
                password_hash=hash_password(password), company=invitation.company)
    db.session.add(user)
    db.session.flush()
    journal.record(user, Event.COMPANY_MEMBER_JOINED, invitation.company, email=invitation.email)
    db.session.flush()
    return user


# Charter commitment -----------------------------------------------------------------------

def evidence_dir() -> Path:
    """Outside the static folder: evidence is only served by routes that check access."""
    return private_files_dir("charter_evidence")


def _evidence_kind(data: bytes) -> str | None:
    for kind, signature in EVIDENCE_SIGNATURES.items():
        if data.startswith(signature):
            return kind
    return None


def declare_charter(actor: User, signed_on: dt.date, evidence_url: str | None,
                    evidence_file: bytes | None) -> Company:
    require(actor, Action.COMPANY_MEMBERS)
    company = actor.company
    assert company is not None
    if signed_on > clock.today():
        raise ServiceError(_l("La date de signature est dans le futur : indiquez la date à "
                              "laquelle la Charte a été signée."))
    url = (evidence_url or "").strip() or None
    if url and not re.match(r"^https?://[^\s]+\.[^\s]+", url):
        raise ServiceError(_l("Le lien doit être une adresse web complète, commençant par "
                              "https:// (par exemple la page de la liste des signataires)."))
    if not url and not evidence_file:
        raise ServiceError(_l("Joignez une preuve : le lien vers la liste publique des "
                              "signataires, ou un fichier (PDF, PNG ou JPEG)."))
    stored: str | None = None
    if evidence_file:
        if len(evidence_file) > EVIDENCE_MAX_BYTES:
            raise ServiceError(_l("Le fichier dépasse 5 Mo : envoyez une version plus légère "
                                  "ou le lien vers la liste publique."))
        kind = _evidence_kind(evidence_file)
        if kind is None:
            raise ServiceError(_l("Ce fichier n'est ni un PDF, ni une image PNG ou JPEG. "
                                  "Envoyez la preuve dans l'un de ces formats."))
        folder = evidence_dir()
        stored = f"{company.id}-{secrets.token_hex(16)}.{kind}"
        write_private(folder / stored, evidence_file)
        old = company.charter_evidence_file
        if old:
            (folder / old).unlink(missing_ok=True)
    company.charter_signed_on = signed_on
    company.charter_evidence_url = url
    if stored:  # a declaration with a link only keeps the file sent before, if any
        company.charter_evidence_file = stored
    if company.charter_status != CharterStatus.VERIFIED:
        company.charter_status = CharterStatus.DECLARED
    journal.record(actor, Event.COMPANY_CHARTER_DECLARED, company, signed_on=signed_on.isoformat(),
                   url=url, file=bool(stored))
    db.session.flush()
    return company


def evidence_path(company: Company) -> Path | None:
    name = company.charter_evidence_file
    if not name or not re.fullmatch(r"\d+-[0-9a-f]{32}\.(pdf|png|jpg)", name):
        return None
    path = evidence_dir() / name
    return path if path.is_file() else None


# Validation by the steering group ---------------------------------------------------------

def pending_companies() -> list[Company]:
    return list(db.session.scalars(
        select(Company).where(Company.state == CompanyState.PENDING).order_by(Company.created_at)
    ))


def list_companies(actor: User, state: str | None = None, q: str | None = None
                   ) -> list[Company]:
    require(actor, Action.STEER_COMPANIES)
    query = select(Company).order_by(Company.name)
    if state:
        query = query.where(Company.state == CompanyState(state))
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(func.lower(Company.name).like(like) | Company.siret.like(like))
    return list(db.session.scalars(query))


def _inform(company: Company, decision: str) -> None:
    recipients = {m.email for m in company.members if m.email and m.is_active}
    recipients.add(company.contact_email)
    for recipient in sorted(recipients):
        queue_email(
            recipient, "company_decision",
            key=f"company-decision:{company.id}:{decision}:{recipient}:{utcnow().isoformat()}",
            reason=_l("vous avez inscrit %(name)s sur la bourse de stages.", name=company.name),
            company=company, decision=decision, home_url=public_url("company.home"),
        )


def approve_company(actor: User, company: Company) -> None:
    require(actor, Action.STEER_COMPANIES, company)
    if company.state == CompanyState.VALIDATED:
        raise ServiceError(_l("Cette structure est déjà validée."))
    company.state = CompanyState.VALIDATED
    company.state_reason = None
    company.validated_at = utcnow()
    journal.record(actor, Event.COMPANY_APPROVED, company)
    _inform(company, "approved")
    db.session.flush()


def reject_company(actor: User, company: Company, reason: str) -> None:
    require(actor, Action.STEER_COMPANIES, company)
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ServiceError(_l("Indiquez la raison du refus : la structure la recevra par "
                              "e-mail et pourra corriger son inscription."))
    company.state = CompanyState.REJECTED
    company.state_reason = reason
    company.validated_at = None
    journal.record(actor, Event.COMPANY_REJECTED, company, reason=reason)
    _inform(company, "rejected")
    db.session.flush()


def verify_charter(actor: User, company: Company) -> None:
    """The steering group checked the signature (evidence, or the Charte's published list):
    with ``CHARTER_GATE`` on, this is what lets the structure's offers reach pupils."""
    require(actor, Action.STEER_COMPANIES, company)
    if company.charter_status == CharterStatus.VERIFIED:
        raise ServiceError(_l("La signature de la Charte de cette structure est déjà vérifiée."))
    company.charter_status = CharterStatus.VERIFIED
    journal.record(actor, Event.COMPANY_CHARTER_VERIFIED, company)
    db.session.flush()


def charter_gate_blocks(company: Company) -> bool:
    """True when the structure's offers stay hidden from pupils for want of a verified
    Charter signature (whatever its validation state)."""
    return (bool(current_app.config.get("CHARTER_GATE", True))
            and company.charter_status != CharterStatus.VERIFIED)


@dataclass
class SignatoryMatch:
    line: int
    company: Company
    matched_on: str  # "siret" or "nom"
    already: bool


@dataclass
class SignatoriesReport:
    rows: int = 0
    matches: list[SignatoryMatch] = field(default_factory=list)
    unmatched: int = 0
    prospects: outreach.ProspectsReport | None = None


EMAIL_COLUMNS = ("email", "courriel", "e_mail", "mail")


def import_charter_signatories(actor: User, data: bytes) -> SignatoriesReport:
    """Flag as ``verified`` every registered structure found in the signatories' list.

    Columns: ``siret`` and/or ``nom`` (the list published by the Charte's office may carry
    only names). A SIRET match wins; otherwise the normalised name must match exactly.
    The rows that match no registered structure become prospects (:mod:`outreach`), with
    the contact address of an ``email`` (or ``courriel``) column when there is one.
    """
    require(actor, Action.STEER_COMPANIES)
    table = read_csv(data, required=[],
                     optional=["siret", "nom", "raison_sociale", *EMAIL_COLUMNS],
                     max_rows=SIGNATORIES_MAX_ROWS)
    if not ({"siret", "nom", "raison_sociale"} & set(table.header)):
        raise ServiceError(_l("Le fichier doit avoir une colonne « siret » ou « nom » (ou les "
                              "deux) sur sa première ligne."))
    companies = list(db.session.scalars(select(Company)))
    by_siret = {c.siret: c for c in companies}
    by_name: dict[str, Company] = {}
    for registered in companies:
        by_name.setdefault(normalise_name(registered.name), registered)
    report = SignatoriesReport(rows=len(table.rows))
    seen: set[int] = set()
    unmatched: list[outreach.SignatoryRow] = []
    for line, values in table.rows:
        siret = normalise_siret(values.get("siret", ""))
        name = normalise_name(values.get("nom") or values.get("raison_sociale") or "")
        company: Company | None = None
        how = ""
        if siret and siret in by_siret:
            company, how = by_siret[siret], "siret"
        elif name and name in by_name:
            company, how = by_name[name], "nom"
        if company is None:
            report.unmatched += 1
            email = next((values.get(c, "").strip().lower() for c in EMAIL_COLUMNS
                          if values.get(c, "").strip()), "")
            unmatched.append(outreach.SignatoryRow(
                line, (values.get("nom") or values.get("raison_sociale") or "").strip(),
                siret if is_valid_siret(siret) else "",
                email if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email) else ""))
            continue
        if company.id in seen:
            continue
        seen.add(company.id)
        already = company.charter_status == CharterStatus.VERIFIED
        company.charter_status = CharterStatus.VERIFIED
        report.matches.append(SignatoryMatch(line, company, how, already))
    report.prospects = outreach.record_prospects(actor, unmatched)
    journal.record(actor, Event.COMPANY_CHARTER_LIST_IMPORTED, None, rows=report.rows,
                   matched=len(report.matches), unmatched=report.unmatched,
                   new_prospects=report.prospects.new)
    db.session.flush()
    return report


# API tokens -------------------------------------------------------------------------------

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(actor: User, company: Company, label: str,
                     expires_on: dt.date | None) -> str:
    """Returns the clear token: shown once, only its sha256 is stored."""
    require(actor, Action.STEER_COMPANIES, company)
    if expires_on is not None and expires_on <= clock.today():
        raise ServiceError(_l("La date d'expiration doit être dans le futur."))
    if company.state != CompanyState.VALIDATED:
        raise ServiceError(_l("Validez d'abord la structure : un jeton ne sert qu'à une "
                              "structure validée."))
    clear = "sb_" + secrets.token_urlsafe(32)
    expires_at = None
    if expires_on is not None:
        expires_at = dt.datetime.combine(expires_on, dt.time(23, 59, 59), tzinfo=dt.UTC)
    token = ApiToken(company=company, label=label.strip(), token_hash=hash_token(clear),
                     created_by_id=actor.id, expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    journal.record(actor, Event.API_TOKEN_CREATED, token, company_id=company.id, label=token.label)
    db.session.flush()
    return clear


def revoke_api_token(actor: User, token: ApiToken) -> None:
    require(actor, Action.STEER_COMPANIES, token)
    if token.revoked_at is not None:
        raise ServiceError(_l("Ce jeton est déjà révoqué."))
    token.revoked_at = utcnow()
    journal.record(actor, Event.API_TOKEN_REVOKED, token, company_id=token.company_id)
    db.session.flush()


def list_api_tokens(actor: User) -> list[ApiToken]:
    require(actor, Action.STEER_COMPANIES)
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc())))


class ApiAuthError(Exception):
    def __init__(self, message: str, status: int = 401, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def authenticate_api_token(header: str | None, client_ip: str | None = None) -> ApiToken:
    """``Authorization: Bearer <token>`` → the live token, rate limit consumed.

    Through the web (``client_ip`` given), unknown tokens slow down the client's address
    (services/throttle.py), never the tokens of others."""
    if not header or not header.startswith("Bearer "):
        raise ApiAuthError("Jeton manquant : envoyez l'en-tête « Authorization: Bearer <jeton> ».")
    keys = [throttle.address_key("api-token", client_ip)] if client_ip is not None else []
    try:
        throttle.check(keys)
    except throttle.Throttled as refusal:
        raise ApiAuthError(f"Trop de jetons inconnus depuis cette adresse. Réessayez dans "
                           f"{refusal.wait_seconds} s.", status=429,
                           retry_after=refusal.wait_seconds) from None
    clear = header[len("Bearer "):].strip()
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(clear)))
    now = utcnow()
    if token is None:
        if keys:
            throttle.fail(keys)
        raise ApiAuthError("Jeton inconnu : vérifiez-le, ou demandez-en un au groupe de pilotage.")
    if token.revoked_at is not None:
        raise ApiAuthError("Ce jeton a été révoqué : demandez-en un nouveau au groupe de pilotage.")
    if token.expires_at is not None and token.expires_at <= now:
        raise ApiAuthError("Ce jeton a expiré : demandez-en un nouveau au groupe de pilotage.")
    if token.company.state != CompanyState.VALIDATED:
        raise ApiAuthError("La structure de ce jeton n'est pas validée.", status=403)
    _consume_rate_limit(token, now)
    return token


def _consume_rate_limit(token: ApiToken, now: dt.datetime) -> None:
    """Fixed window of ``API_RATE_WINDOW_SECONDS`` in the database (shared by all workers).

    The increment is one conditional UPDATE, so two concurrent requests cannot both take the
    last slot of a window.
    """
    limit = int(current_app.config.get("API_RATE_LIMIT", 120))
    window = int(current_app.config.get("API_RATE_WINDOW_SECONDS", 60))
    start = token.rate_window_start
    # Apart from the request's transaction: a request that fails later still counts.
    new_window = start is None or now >= start + dt.timedelta(seconds=window)
    with side_write() as session:
        if new_window:
            result = session.execute(update(ApiToken).where(ApiToken.id == token.id).values(
                rate_window_start=now, rate_window_count=1, last_used_at=now))
        else:
            result = session.execute(
                update(ApiToken)
                .where(ApiToken.id == token.id, ApiToken.rate_window_count < limit)
                .values(rate_window_count=ApiToken.rate_window_count + 1, last_used_at=now)
            )
    db.session.expire(token)  # written apart: read it afresh
    if start is None or new_window:
        return
    if result.rowcount == 0:  # type: ignore[attr-defined]
        wait = int((start + dt.timedelta(seconds=window) - now).total_seconds()) + 1
        raise ApiAuthError(f"Trop de requêtes : au plus {limit} par {window} s. "
                           f"Réessayez dans {wait} s.", status=429, retry_after=wait)


# Reading one object -------------------------------------------------------------------------

def get_company(company_id: int) -> Company | None:
    return db.session.get(Company, company_id)


def company_by_siret(siret: str | None) -> Company | None:
    """The structure registered with this SIRET (spaces and dots ignored), else None."""
    return db.session.scalar(
        select(Company).where(Company.siret == normalise_siret(siret or "")))


def get_api_token(token_id: int) -> ApiToken | None:
    return db.session.get(ApiToken, token_id)
