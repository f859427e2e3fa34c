"""Rules at the service boundary: each service refuses the wrong actor by itself.

The table below lists, for every public service function that takes the acting user, a call
and the actors who must be refused. A check reads the service modules and fails when such a
function is missing from the table, so a new service cannot skip the policy unnoticed. The
views keep their guards; these tests call the services directly, as a view that forgot its
guard would.
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask

import stagebourse.services as services_package
from stagebourse.extensions import db
from stagebourse.models import (
    AgreementPaperScan,
    ApiToken,
    ConsentMethod,
    HostReason,
    Level,
    Party,
    Role,
    WithdrawalRequest,
)
from stagebourse.services import (
    account_lifecycle,
    agreements,
    campaigns,
    companies,
    dashboards,
    host_decision_figures,
    matching,
    matching_jobs,
    matching_report,
    materials,
    observation,
    observatory,
    offer_import,
    offers,
    outbox,
    outreach,
    preparation,
    pupils,
    questionnaires,
    requests,
    retention,
    rosters,
    teachers,
    tutors,
)
from stagebourse.services.companies import hash_token
from stagebourse.services.matching import RunOptions
from stagebourse.services.policy import Action, PermissionDenied, can
from tests.factories import first_school, make_company, make_pupil_user, make_teacher, make_user
from tests.scenarios import AGREEMENT_TEACHER, drafted

pytestmark = pytest.mark.database

World = SimpleNamespace
Call = Callable[[World, Any], object]

# Who must be refused, by kind of service. "here" is the school and the structure of the
# agreement the world is built around; "elsewhere" is another school or structure.
NOT_STEERING = ("teacher_here", "pupil_here", "member_here", "tutor", "observer")
# The wider steering group's aggregate pages: observers only (the steering group has its own).
NOT_OBSERVER = ("steering", "teacher_here", "teacher_waiting", "pupil_here", "member_here",
                "tutor")
# A service on one of this school's objects (a pupil, an assignment, an agreement).
SCHOOL_OBJECT = ("teacher_elsewhere", "teacher_waiting", "pupil_here", "member_here", "steering")
# A service on the teacher's own school (their classes, their settings): another school's
# teacher is acting on their own school there, which is allowed.
SCHOOL_OWN = ("teacher_waiting", "pupil_here", "member_here", "steering", "tutor")
# A service on one of this structure's objects (an offer, an assignment, an agreement).
COMPANY_OBJECT = ("member_elsewhere", "teacher_here", "pupil_here", "steering", "tutor")
# A service on the member's own structure.
COMPANY_OWN = ("teacher_here", "pupil_here", "steering", "tutor")
# A pupil's own request or answer: the pupil or a validated teacher of their school only.
PUPIL_OWN = ("pupil_other", "teacher_elsewhere", "teacher_waiting", "member_here", "steering")
# Drafting the agreement of an assignment: one of its parties, or the steering group.
ASSIGNMENT_PARTY = ("pupil_other", "teacher_elsewhere", "member_elsewhere", "tutor")


@dataclass(frozen=True)
class Row:
    name: str  # "module.function", as the completeness check finds it
    call: Call
    wrong: tuple[str, ...]
    case: str = ""  # when one function has several rows (e.g. per party)


def pending_withdrawal(w: World) -> WithdrawalRequest:
    request = WithdrawalRequest(assignment=w.assignment, reason=HostReason.OTHER,
                                note="Une raison de la structure.")
    db.session.add(request)
    db.session.flush()
    return request


def pending_scan(w: World) -> AgreementPaperScan:
    scan = AgreementPaperScan(agreement_id=w.agreement.id, version=w.agreement.version,
                              party=Party.HOST, signer_name="Camille Contact",
                              scan_file="absent.pdf", scan_sha256="0" * 64)
    db.session.add(scan)
    db.session.flush()
    return scan


# Managing a structure's tutors: its members, or the steering group.
TUTOR_MANAGERS = ("member_elsewhere", "teacher_here", "pupil_here", "tutor")
# A tutor's own space: that tutor only.
TUTOR_SELF = ("steering", "teacher_here", "pupil_here", "member_here")

RUN = RunOptions(seed=1)
SOON = dt.date(2030, 1, 4)

TABLE: list[Row] = [
    # Tutors and their links ---------------------------------------------------------------
    Row("tutors.name_tutor", lambda w, a: tutors.name_tutor(a, w.offer, {}), COMPANY_OBJECT),
    Row("tutors.send_link", lambda w, a: tutors.send_link(a, w.offer.tutor), TUTOR_MANAGERS),
    Row("tutors.revoke_links",
        lambda w, a: tutors.revoke_links(a, w.offer.tutor), TUTOR_MANAGERS),
    Row("tutors.company_tutors",
        lambda w, a: tutors.company_tutors(a, w.company), COMPANY_OBJECT),
    Row("tutors.company_offers",
        lambda w, a: tutors.company_offers(a, w.company), COMPANY_OBJECT),
    Row("tutors.all_tutors", lambda w, a: tutors.all_tutors(a), NOT_STEERING),
    Row("tutors.interns", lambda w, a: tutors.interns(a, w.offer.tutor), TUTOR_SELF),
    Row("tutors.tutor_space", lambda w, a: tutors.tutor_space(a), TUTOR_SELF),
    Row("tutors.tutor_agreement",
        lambda w, a: tutors.tutor_agreement(a, w.agreement.id), TUTOR_SELF),
    Row("tutors.reading_list", lambda w, a: tutors.reading_list(a), TUTOR_SELF),
    Row("tutors.acknowledge_materials",
        lambda w, a: tutors.acknowledge_materials(a), TUTOR_SELF),
    # Hosts' paper signatures, checked by the steering group --------------------------------
    Row("agreements.upload_host_paper_signature",
        lambda w, a: agreements.upload_host_paper_signature(a, w.agreement, "X", b""),
        COMPANY_OBJECT),
    Row("agreements.pending_host_scans",
        lambda w, a: agreements.pending_host_scans(a), NOT_STEERING),
    Row("agreements.validate_host_scan",
        lambda w, a: agreements.validate_host_scan(a, pending_scan(w)), NOT_STEERING),
    Row("agreements.refuse_host_scan",
        lambda w, a: agreements.refuse_host_scan(a, pending_scan(w), "Illisible"),
        NOT_STEERING),
    # Campaigns (steering) -------------------------------------------------------------------
    Row("campaigns.create_campaign", lambda w, a: campaigns.create_campaign(
        a, year=2030, level=Level.TROISIEME, name="Essai", requests_deadline=SOON), NOT_STEERING),
    Row("campaigns.set_school_weeks",
        lambda w, a: campaigns.set_school_weeks(a, w.campaign, {}), NOT_STEERING),
    Row("campaigns.transition",
        lambda w, a: campaigns.transition(a, w.campaign, "finish"), NOT_STEERING),
    Row("campaigns.update_deadlines",
        lambda w, a: campaigns.update_deadlines(a, w.campaign, SOON, None), NOT_STEERING),
    Row("campaigns.campaign_journal",
        lambda w, a: campaigns.campaign_journal(a, w.campaign), NOT_STEERING),
    # Structures' moderation and API tokens (steering) -----------------------------------------
    Row("companies.approve_company",
        lambda w, a: companies.approve_company(a, w.company_elsewhere), NOT_STEERING),
    Row("companies.reject_company",
        lambda w, a: companies.reject_company(a, w.company, "Raison du refus"), NOT_STEERING),
    Row("companies.verify_charter",
        lambda w, a: companies.verify_charter(a, w.company_elsewhere), NOT_STEERING),
    Row("companies.join_requests", lambda w, a: companies.join_requests(a), COMPANY_OWN),
    Row("companies.import_charter_signatories",
        lambda w, a: companies.import_charter_signatories(a, b"siret\n"), NOT_STEERING),
    Row("companies.create_api_token",
        lambda w, a: companies.create_api_token(a, w.company, "RH", None), NOT_STEERING),
    Row("companies.revoke_api_token",
        lambda w, a: companies.revoke_api_token(a, w.token), NOT_STEERING),
    Row("companies.list_companies", lambda w, a: companies.list_companies(a), NOT_STEERING),
    Row("companies.list_api_tokens", lambda w, a: companies.list_api_tokens(a), NOT_STEERING),
    # Reaching the Charter signatories not registered yet (steering) ---------------------------
    Row("outreach.record_prospects",
        lambda w, a: outreach.record_prospects(
            a, [outreach.SignatoryRow(2, "Boulangerie Signataire", "", "pain@example.fr")]),
        NOT_STEERING),
    Row("outreach.invitable", lambda w, a: outreach.invitable(a), NOT_STEERING),
    Row("outreach.invite_prospects", lambda w, a: outreach.invite_prospects(a), NOT_STEERING),
    Row("outreach.outreach_status", lambda w, a: outreach.outreach_status(a), NOT_STEERING),
    # A structure's own team (company member) -------------------------------------------------
    Row("companies.invite_member",
        lambda w, a: companies.invite_member(a, "nouveau@atelier-test.fr"), COMPANY_OWN),
    Row("companies.declare_charter",
        lambda w, a: companies.declare_charter(a, dt.date(2026, 1, 5), None, None), COMPANY_OWN),
    # Agreements -------------------------------------------------------------------------------
    Row("agreements.correct", lambda w, a: agreements.correct(a, w.agreement, Party.HOST, {}),
        COMPANY_OBJECT, "host part"),
    Row("agreements.correct", lambda w, a: agreements.correct(a, w.agreement, Party.SCHOOL, {}),
        SCHOOL_OBJECT, "school part"),
    Row("agreements.draft", lambda w, a: agreements.draft(a, w.assignment), ASSIGNMENT_PARTY),
    Row("agreements.draft_missing", lambda w, a: agreements.draft_missing(a, w.school),
        SCHOOL_OBJECT, "one school"),
    Row("agreements.draft_missing", lambda w, a: agreements.draft_missing(a),
        (*NOT_STEERING, "teacher_elsewhere"), "every school"),
    Row("agreements.confirmed_without_agreement",
        lambda w, a: agreements.confirmed_without_agreement(a, w.school),
        SCHOOL_OBJECT, "one school"),
    Row("agreements.confirmed_without_agreement",
        lambda w, a: agreements.confirmed_without_agreement(a), NOT_STEERING, "every school"),
    Row("agreements.record_paper_signature", lambda w, a: agreements.record_paper_signature(
        a, w.agreement, Party.GUARDIAN, "Nadia Martin", b"%PDF"), SCHOOL_OBJECT),
    Row("agreements.resend_link",
        lambda w, a: agreements.resend_link(a, w.agreement, Party.PUPIL), SCHOOL_OBJECT),
    Row("agreements.send_for_signature",
        lambda w, a: agreements.send_for_signature(a, w.agreement), SCHOOL_OBJECT),
    Row("agreements.save_settings",
        lambda w, a: agreements.save_settings(a, w.campaign, {}), SCHOOL_OWN),
    Row("agreements.void", lambda w, a: agreements.void(a, w.agreement, "Essai"), NOT_STEERING),
    Row("agreements.void_for", lambda w, a: agreements.void_for(a, w.assignment, "Essai"),
        NOT_STEERING),
    Row("agreements.complete_internship",
        lambda w, a: agreements.complete_internship(a, w.assignment), SCHOOL_OBJECT),
    Row("agreements.school_board",
        lambda w, a: agreements.school_board(a, w.school), SCHOOL_OBJECT),
    Row("agreements.company_board",
        lambda w, a: agreements.company_board(a, w.company), COMPANY_OBJECT),
    # Matching ---------------------------------------------------------------------------------
    Row("matching.answer_for_pupil",
        lambda w, a: matching.answer_for_pupil(a, w.assignment, True), PUPIL_OWN),
    Row("matching.answer_for_company",
        lambda w, a: matching.answer_for_company(a, w.assignment, True), COMPANY_OBJECT),
    Row("matching.host_proposals",
        lambda w, a: matching.host_proposals(a, w.company), COMPANY_OBJECT),
    Row("matching.host_proposal",
        lambda w, a: matching.host_proposal(a, w.assignment), COMPANY_OBJECT),
    Row("matching.decline_proposal", lambda w, a: matching.decline_proposal(
        a, w.assignment, HostReason.SEAT_GONE), COMPANY_OBJECT),
    Row("matching.request_withdrawal", lambda w, a: matching.request_withdrawal(
        a, w.assignment, HostReason.SEAT_GONE), COMPANY_OBJECT),
    Row("matching.decide_withdrawal", lambda w, a: matching.decide_withdrawal(
        a, pending_withdrawal(w), False, "Le stage est maintenu."), NOT_STEERING),
    Row("matching.withdrawal_requests", lambda w, a: matching.withdrawal_requests(a),
        NOT_STEERING),
    Row("matching.withdrawal_counts", lambda w, a: matching.withdrawal_counts(a),
        NOT_STEERING),
    Row("matching.withdrawal_request", lambda w, a: matching.withdrawal_request(a, 1),
        NOT_STEERING),
    Row("matching.cancel_assignment",
        lambda w, a: matching.cancel_assignment(a, w.assignment, "Raison"), NOT_STEERING),
    Row("matching.create_run", lambda w, a: matching.create_run(a, w.campaign, RUN),
        NOT_STEERING),
    Row("matching.manual_assign", lambda w, a: matching.manual_assign(
        a, w.run, w.pupil.id, w.offer.id, w.assignment.week, "Raison"), NOT_STEERING),
    Row("matching.publish", lambda w, a: matching.publish(a, w.run), NOT_STEERING),
    Row("matching.preview", lambda w, a: matching.preview(a, w.campaign, RUN), NOT_STEERING),
    Row("host_decision_figures.run_tables",
        lambda w, a: host_decision_figures.run_tables(a, w.run), NOT_STEERING),
    Row("host_decision_figures.host_record",
        lambda w, a: host_decision_figures.host_record(a, w.company), NOT_STEERING),
    Row("matching.release_unconfirmed",
        lambda w, a: matching.release_unconfirmed(a, w.campaign), NOT_STEERING),
    Row("matching.reproduce", lambda w, a: matching.reproduce(a, w.run), NOT_STEERING),
    Row("matching.run_round", lambda w, a: matching.run_round(a, w.campaign, RUN),
        NOT_STEERING),
    Row("matching_jobs.start_run",
        lambda w, a: matching_jobs.start_run(a, w.campaign, RUN), NOT_STEERING),
    Row("matching.blindness", lambda w, a: matching.blindness(a, w.run), NOT_STEERING),
    Row("matching.compare_runs", lambda w, a: matching.compare_runs(a, [w.run]),
        NOT_STEERING),
    Row("matching.manual_changes", lambda w, a: matching.manual_changes(a, w.run),
        NOT_STEERING),
    Row("matching.export_files",
        lambda w, a: matching.export_files(a, w.run, w.tmp, "Auditrice", "Vérifier"),
        NOT_STEERING),
    Row("matching.download_instance",
        lambda w, a: matching.download_instance(a, w.run, "Auditrice", "Vérifier"),
        NOT_STEERING),
    Row("matching.instance_export_risk",
        lambda w, a: matching.instance_export_risk(a, w.run), NOT_STEERING),
    Row("matching.school_assignments",
        lambda w, a: matching.school_assignments(a, w.school.id), SCHOOL_OBJECT),
    Row("matching.company_assignments",
        lambda w, a: matching.company_assignments(a, w.company), COMPANY_OBJECT),
    Row("matching_report.audit_tables",
        lambda w, a: matching_report.audit_tables(a, w.run), NOT_STEERING),
    # Materials, mail, preparation (steering) -----------------------------------------------------
    Row("materials.create_material",
        lambda w, a: materials.create_material(a, {"slug": "essai"}), NOT_STEERING),
    Row("materials.edit_material",
        lambda w, a: materials.edit_material(a, "essai", {}), NOT_STEERING),
    Row("outbox.retry_failed", lambda w, a: outbox.retry_failed(a), NOT_STEERING),
    Row("outbox.list_messages", lambda w, a: outbox.list_messages(a), NOT_STEERING),
    Row("preparation.prepare_tutors",
        lambda w, a: preparation.prepare_tutors(a, w.run), NOT_STEERING),
    Row("preparation.queue_preparation",
        lambda w, a: preparation.queue_preparation(a, w.run), NOT_STEERING),
    Row("preparation.preparation_dashboard",
        lambda w, a: preparation.preparation_dashboard(a, w.campaign), NOT_STEERING),
    Row("dashboards.steering_home", lambda w, a: dashboards.steering_home(a), NOT_STEERING),
    # Offers (company member) ----------------------------------------------------------------
    Row("offers.save_offer", lambda w, a: offers.save_offer(a, w.company, None, w.offer),
        COMPANY_OBJECT),
    Row("offers.duplicate_offer", lambda w, a: offers.duplicate_offer(a, w.offer),
        COMPANY_OBJECT),
    Row("offers.withdraw_offer", lambda w, a: offers.withdraw_offer(a, w.offer),
        COMPANY_OBJECT),
    Row("offer_import.run_import",
        lambda w, a: offer_import.run_import(a, w.company, "jeton", only_valid=True),
        COMPANY_OBJECT),
    # Pupils of a school (teacher) ----------------------------------------------------------
    Row("pupils.add_pupil", lambda w, a: pupils.add_pupil(a, {}), SCHOOL_OWN),
    Row("pupils.class_board", lambda w, a: pupils.class_board(a, "3B", None), SCHOOL_OWN),
    Row("pupils.current_class_board", lambda w, a: pupils.current_class_board(a, "3B"),
        SCHOOL_OWN),
    Row("pupils.current_class_board_with_consent",
        lambda w, a: pupils.current_class_board_with_consent(a, "3B"), SCHOOL_OWN),
    Row("pupils.class_pupils", lambda w, a: pupils.class_pupils(a, "3B"), SCHOOL_OWN),
    Row("pupils.default_level", lambda w, a: pupils.default_level(a), SCHOOL_OWN),
    Row("pupils.school_classes", lambda w, a: pupils.school_classes(a), SCHOOL_OWN),
    Row("pupils.issue_codes",
        lambda w, a: pupils.issue_codes(a, [w.pupil], only_missing=False), SCHOOL_OBJECT),
    Row("pupils.record_consent", lambda w, a: pupils.record_consent(
        a, w.pupil, dt.date(2026, 9, 7), ConsentMethod.PAPER), SCHOOL_OBJECT),
    Row("pupils.regenerate_code", lambda w, a: pupils.regenerate_code(a, w.pupil),
        SCHOOL_OBJECT),
    Row("pupils.update_pupil",
        lambda w, a: pupils.update_pupil(a, w.pupil, {}, w.pupil.version), SCHOOL_OBJECT),
    Row("pupils.withdraw_consent", lambda w, a: pupils.withdraw_consent(a, w.pupil),
        SCHOOL_OBJECT),
    Row("rosters.import_roster", lambda w, a: rosters.import_roster(
        a, "nom;prenom\n", Level.TROISIEME, only_valid=True), SCHOOL_OWN),
    Row("rosters.teacher_school", lambda w, a: rosters.teacher_school(a), SCHOOL_OWN),
    Row("teachers.validate_teacher",
        lambda w, a: teachers.validate_teacher(a, w.users["teacher_waiting"].id),
        ("teacher_elsewhere", "teacher_waiting", "pupil_here", "member_here", "tutor")),
    # Questionnaires: the steering group's, and a school's class sheets -------------------------
    Row("questionnaires.ensure_questionnaires",
        lambda w, a: questionnaires.ensure_questionnaires(a, w.campaign), NOT_STEERING),
    Row("questionnaires.invite", lambda w, a: questionnaires.invite(a, w.campaign),
        NOT_STEERING),
    Row("questionnaires.save_questionnaire",
        lambda w, a: questionnaires.save_questionnaire(a, None, "{}"), NOT_STEERING),
    Row("questionnaires.send_reminders",
        lambda w, a: questionnaires.send_reminders(a, w.campaign), NOT_STEERING),
    Row("questionnaires.class_sheet_pupils",
        lambda w, a: questionnaires.class_sheet_pupils(a, w.campaign), SCHOOL_OWN),
    Row("questionnaires.class_sheets_waiting",
        lambda w, a: questionnaires.class_sheets_waiting(a), SCHOOL_OWN),
    Row("questionnaires.print_class_sheet",
        lambda w, a: questionnaires.print_class_sheet(a, w.campaign, "3B"), SCHOOL_OWN),
    Row("questionnaires.reprint_class_sheet",
        lambda w, a: questionnaires.reprint_class_sheet(a, w.campaign, "3B"), SCHOOL_OWN),
    # The observatory's releases (steering) -------------------------------------------------------
    Row("observatory.close_questionnaire",
        lambda w, a: observatory.close_questionnaire(a, w.campaign), NOT_STEERING),
    Row("observatory.compute_campaign_release",
        lambda w, a: observatory.compute_campaign_release(a, w.campaign), NOT_STEERING),
    Row("observatory.compute_annual_release",
        lambda w, a: observatory.compute_annual_release(a, 2027), NOT_STEERING),
    # A pupil's request (the pupil, or their teacher) --------------------------------------------
    Row("requests.add_wish", lambda w, a: requests.add_wish(a, w.pupil, sector_code="sante"),
        PUPIL_OWN),
    Row("requests.confirm_request", lambda w, a: requests.confirm_request(a, w.pupil),
        PUPIL_OWN),
    Row("requests.declare_found_own", lambda w, a: requests.declare_found_own(a, w.pupil),
        PUPIL_OWN),
    Row("requests.move_wish", lambda w, a: requests.move_wish(a, w.pupil, 1, "down"),
        PUPIL_OWN),
    Row("requests.remove_wish", lambda w, a: requests.remove_wish(a, w.pupil, 1), PUPIL_OWN),
    Row("requests.set_preferences", lambda w, a: requests.set_preferences(
        a, w.pupil, max_travel_km=10, needs_accessible=False, has_network=None), PUPIL_OWN),
    # Accounts (steering) ------------------------------------------------------------------
    Row("account_lifecycle.list_accounts", lambda w, a: account_lifecycle.list_accounts(
        a, account_lifecycle.AccountFilter()), NOT_STEERING),
    Row("account_lifecycle.get_account",
        lambda w, a: account_lifecycle.get_account(a, w.users["tutor"].id), NOT_STEERING),
    Row("account_lifecycle.deactivate_account", lambda w, a: account_lifecycle
        .deactivate_account(a, w.users["tutor"], "A quitté la structure"), NOT_STEERING),
    Row("account_lifecycle.reactivate_account", lambda w, a: account_lifecycle
        .reactivate_account(a, w.users["tutor"], "Revenu dans la structure"), NOT_STEERING),
    Row("account_lifecycle.invite_observer", lambda w, a: account_lifecycle.invite_observer(
        a, "parent@fcpe-test.fr", "Mme Parent"), NOT_STEERING),
    # Aggregate figures (observers) -------------------------------------------------------
    Row("observation.observer_home", lambda w, a: observation.observer_home(a), NOT_OBSERVER),
    Row("observation.published_runs", lambda w, a: observation.published_runs(a),
        NOT_OBSERVER),
    Row("observation.published_run", lambda w, a: observation.published_run(a, w.run.id),
        NOT_OBSERVER),
    Row("observation.run_tables", lambda w, a: observation.run_tables(a, w.run), NOT_OBSERVER),
    Row("observation.release", lambda w, a: observation.release(a, 1), NOT_OBSERVER),
    Row("observation.year_releases", lambda w, a: observation.year_releases(a, 2027),
        NOT_OBSERVER),
    # Personal data (steering) -----------------------------------------------------------------
    Row("retention.erase_pupil",
        lambda w, a: retention.erase_pupil(a, w.pupil, "Demande du responsable"), NOT_STEERING),
    Row("retention.subject_export", lambda w, a: retention.subject_export(a, w.pupil),
        NOT_STEERING),
    Row("retention.find_pupils", lambda w, a: retention.find_pupils(a, "Martin"),
        NOT_STEERING),
]

# Functions that take the actor but are not use cases to refuse. Each answers for the actor it
# is given and either goes through the policy itself or refuses nothing:
NOT_USE_CASES = {
    # Shared reading material, nothing personal: the audience is checked against the role
    # (a wrong audience is a ServiceError telling where the documents are meant for).
    "preparation.materials_for",
    # The journal records whoever acted; the caller has already been allowed.
    "journal.record",
    "journal.actor_label",
    # Predicates and loaders answering through the policy (a view turns "no" into a 404).
    "pupils.is_teacher_of",
    "pupils.pupil_for_teacher",
    "pupils.pupil_for",
    "matching.assignment_for",
    "agreements.agreement_for",
    "offer_search.offer_for",
    "tutors.tutor_for",
    "teachers.can_validate",
    # The teachers this actor may validate: an empty list for anyone else, nothing revealed.
    "teachers.pending_teachers",
}


def _service_functions_taking_an_actor() -> set[str]:
    """``service.function`` for each public function taking an actor, in every module of the
    services, packages included (``matching.rounds.create_run`` is ``matching.create_run``:
    callers reach it through the package)."""
    found = set()
    prefix = f"{services_package.__name__}."
    for info in pkgutil.walk_packages(services_package.__path__, prefix):
        service = info.name.removeprefix(prefix).split(".")[0]
        if service == "policy":
            continue
        module = importlib.import_module(info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if (function.__module__ == module.__name__ and not name.startswith("_")
                    and "actor" in inspect.signature(function).parameters):
                found.add(f"{service}.{name}")
    return found


def test_every_service_taking_an_actor_is_in_the_table() -> None:
    in_table = {row.name for row in TABLE}
    services = _service_functions_taking_an_actor()
    assert services - in_table - NOT_USE_CASES == set(), "add these services to TABLE"
    assert in_table - services == set(), "these rows name no service that takes an actor"
    assert NOT_USE_CASES <= services


@pytest.fixture
def world(app: Flask, tmp_path: Path) -> World:
    """One confirmed assignment with its drafted agreement, and one user of each kind: of its
    school and structure ("here") or of another ("elsewhere")."""
    agreement = drafted()
    assignment = agreement.assignment
    company = assignment.offer.company
    elsewhere = make_company(siret="44306184100047", name="Autre Atelier")
    now = dt.datetime.now(dt.UTC)
    users = {
        "steering": make_user(Role.STEERING, "pilotage@test.fr"),
        "teacher_here": make_teacher(AGREEMENT_TEACHER),
        "teacher_waiting": make_user(Role.TEACHER, "attente@college-test.fr",
                                     school=first_school()),
        "teacher_elsewhere": make_user(Role.TEACHER, "prof@autre-college.fr",
                                       school=first_school(index=1), validated_at=now),
        "pupil_here": assignment.pupil.user,
        "pupil_other": make_pupil_user(code="TEST-CODE-0002", first_name="Sami"),
        "member_here": make_user(Role.COMPANY, "membre@atelier-test.fr", company=company),
        "member_elsewhere": make_user(Role.COMPANY, "membre@autre-test.fr", company=elsewhere),
        "tutor": make_user(Role.TUTOR, "tuteur.compte@atelier-test.fr",
                           tutor=company.tutors[0]),
        "observer": make_user(Role.OBSERVER, "observateur@cci-test.fr"),
    }
    token = ApiToken(company=company, label="RH", token_hash=hash_token("sb_essai"))
    db.session.add(token)
    db.session.commit()
    return World(agreement=agreement, assignment=assignment, run=assignment.run,
                 campaign=assignment.run.campaign, pupil=assignment.pupil,
                 school=assignment.pupil.school, offer=assignment.offer, company=company,
                 company_elsewhere=elsewhere, token=token, users=users, tmp=tmp_path)


@pytest.mark.parametrize("row", TABLE, ids=[f"{r.name} {r.case}".strip() for r in TABLE])
def test_wrong_actors_are_refused_by_the_service(world: World, row: Row) -> None:
    allowed = []
    for key in row.wrong:
        try:
            row.call(world, world.users[key])
        except PermissionDenied:
            pass
        else:
            allowed.append(key)
        finally:
            db.session.rollback()
    assert allowed == [], f"{row.name} let {allowed} through"


def test_right_actors_are_served(world: World) -> None:
    users = world.users
    # Steering: the campaign's journal.
    assert isinstance(campaigns.campaign_journal(users["steering"], world.campaign), list)
    # A teacher of the school: the school's agreements and assignments.
    board = agreements.school_board(users["teacher_here"], world.school)
    assert [row.agreement for row in board] == [world.agreement]
    assert world.assignment in matching.school_assignments(users["teacher_here"],
                                                           world.school.id)
    # A member of the structure: its agreements and assignments.
    board = agreements.company_board(users["member_here"], world.company)
    assert [row.agreement for row in board] == [world.agreement]
    assert world.assignment in matching.company_assignments(users["member_here"],
                                                            world.company)
    # The pupil and their teacher may act on the pupil's request; the teacher on the pupil.
    assert can(users["pupil_here"], Action.PUPIL_REQUEST, world.pupil)
    assert can(users["teacher_here"], Action.PUPIL_REQUEST, world.pupil)
    assert can(users["teacher_here"], Action.SCHOOL_PUPILS, world.pupil)


def test_a_waiting_teacher_is_told_to_wait_for_validation(world: World) -> None:
    with pytest.raises(PermissionDenied, match="attend encore la validation"):
        pupils.school_classes(world.users["teacher_waiting"])


def test_the_system_does_only_what_the_command_line_does(world: World) -> None:
    assert can(None, Action.STEER_MATCHING, world.run)
    assert can(None, Action.STEER_AGREEMENTS)
    assert not can(None, Action.STEER_PERSONAL_DATA, world.pupil)
    assert not can(None, Action.SCHOOL_PUPILS, world.pupil)
    assert not can(None, Action.COMPANY_OFFERS, world.offer)
    with pytest.raises(PermissionDenied):
        retention.find_pupils(None, "Martin")  # type: ignore[arg-type]


def test_an_api_token_manages_its_structure_offers_only(world: World) -> None:
    token = world.token
    assert can(token, Action.COMPANY_OFFERS, world.offer)
    assert not can(token, Action.COMPANY_AGREEMENTS, world.agreement)
    assert not can(token, Action.COMPANY_ASSIGNMENTS, world.assignment)
    other = ApiToken(company=world.company_elsewhere, label="RH",
                     token_hash=hash_token("sb_autre"))
    db.session.add(other)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        offers.withdraw_offer(other, world.offer)
    token.revoked_at = dt.datetime.now(dt.UTC)
    assert not can(token, Action.COMPANY_OFFERS, world.offer)


def test_an_inactive_account_is_refused_everything(world: World) -> None:
    steering = world.users["steering"]
    steering.is_active = False
    with pytest.raises(PermissionDenied):
        outbox.list_messages(steering)


def test_a_refused_structures_people_are_refused_their_own_structure(world: World) -> None:
    member = world.users["member_here"]
    tutor = world.users["tutor"]
    assert can(member, Action.COMPANY_AGREEMENTS, world.agreement)
    companies.reject_company(world.users["steering"], world.company, "Ne respecte pas la Charte")
    assert not can(member, Action.COMPANY_AGREEMENTS, world.agreement)
    assert not can(member, Action.COMPANY_OFFERS, world.offer)
    with pytest.raises(PermissionDenied):
        agreements.company_board(member, world.company)
    assert not can(tutor, Action.ASSIGNMENT_PARTY, world.assignment)


def test_an_observer_is_served_aggregates_only(world: World) -> None:
    observer = world.users["observer"]
    assert can(observer, Action.OBSERVE)
    assert [action for action in Action if action != Action.OBSERVE
            and can(observer, action, world.assignment)] == []


def _actor_services() -> set[str]:
    return {name.split(".")[1] for name in _service_functions_taking_an_actor()}


def test_web_views_never_act_as_the_system() -> None:
    """``None`` is the command line and the worker; a view always passes its user or token."""
    names = _actor_services()
    web = Path(services_package.__file__).resolve().parents[1] / "web"
    offenders = []
    for path in sorted(web.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called not in names:
                continue
            first = node.args[0] if node.args else next(
                (k.value for k in node.keywords if k.arg == "actor"), None)
            if isinstance(first, ast.Constant) and first.value is None:
                offenders.append(f"{path.name}:{node.lineno} {called}")
    assert offenders == []

