"""Signatures given on paper and recorded by the school, with the scan kept privately."""

from __future__ import annotations

import hashlib
from typing import Any

from flask_babel import lazy_gettext as _l

from stagebourse.extensions import db
from stagebourse.models import (
    Agreement,
    AgreementSignature,
    Party,
    SignatureMethod,
    User,
    utcnow,
)
from stagebourse.services import ServiceError, journal
from stagebourse.services.agreements.parties import _check_signable, party_signer_name
from stagebourse.services.agreements.signing import _add_signature, _complete_if_all_signed
from stagebourse.services.files import private_files_dir, write_private
from stagebourse.services.journal import Event
from stagebourse.services.policy import Action, require

SCAN_MAX_BYTES = 8 * 1024 * 1024


# Accepted scans, recognised by their first bytes (never by the name the user gave).
SCAN_SIGNATURES = {"pdf": b"%PDF-", "png": b"\x89PNG\r\n\x1a\n", "jpg": b"\xff\xd8\xff"}


def scan_kind(data: bytes) -> str | None:
    for kind, magic in SCAN_SIGNATURES.items():
        if data.startswith(magic):
            return kind
    return None


def record_paper_signature(actor: User, agreement: Agreement, party: Party, signer_name: str,
                           data: bytes) -> AgreementSignature:
    """The teacher records a signature made by hand on the printed agreement."""
    require(actor, Action.SCHOOL_AGREEMENTS, agreement)
    _check_signable(agreement, party)
    if not data:
        raise ServiceError(_l("Joignez le scan (ou la photo) de la convention signée."))
    if len(data) > SCAN_MAX_BYTES:
        raise ServiceError(_l("Ce fichier dépasse 8 Mo : scannez en qualité standard ou "
                              "photographiez la page signature seule."))
    kind = scan_kind(data)
    if kind is None:
        raise ServiceError(_l("Ce fichier n'est ni un PDF, ni une image JPEG ou PNG : enregistrez "
                              "le scan dans l'un de ces formats."))
    name = (signer_name or "").strip() or party_signer_name(agreement, party)
    if not name:
        raise ServiceError(_l("Indiquez le nom de la personne qui a signé."))
    folder = private_files_dir("agreements")
    filename = f"{agreement.id}-v{agreement.version}-{party.value}.{kind}"
    write_private(folder / filename, data)
    now = utcnow()
    signature = _add_signature(agreement, party, name, None, SignatureMethod.PAPER, actor, now,
                               scan_file=filename, scan_sha256=hashlib.sha256(data).hexdigest())
    journal.record(actor, Event.AGREEMENT_SIGN, agreement, party=party.value, method="paper",
                   version=agreement.version, sha256=signature.document_sha256)
    _complete_if_all_signed(agreement, now)
    db.session.flush()
    return signature


def scan_path(signature: AgreementSignature) -> Any:
    if not signature.scan_file:
        return None
    path = private_files_dir("agreements", signature.scan_file)
    return path if path.is_file() else None


def signature_of(agreement: Agreement, signature_id: int) -> AgreementSignature | None:
    return next((s for s in agreement.signatures if s.id == signature_id), None)

