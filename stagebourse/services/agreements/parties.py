"""The four parties of an agreement: who they are, their addresses, who has signed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from stagebourse.models import (
    PARTIES,
    Agreement,
    AgreementSignature,
    AgreementState,
    Party,
)
from stagebourse.services import ServiceError
from stagebourse.services.agreements.content import PARTY_NAMES


def active_signatures(agreement: Agreement) -> dict[Party, AgreementSignature]:
    return {s.party: s for s in agreement.signatures
            if s.version == agreement.version and s.voided_at is None}


def missing_parties(agreement: Agreement) -> list[Party]:
    signed = active_signatures(agreement)
    return [party for party in PARTIES if party not in signed]


def party_email(agreement: Agreement, party: Party) -> str | None:
    """Where a party's link and code go. The pupil has no address of their own (we keep none):
    the pupil's link goes to the family's address, as a separate link with its own code."""
    content = agreement.content
    address = {
        Party.SCHOOL: content["school"].get("signatory_email"),
        Party.HOST: content["host"].get("email"),
        Party.PUPIL: content["guardian"].get("email"),
        Party.GUARDIAN: content["guardian"].get("email"),
    }[party]
    return address or None


def party_signer_name(agreement: Agreement, party: Party) -> str:
    content = agreement.content
    if party == Party.SCHOOL:
        return str(content["school"]["head_name"])
    if party == Party.HOST:
        return str(content["host"]["representative_name"])
    if party == Party.PUPIL:
        return f"{content['pupil']['first_name']} {content['pupil']['last_name']}"
    return ""  # the guardian's name is not held: they write it when signing


def _reason(party: Party) -> str:
    return {
        Party.SCHOOL: "votre établissement est partie à une convention de stage d'observation "
                      "de la bourse de stages de Valenciennes Métropole.",
        Party.HOST: "votre structure accueille un élève en stage d'observation par la bourse "
                    "de stages de Valenciennes Métropole.",
        Party.PUPIL: "votre adresse est celle de la famille d'un élève qui a obtenu un stage "
                     "d'observation par la bourse de stages de Valenciennes Métropole.",
        Party.GUARDIAN: "votre adresse a été donnée comme celle du représentant légal d'un "
                        "élève qui a obtenu un stage par la bourse de stages de Valenciennes "
                        "Métropole.",
    }[party]


def _check_signable(agreement: Agreement, party: Party) -> None:
    if agreement.state == AgreementState.DRAFT:
        raise ServiceError(_l("Cette convention est encore en relecture par l'établissement : "
                              "elle n'est pas encore à signer."))
    if agreement.state == AgreementState.SIGNED:
        raise ServiceError(_l("Cette convention est déjà signée par les quatre parties : il n'y a "
                              "plus rien à signer."))
    if party in active_signatures(agreement):
        raise ServiceError(_l("La signature de %(party)s est déjà enregistrée sur cette "
                              "version de la convention.", party=PARTY_NAMES[party]))

