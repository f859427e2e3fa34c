"""Signatures given on paper, with their scans kept privately.

Who may record what: the teacher records only what is signed at school, in front of them (the
pupil, the guardian); the school itself and the host sign by their personal link. A host that
signs on paper uploads the scan from its own space, and that scan counts only once the
steering group has checked it: nobody vouches alone for another party's hand.

A scan must be a real PDF (read by pypdf, at least one page) of at most
``AGREEMENT_SCAN_MAX_BYTES``: a file that only starts with "%PDF-" is refused.
"""

from __future__ import annotations

import hashlib
import io
import logging
import warnings
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    Agreement,
    AgreementPaperScan,
    AgreementSignature,
    PaperScanState,
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

# The parties a teacher records on paper: those who sign at school, before the teacher.
SCHOOL_PAPER_PARTIES = (Party.PUPIL, Party.GUARDIAN)

# Kept for callers that recognise a file by its first bytes; a scan must now be a PDF.
SCAN_SIGNATURES = {"pdf": b"%PDF-"}


def scan_kind(data: bytes) -> str | None:
    for kind, magic in SCAN_SIGNATURES.items():
        if data.startswith(magic):
            return kind
    return None


def scan_max_bytes() -> int:
    return int(current_app.config.get("AGREEMENT_SCAN_MAX_BYTES", SCAN_MAX_BYTES))


def _pdf_pages(data: bytes) -> int | None:
    """The number of pages pypdf reads in ``data``, or None when it is no PDF at all."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not data.startswith(b"%PDF-"):
        return None
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)  # a damaged file is the user's, not an incident
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return len(PdfReader(io.BytesIO(data), strict=False).pages)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError):
        return None
    finally:
        pypdf_log.setLevel(level)


def check_scan(data: bytes) -> None:
    """Refuse anything but a readable PDF of at least one page, within the size limit."""
    if not data:
        raise ServiceError(_l("Joignez le scan de la convention signée (un fichier PDF)."))
    limit = scan_max_bytes()
    if len(data) > limit:
        raise ServiceError(_l("Ce fichier dépasse %(size)s Mo : scannez en qualité standard, ou "
                              "la page des signatures seule.",
                              size=max(1, round(limit / (1024 * 1024)))))
    pages = _pdf_pages(data)
    if pages is None:
        raise ServiceError(_l("Ce fichier n'est pas un PDF lisible : scannez la convention signée "
                              "en PDF (la plupart des téléphones le font) puis envoyez-la."))
    if pages < 1:
        raise ServiceError(_l("Ce PDF n'a aucune page : scannez de nouveau la convention "
                              "signée."))


def _store(agreement: Agreement, party: Party, data: bytes, suffix: str = "") -> str:
    folder = private_files_dir("agreements")
    filename = f"{agreement.id}-v{agreement.version}-{party.value}{suffix}.pdf"
    write_private(folder / filename, data)
    return filename


def record_paper_signature(actor: User, agreement: Agreement, party: Party, signer_name: str,
                           data: bytes) -> AgreementSignature:
    """The teacher records a signature made by hand at school (the pupil's, the guardian's)."""
    require(actor, Action.SCHOOL_AGREEMENTS, agreement)
    if party not in SCHOOL_PAPER_PARTIES:
        raise ServiceError(_l(
            "Le professeur n'enregistre sur papier que les signatures données à l'établissement "
            "(l'élève, son représentant légal). L'établissement et la structure signent avec "
            "leur lien personnel ; une structure qui signe sur papier dépose son scan depuis "
            "son espace, et le groupe de pilotage le vérifie."))
    _check_signable(agreement, party)
    check_scan(data)
    name = (signer_name or "").strip() or party_signer_name(agreement, party)
    if not name:
        raise ServiceError(_l("Indiquez le nom de la personne qui a signé."))
    filename = _store(agreement, party, data)
    now = utcnow()
    signature = _add_signature(agreement, party, name, None, SignatureMethod.PAPER, actor, now,
                               scan_file=filename, scan_sha256=hashlib.sha256(data).hexdigest())
    journal.record(actor, Event.AGREEMENT_SIGN, agreement, party=party.value, method="paper",
                   version=agreement.version, sha256=signature.document_sha256)
    _complete_if_all_signed(agreement, now)
    db.session.flush()
    return signature


# The host's paper signature, checked by the steering group ----------------------------------------


def pending_host_scan(agreement: Agreement) -> AgreementPaperScan | None:
    return db.session.scalar(select(AgreementPaperScan).where(
        AgreementPaperScan.agreement_id == agreement.id,
        AgreementPaperScan.state == PaperScanState.PENDING))


def refused_host_scan(agreement: Agreement) -> AgreementPaperScan | None:
    """The latest refused scan of the current version, so the host knows why."""
    return db.session.scalar(select(AgreementPaperScan).where(
        AgreementPaperScan.agreement_id == agreement.id,
        AgreementPaperScan.version == agreement.version,
        AgreementPaperScan.state == PaperScanState.REFUSED)
        .order_by(AgreementPaperScan.id.desc()).limit(1))


def upload_host_paper_signature(actor: User, agreement: Agreement, signer_name: str,
                                data: bytes) -> AgreementPaperScan:
    """A host member uploads the scan of the agreement its representative signed by hand.
    It waits for the steering group: until then the host has not signed."""
    require(actor, Action.COMPANY_AGREEMENTS, agreement)
    _check_signable(agreement, Party.HOST)
    if pending_host_scan(agreement) is not None:
        raise ServiceError(_l("Un scan de votre signature attend déjà la vérification du groupe "
                              "de pilotage : attendez sa décision."))
    check_scan(data)
    name = (signer_name or "").strip() or party_signer_name(agreement, Party.HOST)
    if not name:
        raise ServiceError(_l("Indiquez le nom de la personne qui a signé."))
    digest = hashlib.sha256(data).hexdigest()
    filename = _store(agreement, Party.HOST, data, suffix=f"-{digest[:12]}")
    scan = AgreementPaperScan(agreement_id=agreement.id, version=agreement.version,
                              party=Party.HOST, signer_name=name[:200], scan_file=filename,
                              scan_sha256=digest, uploaded_by_id=actor.id,
                              state=PaperScanState.PENDING)
    db.session.add(scan)
    db.session.flush()
    journal.record(actor, Event.AGREEMENT_PAPER_UPLOADED, agreement, party=Party.HOST.value,
                   version=agreement.version, scan_id=scan.id)
    db.session.flush()
    return scan


def pending_host_scans(actor: User) -> list[AgreementPaperScan]:
    require(actor, Action.STEER_AGREEMENTS)
    return list(db.session.scalars(select(AgreementPaperScan).where(
        AgreementPaperScan.state == PaperScanState.PENDING)
        .order_by(AgreementPaperScan.uploaded_at, AgreementPaperScan.id)).all())


def _pending(scan: AgreementPaperScan) -> None:
    if scan.state != PaperScanState.PENDING:
        raise ServiceError(_l("Ce scan a déjà été traité : rechargez la liste."))


def validate_host_scan(actor: User, scan: AgreementPaperScan) -> AgreementSignature:
    """The steering group checked the host's scan: it becomes the host's signature."""
    require(actor, Action.STEER_AGREEMENTS)
    _pending(scan)
    agreement = scan.agreement
    if scan.version != agreement.version:
        raise ServiceError(_l("La convention a été modifiée depuis ce scan : il porte sur une "
                              "ancienne version. Refusez-le ; la structure signera la "
                              "nouvelle version."))
    _check_signable(agreement, Party.HOST)
    now = utcnow()
    signature = _add_signature(agreement, Party.HOST, scan.signer_name, None,
                               SignatureMethod.PAPER, actor, now, scan_file=scan.scan_file,
                               scan_sha256=scan.scan_sha256)
    scan.state, scan.decided_at, scan.decided_by_id = PaperScanState.VALIDATED, now, actor.id
    journal.record(actor, Event.AGREEMENT_PAPER_VALIDATED, agreement, scan_id=scan.id,
                   version=agreement.version)
    journal.record(actor, Event.AGREEMENT_SIGN, agreement, party=Party.HOST.value,
                   method="paper", version=agreement.version, sha256=signature.document_sha256)
    _complete_if_all_signed(agreement, now)
    db.session.flush()
    return signature


def refuse_host_scan(actor: User, scan: AgreementPaperScan, reason: str) -> None:
    require(actor, Action.STEER_AGREEMENTS)
    _pending(scan)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_l("Dites pourquoi le scan est refusé : la structure saura quoi "
                              "corriger."))
    scan.state, scan.decided_at, scan.decided_by_id = PaperScanState.REFUSED, utcnow(), actor.id
    scan.refusal_reason = reason[:2000]
    journal.record(actor, Event.AGREEMENT_PAPER_REFUSED, scan.agreement, scan_id=scan.id,
                   reason=scan.refusal_reason)
    db.session.flush()


def host_scan(scan_id: int) -> AgreementPaperScan | None:
    return db.session.get(AgreementPaperScan, scan_id)


def host_scan_path(scan: AgreementPaperScan) -> Path | None:
    path = private_files_dir("agreements", scan.scan_file)
    return path if path.is_file() else None


def scan_path(signature: AgreementSignature) -> Any:
    if not signature.scan_file:
        return None
    path = private_files_dir("agreements", signature.scan_file)
    return path if path.is_file() else None


def signature_of(agreement: Agreement, signature_id: int) -> AgreementSignature | None:
    return next((s for s in agreement.signatures if s.id == signature_id), None)

