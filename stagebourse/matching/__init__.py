"""The blind optimal matcher: a pure engine (numpy, scipy, OR-Tools), no web, no database.

Typical use from a service::

    from stagebourse.matching import Params, Pupil, Offer, make_instance, run_mechanism
    from stagebourse.matching import instance_sha256, result_to_dict, audit

    instance = make_instance(Params(seed=seed), pupils, offers)   # validates
    result = run_mechanism(instance, "optimal")                     # MatchResult
    document = result_to_dict(result, instance_sha256(instance))    # the public result file
    tables = audit([result, run_mechanism(instance, "fcfs")], groups)

``docs/matching.md`` describes the model, the exactness guarantees and the certificate.
"""

from .audit import audit, render_audit
from .costs import Problem, build_problem
from .instance import (
    Instance,
    InstanceError,
    Offer,
    Params,
    Pupil,
    instance_from_dict,
    instance_to_dict,
    make_instance,
)
from .io import (
    instance_sha256,
    load_groups,
    load_instance,
    load_result,
    result_from_dict,
    result_to_dict,
)
from .mechanisms import MECHANISMS, MatchResult, run_mechanism
from .verify import VerifyReport, verify_result

__all__ = [
    "MECHANISMS",
    "Instance",
    "InstanceError",
    "MatchResult",
    "Offer",
    "Params",
    "Problem",
    "Pupil",
    "VerifyReport",
    "audit",
    "build_problem",
    "instance_from_dict",
    "instance_sha256",
    "instance_to_dict",
    "load_groups",
    "load_instance",
    "load_result",
    "make_instance",
    "render_audit",
    "result_from_dict",
    "result_to_dict",
    "run_mechanism",
    "verify_result",
]
