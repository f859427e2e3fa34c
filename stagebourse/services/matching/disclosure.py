"""The instance and result files of a round, as given to an auditor: pseudonymised personal
data, not anonymous data (docs/privacy.md, "The auditor's files").

A pupil's record in an instance holds no name, but its level, age, place of departure (home
commune or school), travel limit, weeks, accessibility need and wishes together often single
out one pupil: whoever knows those facts about a pupil (a teacher, a parent) finds the record.
So, before a download:

- the steering group sees the re-identification risk: the share of records that are unique
  on those quasi-identifiers (:func:`reidentification_risk`);
- the files keep only what verifying the rules needs (:func:`minimised_documents`): the age is
  replaced by its class among the offers' minimum ages, and the travel limit by a round value
  that keeps exactly the same offers within reach; that is all the rules compare them with,
  so every constraint, every cost and therefore the result are unchanged, and
  ``stagebourse matching verify`` passes on the exported pair;
- each download is journaled with its recipient and purpose (:func:`download_instance`).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from flask_babel import lazy_gettext as _l

from stagebourse import clock
from stagebourse import matching as engine
from stagebourse.matching.costs import distance_metres
from stagebourse.matching.io import write_json
from stagebourse.models import MatchingRun, User
from stagebourse.services import ServiceError, journal
from stagebourse.services.journal import Event
from stagebourse.services.policy import Action, require

# What someone who knows a pupil may know about them, and finds in the pupil's record. The
# pseudonym is not one (it is drawn at random for the round); the offers are public.
QUASI_IDENTIFIERS = ("level", "age", "lat", "lon", "max_km", "needs_accessible", "weeks",
                     "wishes")
# The facts a classmate or a neighbour knows without asking: the smaller set.
DEMOGRAPHIC_IDENTIFIERS = ("level", "age", "lat", "lon", "needs_accessible")

MAX_TEXT = 200


def _key(record: Mapping[str, Any], fields: Iterable[str]) -> tuple[str, ...]:
    return tuple(json.dumps(record[name], sort_keys=True) for name in fields)


@dataclass(frozen=True)
class ReidentificationRisk:
    """How many pupil records of an instance are alone of their kind."""

    records: int
    unique: int  # unique on all the quasi-identifiers
    unique_demographic: int  # unique on level, age, place and accessibility alone
    accessible: int  # records with the accessibility need
    unique_accessible: int  # ... of which unique on all the quasi-identifiers

    @staticmethod
    def _share(part: int, whole: int) -> float:
        return part / whole if whole else 0.0

    @property
    def unique_share(self) -> float:
        return self._share(self.unique, self.records)

    @property
    def unique_demographic_share(self) -> float:
        return self._share(self.unique_demographic, self.records)

    def as_dict(self) -> dict[str, Any]:
        return {"records": self.records, "unique": self.unique,
                "unique_demographic": self.unique_demographic, "accessible": self.accessible,
                "unique_accessible": self.unique_accessible}


def reidentification_risk(instance: Mapping[str, Any]) -> ReidentificationRisk:
    """Count the pupil records of an instance document that are unique on the
    quasi-identifiers (all of them, and the demographic ones alone)."""
    pupils = list(instance.get("pupils", []))
    full = Counter(_key(p, QUASI_IDENTIFIERS) for p in pupils)
    demographic = Counter(_key(p, DEMOGRAPHIC_IDENTIFIERS) for p in pupils)
    unique = [p for p in pupils if full[_key(p, QUASI_IDENTIFIERS)] == 1]
    return ReidentificationRisk(
        records=len(pupils), unique=len(unique),
        unique_demographic=sum(
            1 for p in pupils if demographic[_key(p, DEMOGRAPHIC_IDENTIFIERS)] == 1),
        accessible=sum(1 for p in pupils if p["needs_accessible"]),
        unique_accessible=sum(1 for p in unique if p["needs_accessible"]))


def _age_class(age: int, thresholds: list[int]) -> int:
    """The largest minimum age the pupil reaches, or one below the smallest: the rules only
    ever ask "is the pupil at least this old?" about these thresholds."""
    reached = [t for t in thresholds if t <= age]
    return max(reached) if reached else max(min(thresholds) - 1, 0)


# Round travel limits (km) a pupil's limit is replaced by when one of them keeps the same
# offers within reach; the smallest that does is used.
ROUND_KM = (1, 2, 3, 5, 7, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 500, 1000)


def _round_limit(max_km: float, reach_km: np.ndarray) -> float:
    """A round limit with exactly the same offers within reach, else the limit itself. The
    model's distance is the engine's (``distance_metres``, in whole metres): an offer is within
    reach iff that distance is at most the limit."""
    within = reach_km[reach_km <= max_km]
    beyond = reach_km[reach_km > max_km]
    low = float(within.max()) if within.size else 0.0
    high = float(beyond.min()) if beyond.size else float("inf")
    return next((float(k) for k in ROUND_KM if low <= k < high), max_km)


def minimised_documents(run: MatchingRun) -> tuple[dict[str, Any], dict[str, Any]]:
    """The instance and result documents of a round with each age replaced by its class.

    The exported instance is not byte for byte the round's, so its hash differs: the result
    names the exported instance's hash (what ``verify`` checks) and, beside it, the round's
    (``round_instance_sha256``), which the audit page shows."""
    if not run.instance_json or not run.result_json:
        raise ServiceError(_l("Ce tour n'a pas de résultat à exporter."))
    instance = json.loads(run.instance_json)
    result = json.loads(run.result_json)
    offers = instance["offers"]
    thresholds = sorted({int(o["min_age"]) for o in offers})
    offer_lat = np.asarray([o["lat"] for o in offers], dtype=np.float64)
    offer_lon = np.asarray([o["lon"] for o in offers], dtype=np.float64)
    for pupil in instance["pupils"] if offers else []:
        pupil["age"] = _age_class(int(pupil["age"]), thresholds)
        reach_km = distance_metres(pupil["lat"], pupil["lon"], offer_lat, offer_lon) / 1000.0
        pupil["max_km"] = _round_limit(float(pupil["max_km"]), reach_km)
    exported_sha256 = engine.instance_sha256(engine.instance_from_dict(instance))
    instance["export"] = {
        "round": run.id, "round_instance_sha256": run.instance_sha256,
        "age": "class among the offers' min_age values (the rules compare nothing else)",
        "max_km": "a round value keeping exactly the same offers within reach",
        "nature": "pseudonymised personal data: not anonymous",
    }
    result["round_instance_sha256"] = run.instance_sha256
    result["instance_sha256"] = exported_sha256
    return instance, result


def instance_export_risk(actor: User | None, run: MatchingRun) -> ReidentificationRisk:
    """The risk of the files as they would be downloaded (after minimisation)."""
    require(actor, Action.STEER_MATCHING, run)
    return reidentification_risk(minimised_documents(run)[0])


def _checked(text: str, what: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise ServiceError(_l("Indiquez %(what)s : chaque téléchargement est inscrit au "
                              "journal avec son destinataire et sa finalité.", what=what))
    return text[:MAX_TEXT]


def _journal_download(actor: User | None, run: MatchingRun, recipient: str, purpose: str,
                      risk: ReidentificationRisk) -> tuple[str, str]:
    recipient = _checked(recipient, str(_l("le destinataire")))
    purpose = _checked(purpose, str(_l("la finalité")))
    journal.record(actor, Event.MATCHING_INSTANCE_DOWNLOADED, run, recipient=recipient,
                   purpose=purpose, **risk.as_dict())
    return recipient, purpose


def _notice(run: MatchingRun, recipient: str, purpose: str, risk: ReidentificationRisk,
            day: dt.date) -> str:
    return (
        f"Tour d'affectation n° {run.id} — fichiers remis le {day:%d/%m/%Y}\n"
        f"Destinataire : {recipient}\nFinalité : {purpose}\n\n"
        "DONNÉES PERSONNELLES PSEUDONYMISÉES, PAS ANONYMES. Chaque élève y figure sous un "
        "pseudonyme, mais son niveau, son âge (par classe), son lieu de départ, sa distance "
        "maximale, ses semaines, son besoin d'accessibilité et ses vœux permettent souvent de "
        f"le reconnaître : {risk.unique} fiche(s) sur {risk.records} sont uniques. "
        "Utilisez-les pour la seule finalité ci-dessus, ne les diffusez pas, ne cherchez pas "
        "à reconnaître un élève, et supprimez-les après usage.\n\n"
        f"Vérifier : stagebourse matching verify run-{run.id}-instance.json "
        f"run-{run.id}-result.json\n")


def download_instance(actor: User | None, run: MatchingRun, recipient: str, purpose: str
                      ) -> bytes:
    """A zip of the minimised instance, its result and a notice naming the recipient, the
    purpose and the nature of the data; the download is journaled."""
    require(actor, Action.STEER_MATCHING, run)
    instance, result = minimised_documents(run)
    risk = reidentification_risk(instance)
    recipient, purpose = _journal_download(actor, run, recipient, purpose, risk)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, document in ((f"run-{run.id}-instance.json", instance),
                               (f"run-{run.id}-result.json", result)):
            archive.writestr(name, json.dumps(document, ensure_ascii=False,
                                              separators=(",", ":"), allow_nan=False) + "\n")
        archive.writestr("LISEZMOI.txt", _notice(run, recipient, purpose, risk, clock.today()))
    return buffer.getvalue()


def export_files(actor: User | None, run: MatchingRun, directory: Path, recipient: str,
                 purpose: str) -> list[Path]:
    """Write the minimised instance and result files (never the pseudonym map) for the
    command line; journaled like a download."""
    require(actor, Action.STEER_MATCHING, run)
    instance, result = minimised_documents(run)
    risk = reidentification_risk(instance)
    recipient, purpose = _journal_download(actor, run, recipient, purpose, risk)
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"run-{run.id}-instance.json", directory / f"run-{run.id}-result.json"]
    write_json(paths[0], instance)
    write_json(paths[1], result)
    (directory / f"run-{run.id}-LISEZMOI.txt").write_text(
        _notice(run, recipient, purpose, risk, clock.today()), encoding="utf-8")
    return paths
