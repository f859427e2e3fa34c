"""The anonymous return questionnaire (Fiche 1, docs/privacy.md), one room per concern:

- ``questions``: the questionnaires of a campaign, their versions and their validation;
- ``invitations``: codes sent by e-mail or printed on class slips, reminders, redaction;
- ``answers``: a code opens the questionnaire, answers are stored unlinkably;
- ``mixing``: all the responses of a questionnaire rewritten in one random order before any
  release.

Callers use ``from stagebourse.services import questionnaires`` and the names re-exported here."""

from __future__ import annotations

from stagebourse.services.questionnaires.answers import (
    CODE_REFUSED,
    SHUFFLE_WIDTH,
    Submission,
    clean_answers,
    find_invitation,
    monday_of,
    open_questionnaire,
    questionnaire_for,
    reports_discrimination,
    sector_options,
    submit_answers,
)
from stagebourse.services.questionnaires.invitations import (
    DEFAULT_REMINDER_DAYS,
    DONE_STATES,
    ClassSheets,
    InviteSummary,
    class_sheet_pupils,
    class_sheets_waiting,
    finished_internships,
    invite,
    print_class_sheet,
    redact_sent_codes,
    reprint_class_sheet,
    send_reminders,
)
from stagebourse.services.questionnaires.mixing import (
    mix_responses,
    mix_unmixed_responses,
    responses_are_mixed,
)
from stagebourse.services.questionnaires.questions import (
    KINDS,
    QUESTIONNAIRES_DIR,
    current_questionnaire,
    current_questionnaire_by_id,
    current_questionnaires,
    default_questionnaire,
    ensure_questionnaires,
    get_questionnaire,
    questionnaire_json,
    response_count,
    save_questionnaire,
    validate_questionnaire,
)

__all__ = [
    "QUESTIONNAIRES_DIR",
    "KINDS",
    "default_questionnaire",
    "validate_questionnaire",
    "current_questionnaire",
    "current_questionnaires",
    "ensure_questionnaires",
    "response_count",
    "save_questionnaire",
    "current_questionnaire_by_id",
    "questionnaire_json",
    "get_questionnaire",
    "DONE_STATES",
    "DEFAULT_REMINDER_DAYS",
    "InviteSummary",
    "finished_internships",
    "invite",
    "ClassSheets",
    "class_sheet_pupils",
    "print_class_sheet",
    "reprint_class_sheet",
    "send_reminders",
    "redact_sent_codes",
    "class_sheets_waiting",
    "SHUFFLE_WIDTH",
    "CODE_REFUSED",
    "find_invitation",
    "questionnaire_for",
    "open_questionnaire",
    "sector_options",
    "clean_answers",
    "reports_discrimination",
    "Submission",
    "monday_of",
    "submit_answers",
    "mix_responses",
    "mix_unmixed_responses",
    "responses_are_mixed",
]
