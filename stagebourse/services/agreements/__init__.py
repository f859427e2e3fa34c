"""Internship agreements (conventions de stage), one room per concern:

- ``content``: what an agreement says, built from the placement, the school and the host;
- ``parties``: the four parties, their addresses, who has signed and who may sign;
- ``drafting``: drafting, correcting and voiding an agreement, the school's settings;
- ``links``: the personal signing links sent to each party;
- ``signing``: signing by a one-time code sent by e-mail;
- ``paper``: signatures recorded on paper, with their scans;
- ``starting``: an internship starts only on a signed agreement;
- ``boards``: the school's and the host's lists, and the share signed in time;
- ``reminders``: reminders to the parties who have not signed;
- ``documents``: the agreement as a PDF.

Callers use ``from stagebourse.services import agreements`` and the names re-exported here."""

from __future__ import annotations

from stagebourse.models import AgreementPaperScan
from stagebourse.services.agreements.boards import (
    AGREEMENT_DESKS,
    BoardRow,
    CampaignShare,
    agreement_for,
    company_board,
    school_board,
    signed_share,
)
from stagebourse.services.agreements.content import (
    CLAUSES,
    COMMITMENTS,
    CONTENT_FORMAT,
    DAY_ORDER,
    HELP_CONTACTS,
    HOST_FIELDS,
    LEGAL_BASIS,
    MISSING_LABELS,
    PARTY_LABELS,
    PARTY_NAMES,
    SCHOOL_FIELDS,
    build_content,
    canonical,
    content_hash,
    missing_fields,
    schedule_rows,
    settings_for,
)
from stagebourse.services.agreements.documents import (
    document_context,
    render_pdf,
)
from stagebourse.services.agreements.drafting import (
    agreement_of,
    campaigns_for_settings,
    confirmed_without_agreement,
    correct,
    draft,
    draft_missing,
    save_settings,
    void,
    void_for,
)
from stagebourse.services.agreements.links import (
    DEFAULT_LINK_DAYS,
    AgreementLinkError,
    AgreementLinkExpired,
    WrongPerson,
    check_viewer,
    link_days,
    make_token,
    read_token,
    resend_link,
    send_for_signature,
    signature_link,
)
from stagebourse.services.agreements.paper import (
    SCAN_MAX_BYTES,
    SCAN_SIGNATURES,
    SCHOOL_PAPER_PARTIES,
    check_scan,
    host_scan,
    host_scan_path,
    pending_host_scan,
    pending_host_scans,
    record_paper_signature,
    refuse_host_scan,
    refused_host_scan,
    scan_kind,
    scan_max_bytes,
    scan_path,
    signature_of,
    upload_host_paper_signature,
    validate_host_scan,
)
from stagebourse.services.agreements.parties import (
    active_signatures,
    missing_parties,
    party_email,
    party_signer_name,
)
from stagebourse.services.agreements.reminders import (
    DEFAULT_REMINDER_DAYS,
    reminder_days,
    send_reminders,
)
from stagebourse.services.agreements.signing import (
    CODE_MAX_ATTEMPTS,
    CODE_MINUTES,
    CODES_PER_HOUR,
    request_code,
    sign_with_code,
)
from stagebourse.services.agreements.starting import (
    complete_internship,
    ensure_can_start,
    is_signed,
)

__all__ = [
    "AgreementPaperScan",
    "CONTENT_FORMAT",
    "DAY_ORDER",
    "PARTY_LABELS",
    "PARTY_NAMES",
    "LEGAL_BASIS",
    "CLAUSES",
    "COMMITMENTS",
    "HELP_CONTACTS",
    "SCHOOL_FIELDS",
    "HOST_FIELDS",
    "canonical",
    "content_hash",
    "settings_for",
    "build_content",
    "MISSING_LABELS",
    "missing_fields",
    "schedule_rows",
    "active_signatures",
    "missing_parties",
    "party_email",
    "party_signer_name",
    "agreement_of",
    "draft",
    "confirmed_without_agreement",
    "draft_missing",
    "save_settings",
    "campaigns_for_settings",
    "correct",
    "void",
    "void_for",
    "AgreementLinkError",
    "AgreementLinkExpired",
    "WrongPerson",
    "DEFAULT_LINK_DAYS",
    "link_days",
    "make_token",
    "signature_link",
    "send_for_signature",
    "read_token",
    "check_viewer",
    "resend_link",
    "CODE_MINUTES",
    "CODE_MAX_ATTEMPTS",
    "CODES_PER_HOUR",
    "request_code",
    "sign_with_code",
    "SCAN_MAX_BYTES",
    "SCAN_SIGNATURES",
    "scan_kind",
    "record_paper_signature",
    "SCHOOL_PAPER_PARTIES",
    "check_scan",
    "scan_max_bytes",
    "host_scan",
    "host_scan_path",
    "pending_host_scan",
    "pending_host_scans",
    "refuse_host_scan",
    "refused_host_scan",
    "upload_host_paper_signature",
    "validate_host_scan",
    "scan_path",
    "signature_of",
    "is_signed",
    "ensure_can_start",
    "complete_internship",
    "BoardRow",
    "school_board",
    "company_board",
    "CampaignShare",
    "signed_share",
    "agreement_for",
    "AGREEMENT_DESKS",
    "DEFAULT_REMINDER_DAYS",
    "reminder_days",
    "send_reminders",
    "document_context",
    "render_pdf",
]
