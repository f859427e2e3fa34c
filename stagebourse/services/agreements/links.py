"""Personal signing links: one signed, expiring token per party, sent by e-mail."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from stagebourse.extensions import db
from stagebourse.models import (
    Agreement,
    AgreementState,
    Party,
    Role,
    User,
    utcnow,
)
from stagebourse.services import ServiceError, journal
from stagebourse.services.agreements.content import PARTY_LABELS, PARTY_NAMES, missing_fields
from stagebourse.services.agreements.parties import (
    _check_signable,
    _reason,
    missing_parties,
    party_email,
)
from stagebourse.services.journal import Event
from stagebourse.services.notifications import public_url, queue_email
from stagebourse.services.policy import Action, require

DEFAULT_LINK_DAYS = 30


_SALT = "agreement-signature"


class AgreementLinkError(ServiceError):
    """The personal link cannot be used; ``status`` is the HTTP status to answer."""

    status = 400


class AgreementLinkExpired(AgreementLinkError):
    status = 410


class WrongPerson(AgreementLinkError):
    status = 403


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def link_days() -> int:
    return int(current_app.config.get("AGREEMENT_LINK_DAYS", DEFAULT_LINK_DAYS))


def _address_tag(address: str | None) -> str:
    return hashlib.sha256((address or "").lower().encode()).hexdigest()[:16]


def make_token(agreement: Agreement, party: Party) -> str:
    return str(_serializer().dumps({"a": agreement.id, "p": party.value,
                                    "m": _address_tag(party_email(agreement, party))}))


def signature_link(agreement: Agreement, party: Party) -> str:
    return public_url("agreement_sign.sign", token=make_token(agreement, party))


def send_for_signature(actor: User, agreement: Agreement) -> int:
    """The school sends the reviewed draft to the four parties. Returns the mails queued."""
    require(actor, Action.SCHOOL_AGREEMENTS, agreement)
    if agreement.state != AgreementState.DRAFT:
        raise ServiceError(_l("Cette convention a déjà été envoyée pour signature."))
    missing = missing_fields(agreement.content)
    if missing:
        raise ServiceError(_l(
            "Il manque encore %(missing)s. Complétez les paramètres des conventions "
            "(établissement) ou demandez à la structure de compléter sa partie, puis envoyez.",
            missing=", ".join(str(field) for field in missing)))
    agreement.state = AgreementState.TO_SIGN
    agreement.sent_at = utcnow()
    sent = _send_links(agreement, kind="request")
    journal.record(actor, Event.AGREEMENT_SEND, agreement, version=agreement.version, mails=sent)
    db.session.flush()
    return sent


def _send_links(agreement: Agreement, kind: str, key_suffix: str = "",
                only: list[Party] | None = None) -> int:
    sent = 0
    for party in missing_parties(agreement):
        if only is not None and party not in only:
            continue
        address = party_email(agreement, party)
        if not address:
            continue
        message = queue_email(
            address, "agreement_sign" if kind == "request" else "agreement_reminder",
            key=f"agreement:{kind}:{agreement.id}:v{agreement.version}:{party.value}{key_suffix}",
            reason=_reason(party), agreement=agreement, content=agreement.content,
            party=party, party_label=PARTY_LABELS[party],
            link=signature_link(agreement, party), link_days=link_days())
        # An existing key returns the message already queued (flushed, so it has an id).
        sent += message.id is None
    return sent


def read_token(token: str, viewer: User | None = None) -> tuple[Agreement, Party]:
    """The agreement and party a link was made for, or a clear refusal in French."""
    try:
        data = _serializer().loads(token, max_age=link_days() * 86400)
    except SignatureExpired:
        raise AgreementLinkExpired(
            _l("Ce lien de signature a expiré. Demandez un nouveau lien au professeur référent de "
               "l'élève : il peut vous le renvoyer en un clic.")) from None
    except BadSignature:
        raise AgreementLinkError(
            _l("Ce lien n'est pas valide : il a peut-être été coupé ou modifié. Ouvrez le lien "
               "complet reçu par e-mail (copiez-le en entier dans la barre d'adresse).")) from None
    agreement = db.session.get(Agreement, data.get("a")) if isinstance(data, dict) else None
    try:
        party = Party(data.get("p", "")) if isinstance(data, dict) else None
    except ValueError:
        party = None
    if agreement is None or party is None:
        raise AgreementLinkExpired(_l("Ce lien ne correspond plus à aucune convention."))
    if agreement.state == AgreementState.VOIDED:
        raise AgreementLinkExpired(
            _l("Cette convention a été annulée (l'affectation a changé) : il n'y a plus rien à "
               "signer. Le professeur référent vous enverra la nouvelle convention s'il y a lieu."))
    if data.get("m") != _address_tag(party_email(agreement, party)):
        raise WrongPerson(
            _l("Ce lien a été envoyé à une adresse qui n'est plus celle de la partie signataire "
               "(la convention a été corrigée). Utilisez le lien envoyé à la nouvelle adresse."))
    check_viewer(agreement, party, viewer)
    return agreement, party


def check_viewer(agreement: Agreement, party: Party, viewer: User | None) -> None:
    """Someone signed in as another person must not sign in this party's name."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return
    if viewer.role == Role.PUPIL:
        own = party == Party.PUPIL and viewer.pupil_id == agreement.assignment.pupil_id
    elif viewer.role == Role.COMPANY:
        own = party == Party.HOST and viewer.company_id == agreement.company_id
    elif viewer.role == Role.TUTOR:
        own = (party == Party.HOST and viewer.tutor is not None
               and viewer.tutor.company_id == agreement.company_id)
    elif viewer.role == Role.TEACHER:
        own = party == Party.SCHOOL and viewer.school_id == agreement.school_id
    else:
        own = False
    if not own:
        raise WrongPerson(_l(
            "Ce lien est personnel : il permet à %(party)s de signer, et vous êtes "
            "connecté(e) sous un autre compte. Déconnectez-vous si ce lien vous est bien "
            "destiné ; sinon, chaque partie signe avec le lien reçu à sa propre adresse.",
            party=PARTY_NAMES[party]))


def resend_link(actor: User, agreement: Agreement, party: Party) -> str:
    """The teacher sends a party its link again (after expiry or a lost mail). Commits."""
    require(actor, Action.SCHOOL_AGREEMENTS, agreement)
    _check_signable(agreement, party)
    address = party_email(agreement, party)
    if not address:
        raise ServiceError(_l("Aucune adresse e-mail n'est connue pour cette partie : enregistrez "
                              "sa signature sur papier."))
    queue_email(address, "agreement_sign",
                key=f"agreement:resend:{agreement.id}:{party.value}:{secrets.token_hex(8)}",
                reason=_reason(party), agreement=agreement, content=agreement.content,
                party=party, party_label=PARTY_LABELS[party],
                link=signature_link(agreement, party), link_days=link_days())
    journal.record(actor, Event.AGREEMENT_RESEND, agreement, party=party.value)
    db.session.flush()
    return address

