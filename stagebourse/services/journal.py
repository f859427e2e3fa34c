"""Journal entries: who did what to what."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from stagebourse.extensions import db
from stagebourse.models import JournalEntry, User


class Event(StrEnum):
    """Every kind of journal entry, by subject (docs/journal.md says who records each).

    The value is what the ``journal_entries.action`` column holds; a new kind of entry is
    added here, never written as a string at the call site.
    """

    ACCOUNT_DEACTIVATED = "account.deactivated"
    ACCOUNT_OBSERVER_INVITED = "account.observer_invited"
    ACCOUNT_REACTIVATED = "account.reactivated"

    AGREEMENT_CODE = "agreement.code"
    AGREEMENT_CORRECT = "agreement.correct"
    AGREEMENT_PAPER_REFUSED = "agreement.paper_refused"
    AGREEMENT_PAPER_UPLOADED = "agreement.paper_uploaded"
    AGREEMENT_PAPER_VALIDATED = "agreement.paper_validated"
    AGREEMENT_DRAFT = "agreement.draft"
    AGREEMENT_REMIND = "agreement.remind"
    AGREEMENT_RESEND = "agreement.resend"
    AGREEMENT_SEND = "agreement.send"
    AGREEMENT_SETTINGS = "agreement.settings"
    AGREEMENT_SIGN = "agreement.sign"
    AGREEMENT_SIGNED = "agreement.signed"
    AGREEMENT_VOID = "agreement.void"
    AGREEMENT_WRONG_PERSON = "agreement.wrong_person"

    API_TOKEN_CREATED = "api_token.created"
    API_TOKEN_REVOKED = "api_token.revoked"

    ASSIGNMENT_COMPLETED = "assignment.completed"
    ASSIGNMENT_CONFIRMED = "assignment.confirmed"
    ASSIGNMENT_DECLINED = "assignment.declined"
    ASSIGNMENT_HOST_DECLINED = "assignment.host_declined"
    ASSIGNMENT_WITHDRAWAL_ACCEPTED = "assignment.withdrawal_accepted"
    ASSIGNMENT_WITHDRAWAL_REFUSED = "assignment.withdrawal_refused"
    ASSIGNMENT_WITHDRAWAL_REQUESTED = "assignment.withdrawal_requested"

    AUTH_PASSWORD_RESET = "auth.password_reset"
    AUTH_PASSWORD_RESET_REQUESTED = "auth.password_reset_requested"
    AUTH_SIGN_IN = "auth.sign_in"
    AUTH_SIGN_OUT = "auth.sign_out"

    CAMPAIGN_CLOSE = "campaign.close"
    CAMPAIGN_CREATED = "campaign.created"
    CAMPAIGN_DEADLINES_SET = "campaign.deadlines_set"
    CAMPAIGN_FINISH = "campaign.finish"
    CAMPAIGN_MATCHED = "campaign.matched"
    CAMPAIGN_OPEN = "campaign.open"
    CAMPAIGN_PUBLISH = "campaign.publish"
    CAMPAIGN_REOPEN = "campaign.reopen"
    CAMPAIGN_WEEKS_SET = "campaign.weeks_set"

    COMPANY_APPROVED = "company.approved"
    COMPANY_CHARTER_DECLARED = "company.charter_declared"
    COMPANY_CHARTER_LIST_IMPORTED = "company.charter_list_imported"
    COMPANY_CHARTER_VERIFIED = "company.charter_verified"
    SIGNATORIES_INVITED = "company.signatories_invited"
    SIGNATORIES_REMINDED = "company.signatories_reminded"
    SIGNATORY_DECLINED = "company.signatory_declined"
    COMPANY_JOIN_REQUESTED = "company.join_requested"
    COMPANY_MEMBER_INVITED = "company.member_invited"
    COMPANY_MEMBER_JOINED = "company.member_joined"
    COMPANY_REJECTED = "company.rejected"
    COMPANY_SIGN_UP = "company.sign_up"

    DEMO_SEEDED = "demo.seeded"

    MATCHING_INSTANCE_DOWNLOADED = "matching.instance_downloaded"
    MATCHING_MANUAL_CANCEL = "matching.manual_cancel"
    MATCHING_MANUAL_MOVE = "matching.manual_move"
    MATCHING_PUBLISHED = "matching.published"
    MATCHING_RELEASED_UNCONFIRMED = "matching.released_unconfirmed"
    MATCHING_REPRODUCED = "matching.reproduced"
    MATCHING_RUN_CREATED = "matching.run_created"
    MATCHING_RUN_DONE = "matching.run_done"
    MATCHING_RUN_INTERRUPTED = "matching.run_interrupted"
    MATCHING_RUN_RESUMED = "matching.run_resumed"

    MATERIAL_CREATE = "material.create"
    MATERIAL_EDIT = "material.edit"
    MATERIAL_LOAD = "material.load"

    OBSERVATORY_RELEASED = "observatory.released"

    OFFER_CREATED = "offer.created"
    OFFER_CSV_IMPORTED = "offer.csv_imported"
    OFFER_DUPLICATED = "offer.duplicated"
    OFFER_UPDATED = "offer.updated"
    OFFER_WITHDRAWN = "offer.withdrawn"

    OUTBOX_RETRY = "outbox.retry"

    PREPARATION_ACKNOWLEDGE = "preparation.acknowledge"
    PREPARATION_QUEUE = "preparation.queue"
    PREPARATION_REMIND = "preparation.remind"

    PUPIL_CODE_REGENERATED = "pupil.code_regenerated"
    PUPIL_CONSENT_RECORDED = "pupil.consent_recorded"
    PUPIL_CONSENT_REMINDED = "pupil.consent_reminded"
    PUPIL_CONSENT_WITHDRAWN = "pupil.consent_withdrawn"
    PUPIL_CREATED = "pupil.created"
    PUPIL_UPDATED = "pupil.updated"

    PUPILS_CODES_ISSUED = "pupils.codes_issued"
    PUPILS_IMPORTED = "pupils.imported"

    QUESTIONNAIRE_CLOSED = "questionnaire.closed"
    QUESTIONNAIRE_EDITED = "questionnaire.edited"
    QUESTIONNAIRE_RESPONSES_MIXED = "questionnaire.responses_mixed"

    QUESTIONNAIRES_CLASS_SHEET_PRINTED = "questionnaires.class_sheet_printed"
    QUESTIONNAIRES_CLASS_SHEET_REPRINTED = "questionnaires.class_sheet_reprinted"
    QUESTIONNAIRES_CREATED = "questionnaires.created"
    QUESTIONNAIRES_INVITED = "questionnaires.invited"
    QUESTIONNAIRES_REMINDED = "questionnaires.reminded"

    REFERENCE_LOADED = "reference.loaded"

    REQUEST_CONFIRMED = "request.confirmed"
    REQUEST_FOUND_OWN = "request.found_own"
    REQUEST_PREFERENCES_SET = "request.preferences_set"
    REQUEST_WISH_ADDED = "request.wish_added"
    REQUEST_WISH_MOVED = "request.wish_moved"
    REQUEST_WISH_REMOVED = "request.wish_removed"

    RETENTION_PUPIL_ERASED = "retention.pupil_erased"
    RETENTION_PURGED = "retention.purged"
    RETENTION_SUBJECT_EXPORT = "retention.subject_export"

    TEACHER_SIGNED_UP = "teacher.signed_up"
    TEACHER_VALIDATED = "teacher.validated"

    TUTOR_LINK_REVOKED = "tutor.link_revoked"
    TUTOR_LINK_SENT = "tutor.link_sent"
    TUTOR_LINK_USED = "tutor.link_used"
    TUTOR_NAMED = "tutor.named"


def actor_label(actor: User | None) -> str:
    if actor is None:
        return "système"
    if actor.email:
        return actor.email
    return f"{actor.role.value} #{actor.id}"


def record(
    actor: User | None,
    action: Event,
    subject: Any = None,
    **details: Any,
) -> JournalEntry:
    """Add a journal entry to the current transaction (the caller commits)."""
    entry = JournalEntry(
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label(actor),
        action=action,
        subject_type=type(subject).__name__ if subject is not None else None,
        subject_id=str(subject.id) if subject is not None and hasattr(subject, "id") else None,
        details=details,
    )
    db.session.add(entry)
    return entry
