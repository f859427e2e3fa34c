"""French labels for the domain's states and kinds, one place for the whole UI."""

from __future__ import annotations

import enum
from typing import Any

from flask_babel import lazy_gettext as _l

LABELS: dict[str, object] = {
    # Campaign states
    "CampaignState.draft": _l("brouillon"),
    "CampaignState.open": _l("ouverte aux vœux"),
    "CampaignState.closed": _l("vœux clos"),
    "CampaignState.matched": _l("affectation calculée"),
    "CampaignState.published": _l("résultats publiés"),
    "CampaignState.finished": _l("terminée"),
    # Company states and charter
    "CompanyState.pending": _l("en attente de validation"),
    "CompanyState.validated": _l("validée"),
    "CompanyState.rejected": _l("refusée"),
    "CompanyState.suspended": _l("suspendue"),
    "CharterStatus.none": _l("non déclarée"),
    "CharterStatus.declared": _l("déclarée, à vérifier"),
    "CharterStatus.verified": _l("signataire vérifié"),
    "CompanyKind.company": _l("Entreprise"),
    "CompanyKind.association": _l("Association"),
    "CompanyKind.public_body": _l("Organisme public"),
    # Offers
    "OfferState.draft": _l("brouillon"),
    "OfferState.published": _l("publiée"),
    "OfferState.withdrawn": _l("retirée"),
    # Requests
    "RequestState.draft": _l("en cours"),
    "RequestState.confirmed": _l("confirmée"),
    "RequestState.found_own": _l("stage trouvé par ses propres moyens"),
    "RequestState.withdrawn": _l("retirée"),
    # How a guardian's consent was given (shown as « Donné le … (sur papier) »)
    "ConsentMethod.paper": _l("sur papier"),
    "ConsentMethod.email": _l("par e-mail"),
    "ConsentMethod.in_person": _l("en personne"),
    # Matching runs and assignments
    "RunState.queued": _l("en attente"),
    "RunState.running": _l("en cours de calcul"),
    "RunState.done": _l("essai prêt à comparer"),
    "RunState.failed": _l("échec"),
    "RunState.published": _l("publié"),
    "RunState.discarded": _l("écarté"),
    "AssignmentState.proposed": _l("proposée"),
    "AssignmentState.published": _l("publiée, en attente de réponse"),
    "AssignmentState.confirmed": _l("confirmée"),
    "AssignmentState.declined": _l("refusée"),
    "AssignmentState.cancelled": _l("annulée"),
    "AssignmentState.completed": _l("stage effectué"),
    # A host's reasons (closed list) and its withdrawal requests after the reveal
    "HostReason.seat_gone": _l("plus de place cette semaine-là"),
    "HostReason.tutor_unavailable": _l("tuteur ou tutrice indisponible"),
    "HostReason.accessibility": _l("accessibilité finalement impossible"),
    "HostReason.other": _l("autre raison"),
    "WithdrawalState.pending": _l("en attente de décision"),
    "WithdrawalState.accepted": _l("acceptée : stage retiré"),
    "WithdrawalState.refused": _l("refusée : le stage est maintenu"),
    # Questionnaires
    "Respondent.pupil": _l("élèves"),
    "Respondent.tutor": _l("tuteurs"),
    "QuestionnaireState.draft": _l("brouillon"),
    "QuestionnaireState.in_use": _l("en service"),
    "QuestionnaireState.closed": _l("remplacé par une version plus récente"),
    "InvitationChannel.email": _l("courriel"),
    "InvitationChannel.class_sheet": _l("fiche de classe"),
    # Agreements
    "AgreementState.draft": _l("en préparation"),
    "AgreementState.to_sign": _l("à signer"),
    "AgreementState.signed": _l("signée"),
    "AgreementState.voided": _l("annulée"),
    "Party.school": _l("l'établissement"),
    "Party.host": _l("la structure d'accueil"),
    "Party.pupil": _l("l'élève"),
    "Party.guardian": _l("le ou la représentant(e) légal(e)"),
    "SignatureMethod.link_code": _l("lien et code par e-mail"),
    "SignatureMethod.paper": _l("sur papier"),
    # Accounts
    "Role.pupil": _l("élève"),
    "Role.teacher": _l("professeur"),
    "Role.company": _l("membre d'une structure d'accueil"),
    "Role.tutor": _l("tuteur ou tutrice"),
    "Role.steering": _l("groupe de pilotage"),
    "Role.observer": _l("observateur du comité de pilotage"),
    # Levels
    "Level.3e": _l("3e"),
    "Level.2de": _l("seconde"),
}


# Who ended an assignment, where it matters to the reader: a host's refusal is not the pupil's.
ENDED_BY: dict[tuple[str, str], object] = {
    ("declined", "pupil"): _l("refusée par l'élève"),
    ("declined", "company"): _l("refusée par la structure"),
    ("declined", "deadline"): _l("non confirmée à temps"),
    ("cancelled", "withdrawn"): _l("retirée à la demande de la structure"),
}


def label(value: enum.Enum | None) -> str:
    """``{{ label(campaign.state) }}`` → « ouverte aux vœux »."""
    if value is None:
        return ""
    found = LABELS.get(f"{type(value).__name__}.{value.value}")
    return str(found) if found is not None else str(value.value)


def label_of(kind: str, value: str) -> str:
    """``{{ label_of("AssignmentState", "published") }}`` → « publiée, en attente de réponse »:
    for templates that hold a state's value (a filter's options), not the enum member."""
    found = LABELS.get(f"{kind}.{value}")
    return str(found) if found is not None else value


def assignment_status(assignment: Any) -> str:
    """``{{ assignment_status(a) }}`` → « refusée par la structure », « confirmée »…: the
    state, and who ended it when someone did."""
    ended = ENDED_BY.get((assignment.state.value, assignment.declined_by or ""))
    return str(ended) if ended is not None else label(assignment.state)
