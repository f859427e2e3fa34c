"""Matching rounds: the ONLY adapter between the database and the blind engine.

One room per concern:

- ``instances``: the blind instance built from the database (pseudonyms drawn per run);
- ``rounds``: creating a round and computing it (in the worker), reading runs and audits;
- ``publication``: publishing a round in one transaction, and the mail it queues;
- ``feasibility``: before a round, how many pupils have a feasible seat, and why not;
- ``answers``: pupils' and hosts' answers to a proposal, and the confirmation deadline;
- ``host_decisions``: what a host sees of a proposal (blind until the reveal), its decline
  with a reason, and its withdrawal requests after the reveal, which the steering group decides;
- ``manual``: the steering group's manual moves and cancellations, checked by the engine;
- ``reproduction``: re-running a round from its stored inputs;
- ``disclosure``: the auditor's files (minimised, their re-identification risk, journaled).

Callers use ``from stagebourse.services import matching`` and the names re-exported here."""

from __future__ import annotations

from stagebourse.services.matching.answers import (
    ASSIGNMENT_READERS,
    PUPIL_DECLINE_CONSEQUENCE,
    PUPIL_DECLINE_NEXT_STEP,
    TEACHER_DECLINE_CONSEQUENCE,
    TEACHER_DECLINE_NEXT_STEP,
    answer_counts,
    answer_for_company,
    answer_for_pupil,
    assignment_for,
    company_assignments,
    pupil_assignments,
    release_unconfirmed,
    school_assignments,
)
from stagebourse.services.matching.disclosure import (
    QUASI_IDENTIFIERS,
    ReidentificationRisk,
    download_instance,
    export_files,
    instance_export_risk,
    minimised_documents,
    reidentification_risk,
)
from stagebourse.services.matching.feasibility import (
    Feasibility,
    can_preview,
    preview,
    reason_text,
)
from stagebourse.services.matching.host_decisions import (
    HostProposal,
    decide_withdrawal,
    decline_proposal,
    host_proposal,
    host_proposals,
    request_withdrawal,
    withdrawal_counts,
    withdrawal_request,
    withdrawal_requests,
)
from stagebourse.services.matching.instances import (
    AUDIT_LABELS,
    MECHANISMS,
    PROTECTED_FIELDS,
    BuiltInstance,
    PseudonymDraw,
    build_instance,
    random_pseudonym,
)
from stagebourse.services.matching.manual import (
    MIN_REASON_LENGTH,
    cancel_assignment,
    check_manual,
    manual_assign,
    manual_changes,
    run_assignment,
)
from stagebourse.services.matching.publication import (
    publish,
)
from stagebourse.services.matching.reproduction import (
    reproduce,
)
from stagebourse.services.matching.rounds import (
    DEFAULT_MIN_CELL,
    ProgressCallback,
    RunOptions,
    RunSummary,
    blindness,
    campaign_runs,
    compare_runs,
    create_run,
    draw_seed,
    execute_run,
    get_run,
    min_cell,
    next_round,
    published_rounds,
    run_audit,
    run_instance,
    run_result,
    run_round,
    summarize,
)

__all__ = [
    "MECHANISMS",
    "AUDIT_LABELS",
    "PROTECTED_FIELDS",
    "PseudonymDraw",
    "random_pseudonym",
    "BuiltInstance",
    "build_instance",
    "DEFAULT_MIN_CELL",
    "ProgressCallback",
    "RunOptions",
    "draw_seed",
    "min_cell",
    "create_run",
    "execute_run",
    "run_round",
    "get_run",
    "campaign_runs",
    "run_audit",
    "run_result",
    "run_instance",
    "blindness",
    "RunSummary",
    "summarize",
    "compare_runs",
    "publish",
    "next_round",
    "published_rounds",
    "Feasibility",
    "can_preview",
    "preview",
    "reason_text",
    "answer_for_pupil",
    "answer_for_company",
    "release_unconfirmed",
    "answer_counts",
    "pupil_assignments",
    "school_assignments",
    "company_assignments",
    "assignment_for",
    "ASSIGNMENT_READERS",
    "PUPIL_DECLINE_CONSEQUENCE",
    "PUPIL_DECLINE_NEXT_STEP",
    "TEACHER_DECLINE_CONSEQUENCE",
    "TEACHER_DECLINE_NEXT_STEP",
    "HostProposal",
    "host_proposals",
    "host_proposal",
    "decline_proposal",
    "request_withdrawal",
    "decide_withdrawal",
    "withdrawal_requests",
    "withdrawal_counts",
    "withdrawal_request",
    "MIN_REASON_LENGTH",
    "check_manual",
    "manual_assign",
    "cancel_assignment",
    "manual_changes",
    "run_assignment",
    "reproduce",
    "export_files",
    "QUASI_IDENTIFIERS",
    "ReidentificationRisk",
    "download_instance",
    "instance_export_risk",
    "minimised_documents",
    "reidentification_risk",
]
