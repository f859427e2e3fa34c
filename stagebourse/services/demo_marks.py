"""What marks demo data: the demo's mail domain and its pupil codes, whose passwords and
codes are published in the README. Production refuses to start with any of it, and refuses
those credentials at sign-in should some be left (docs/privacy.md, "Demo credentials")."""

from __future__ import annotations

import hashlib

from sqlalchemy import or_, select

from stagebourse.extensions import db
from stagebourse.models import Role, User

DEMO_DOMAIN = "demo.stagebourse.fr"
DEMO_PASSWORD = "demo"
DEMO_PUPIL_CODE = "DEMO-ELEVE"
# Every code the demo gives starts so; real codes cannot (their alphabet has no letter O).
DEMO_CODE_PREFIX = "DEMO"


def is_demo_email(email: str) -> bool:
    """The demo's accounts and tutors: ``…@demo.stagebourse.fr`` and its subdomains."""
    domain = email.strip().lower().rpartition("@")[2]
    return domain == DEMO_DOMAIN or domain.endswith("." + DEMO_DOMAIN)


def is_demo_code(normalised_code: str) -> bool:
    return normalised_code.startswith(DEMO_CODE_PREFIX)


def _code_digest(code: str) -> str:
    # The same digest as accounts.hash_code (kept here: accounts imports this module).
    clean = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(clean.encode()).hexdigest()


def demo_credentials_present() -> bool:
    """Any demo account, or a pupil with the published demo code, in the database."""
    found = db.session.scalar(select(User.id).where(or_(
        User.email.like(f"%@{DEMO_DOMAIN}"), User.email.like(f"%.{DEMO_DOMAIN}"),
        (User.role == Role.PUPIL) & (User.access_code_hash == _code_digest(DEMO_PUPIL_CODE)),
    )).limit(1))
    return found is not None
