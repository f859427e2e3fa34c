"""Signing by a one-time code sent to the party's address (limited attempts and rate)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import func, select, update

from stagebourse.extensions import db
from stagebourse.models import (
    PARTIES,
    Agreement,
    AgreementCode,
    AgreementSignature,
    AgreementState,
    Party,
    SignatureMethod,
    User,
    utcnow,
)
from stagebourse.services import ServiceError, journal, throttle
from stagebourse.services.agreements.content import PARTY_LABELS, PARTY_NAMES, content_hash
from stagebourse.services.agreements.links import check_viewer, signature_link
from stagebourse.services.agreements.parties import (
    _check_signable,
    _reason,
    missing_parties,
    party_email,
    party_signer_name,
)
from stagebourse.services.journal import Event
from stagebourse.services.notifications import queue_email
from stagebourse.transactions import side_write

CODE_MINUTES = 15


CODE_MAX_ATTEMPTS = 5


CODES_PER_HOUR = 5


def _code_hash(agreement: Agreement, party: Party, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{agreement.id}:{party.value}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in code or "" if ch.isdigit())


def request_code(agreement: Agreement, party: Party) -> str:
    """Send a new one-time code to the party's address. Returns the address."""
    _check_signable(agreement, party)
    address = party_email(agreement, party)
    if not address:
        raise ServiceError(_l("Aucune adresse e-mail n'est connue pour cette partie : le "
                              "professeur référent peut enregistrer une signature sur papier."))
    now = utcnow()
    recent = db.session.scalar(select(func.count(AgreementCode.id)).where(
        AgreementCode.agreement_id == agreement.id, AgreementCode.party == party,
        AgreementCode.created_at > now - dt.timedelta(hours=1)))
    if (recent or 0) >= CODES_PER_HOUR:
        raise ServiceError(_l("Trop de codes ont été demandés en une heure. Utilisez le dernier "
                              "code reçu, ou réessayez dans une heure."))
    for old in db.session.scalars(select(AgreementCode).where(
            AgreementCode.agreement_id == agreement.id, AgreementCode.party == party,
            AgreementCode.used_at.is_(None), AgreementCode.revoked_at.is_(None))).all():
        old.revoked_at = now
    code = f"{secrets.randbelow(10**6):06d}"
    row = AgreementCode(agreement_id=agreement.id, party=party, version=agreement.version,
                        code_hash=_code_hash(agreement, party, code), sent_to=address,
                        created_at=now, expires_at=now + dt.timedelta(minutes=CODE_MINUTES))
    db.session.add(row)
    db.session.flush()
    queue_email(address, "agreement_code", key=f"agreement:code:{row.id}",
                reason=_reason(party), code=code, minutes=CODE_MINUTES,
                party_label=PARTY_LABELS[party], content=agreement.content)
    journal.record(None, Event.AGREEMENT_CODE, agreement, party=party.value)
    db.session.flush()
    return address


def sign_with_code(agreement: Agreement, party: Party, code: str, signer_name: str | None = None,
                   viewer: User | None = None,
                   read_version: int | None = None,
                   client_ip: str | None = None) -> AgreementSignature:
    """Sign with the one-time code received by mail. Every refusal says why.

    ``read_version`` is the version shown on the page the party signed from: if the document
    changed meanwhile, the party signs nothing it has not read. A code dies after
    ``CODE_MAX_ATTEMPTS`` wrong tries from anywhere. Through the web (``client_ip`` given),
    wrong codes also slow down the client's address (and that address on this signature),
    and both counts survive the refused request, which is rolled back.
    """
    check_viewer(agreement, party, viewer)
    _check_signable(agreement, party)
    keys: list[str] = []
    if client_ip is not None:
        keys = [throttle.address_key("agreement-code", client_ip),
                throttle.target_key("agreement-code", f"{agreement.id}:{party.value}",
                                    client_ip)]
        throttle.check(keys)
    if read_version is not None and read_version != agreement.version:
        raise ServiceError(_l("La convention a été modifiée pendant votre lecture : relisez la "
                              "nouvelle version ci-dessus, puis signez-la."))
    digits = _normalise_code(code)
    if len(digits) != 6:
        raise ServiceError(_l("Le code compte 6 chiffres : recopiez-le tel qu'il figure dans "
                              "l'e-mail reçu."))
    now = utcnow()
    hashed = _code_hash(agreement, party, digits)
    same = db.session.scalar(select(AgreementCode).where(
        AgreementCode.agreement_id == agreement.id, AgreementCode.party == party,
        AgreementCode.code_hash == hashed).order_by(AgreementCode.id.desc()))
    if same is not None and same.used_at is not None:
        raise ServiceError(_l("Ce code a déjà servi : un code ne sert qu'une fois. Demandez un "
                              "nouveau code."))
    owner = None if same is not None else _other_party_of_code(agreement, party, digits)
    current = db.session.scalar(select(AgreementCode).where(
        AgreementCode.agreement_id == agreement.id, AgreementCode.party == party,
        AgreementCode.used_at.is_(None), AgreementCode.revoked_at.is_(None))
        .order_by(AgreementCode.id.desc()))
    if current is None:
        if owner is not None:
            raise ServiceError(_wrong_party_message(owner, party))
        if same is not None:
            raise ServiceError(_l("Ce code n'est plus valable (un code plus récent a été envoyé, "
                                  "ou la convention a changé). Demandez un nouveau code."))
        raise ServiceError(_l("Aucun code n'est en cours pour cette signature : cliquez sur "
                              "« Recevoir mon code » pour en recevoir un par e-mail."))
    if current.expires_at <= now:
        current.revoked_at = now
        db.session.flush()
        raise ServiceError(_l("Ce code a expiré (il est valable %(minutes)s minutes). "
                              "Demandez un nouveau code.", minutes=CODE_MINUTES))
    if current.version != agreement.version:
        current.revoked_at = now
        db.session.flush()
        raise ServiceError(_l("La convention a été modifiée depuis l'envoi de ce code : relisez "
                              "la nouvelle version, puis demandez un nouveau code."))
    if not hmac.compare_digest(current.code_hash, hashed):
        current.attempts += 1
        if keys:
            throttle.fail(keys)
            # Counted apart from the request's transaction, which the refusal rolls back.
            with side_write() as session:
                session.execute(update(AgreementCode).where(
                    AgreementCode.id == current.id).values(
                    attempts=AgreementCode.attempts + 1,
                    revoked_at=now if current.attempts >= CODE_MAX_ATTEMPTS else None))
        message = _l("Ce code n'est pas le bon.")
        if owner is not None:
            message = _wrong_party_message(owner, party)
            journal.record(None, Event.AGREEMENT_WRONG_PERSON, agreement, party=party.value,
                           code_of=owner.value)
        if current.attempts >= CODE_MAX_ATTEMPTS:
            current.revoked_at = now
            db.session.flush()
            raise ServiceError(_l("%(problem)s Trop d'essais : ce code est annulé, demandez-en "
                                  "un nouveau.", problem=message))
        left = CODE_MAX_ATTEMPTS - current.attempts
        db.session.flush()
        raise ServiceError(_l("%(problem)s Vérifiez-le dans l'e-mail reçu (%(left)s essai(s) "
                              "restant(s)).", problem=message, left=left))
    name = party_signer_name(agreement, party) or (signer_name or "").strip()
    if not name:
        raise ServiceError(_l("Écrivez votre nom et votre prénom : ils figurent sur la convention "
                              "comme signature."))
    current.used_at = now
    if keys:
        throttle.forgive(keys[1:])
    signature = _add_signature(agreement, party, name, current.sent_to, SignatureMethod.LINK_CODE,
                               None, now)
    journal.record(None, Event.AGREEMENT_SIGN, agreement, party=party.value, method="link_code",
                   version=agreement.version, sha256=signature.document_sha256)
    _complete_if_all_signed(agreement, now)
    db.session.flush()
    return signature


def _other_party_of_code(agreement: Agreement, party: Party, digits: str) -> Party | None:
    """The other party a code was sent to, if someone types another party's code."""
    for other in PARTIES:
        if other != party and db.session.scalar(select(AgreementCode.id).where(
                AgreementCode.agreement_id == agreement.id, AgreementCode.party == other,
                AgreementCode.code_hash == _code_hash(agreement, other, digits))):
            return other
    return None


def _wrong_party_message(owner: Party, party: Party) -> LazyString:
    return _l("Ce code a été envoyé à %(owner)s, pas à %(party)s : chaque partie signe avec "
              "son propre lien et son propre code.", owner=PARTY_NAMES[owner],
              party=PARTY_NAMES[party])


def _add_signature(agreement: Agreement, party: Party, name: str, email: str | None,
                   method: SignatureMethod, recorded_by: User | None,
                   now: dt.datetime, scan_file: str | None = None,
                   scan_sha256: str | None = None) -> AgreementSignature:
    signature = AgreementSignature(
        version=agreement.version, party=party, signer_name=name[:200], signer_email=email,
        method=method, document_sha256=content_hash(agreement.content), signed_at=now,
        recorded_by_id=recorded_by.id if recorded_by else None, scan_file=scan_file,
        scan_sha256=scan_sha256)
    agreement.signatures.append(signature)
    db.session.flush()
    return signature


def _complete_if_all_signed(agreement: Agreement, now: dt.datetime) -> None:
    if missing_parties(agreement):
        return
    agreement.state = AgreementState.SIGNED
    agreement.signed_at = now
    for party in PARTIES:
        address = party_email(agreement, party)
        if address:
            queue_email(address, "agreement_signed",
                        key=f"agreement:signed:{agreement.id}:v{agreement.version}:{party.value}",
                        reason=_reason(party), agreement=agreement, content=agreement.content,
                        link=signature_link(agreement, party))
    journal.record(None, Event.AGREEMENT_SIGNED, agreement, version=agreement.version)

