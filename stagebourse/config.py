"""Settings read from the environment.

Every variable is documented in the README ("Configuration"). The embedded default is a SQLite
file in the instance folder; production sets ``STAGEBOURSE_ENV=production``, ``DATABASE_URL``
(PostgreSQL) and a strong ``SECRET_KEY``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from stagebourse.filemodes import write_private

WEAK_SECRET_KEYS = {"", "dev", "secret", "changeme", "change-me", "demo", "test"}
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(RuntimeError):
    """A setting is missing or unsafe; the message says which and how to fix it."""


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Route PostgreSQL URLs through psycopg 3, whatever scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def instance_secret_key(instance_path: str) -> str:
    """Read the demo secret key from the instance folder, creating it once."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        write_private(path, secrets.token_urlsafe(48).encode())
    return path.read_text().strip()


def check_production_secret(key: str | None) -> None:
    if key is None or key.strip().lower() in WEAK_SECRET_KEYS or len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            "SECRET_KEY est absente ou trop faible pour la production : fournissez au moins "
            f"{MIN_SECRET_KEY_LENGTH} caractères aléatoires, par exemple "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )


def check_production_public_url(url: str | None) -> None:
    """Links in e-mails, printed slips and QR codes are built on ``PUBLIC_URL``: in production a
    forgotten setting would send every family to 127.0.0.1, so it must be given, over HTTPS."""
    parts = urlsplit(url or "")
    if parts.scheme != "https" or not parts.netloc:
        raise ConfigError(
            "PUBLIC_URL est absente ou n'est pas une adresse https : indiquez l'adresse publique "
            "du service, par exemple `PUBLIC_URL=https://stages.example.fr`. Les liens des "
            "e-mails et des fiches imprimées sont construits sur elle."
        )


def _fault_test_settings(env: str) -> dict[str, object]:
    """Only in the test environment: the fault tests stop a worker at a given job progress
    (it waits for a file to appear) to kill it there. Ignored anywhere else."""
    if env != "test":
        return {}
    pause_at = os.environ.get("JOB_TEST_PAUSE_AT_PROGRESS")
    return {"JOB_TEST_PAUSE_AT_PROGRESS": int(pause_at) if pause_at else None,
            "JOB_TEST_RESUME_FILE": os.environ.get("JOB_TEST_RESUME_FILE") or None}


def from_environment(instance_path: str) -> dict[str, object]:
    """Build the Flask config mapping from environment variables."""
    env = os.environ.get("STAGEBOURSE_ENV", "development")
    production = env == "production"
    secret_key = os.environ.get("SECRET_KEY")
    if production:
        check_production_secret(secret_key)
        check_production_public_url(os.environ.get("PUBLIC_URL"))
    elif not secret_key:
        secret_key = instance_secret_key(instance_path)

    default_db = "sqlite:///" + str(Path(instance_path) / "stagebourse.sqlite3")
    mail_port = int(os.environ.get("MAIL_PORT", "25"))
    return {
        "STAGEBOURSE_ENV": env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            os.environ.get("DATABASE_URL", default_db)
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "SESSION_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "SERVER_NAME": os.environ.get("SERVER_NAME") or None,
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": mail_port,
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "Bourse de stages <ne-pas-repondre@stagebourse.fr>"
        ),
        "MAIL_REPLY_TO": os.environ.get("MAIL_REPLY_TO", "pilotage@stagebourse.fr"),
        "MAIL_TIMEOUT": int(os.environ.get("MAIL_TIMEOUT", "10")),
        # Outbox delivery: attempts before "failed", backoff base and cap (seconds, doubled
        # per attempt, with jitter), how long a claimed message may stay "sending" before
        # another worker takes it back, and how many messages a worker claims at once.
        # With the defaults a message survives a mail server down for about three hours.
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("MAIL_MAX_ATTEMPTS", "10")),
        "MAIL_RETRY_BASE_SECONDS": int(os.environ.get("MAIL_RETRY_BASE_SECONDS", "30")),
        "MAIL_RETRY_MAX_SECONDS": int(os.environ.get("MAIL_RETRY_MAX_SECONDS", "3600")),
        "MAIL_CLAIM_LEASE_SECONDS": int(os.environ.get("MAIL_CLAIM_LEASE_SECONDS", "300")),
        "MAIL_BATCH_SIZE": int(os.environ.get("MAIL_BATCH_SIZE", "50")),
        # Job queue (matching runs): a job whose worker gave no news for this long is taken
        # back by another worker, at most this many times in all.
        "JOB_LEASE_SECONDS": int(os.environ.get("JOB_LEASE_SECONDS", "600")),
        "JOB_MAX_ATTEMPTS": int(os.environ.get("JOB_MAX_ATTEMPTS", "3")),
        **_fault_test_settings(env),
        # Tutors' personal links (days of validity) and reminders (days before the first day).
        "PREPARATION_LINK_DAYS": int(os.environ.get("PREPARATION_LINK_DAYS", "60")),
        # A tutor's personal sign-in link (named by their structure): days of validity.
        "TUTOR_LINK_DAYS": int(os.environ.get("TUTOR_LINK_DAYS", "30")),
        # Scans of agreements signed on paper: a real PDF of at most this many bytes.
        "AGREEMENT_SCAN_MAX_BYTES": int(os.environ.get("AGREEMENT_SCAN_MAX_BYTES",
                                                       str(8 * 1024 * 1024))),
        "PREPARATION_REMINDER_DAYS": [
            int(d) for d in os.environ.get("PREPARATION_REMINDER_DAYS", "14,3").split(",")
            if d.strip()
        ],
        # Teachers are reminded of their pupils lacking guardian consent this many days
        # before the wishes deadline (once per campaign).
        "CONSENT_REMINDER_DAYS": int(os.environ.get("CONSENT_REMINDER_DAYS", "10")),
        "SIGNATORY_REMINDER_DAYS": int(os.environ.get("SIGNATORY_REMINDER_DAYS", "14")),
        # Matching audit: groups smaller than this are shown "secret", with no figure.
        "AUDIT_MIN_CELL": int(os.environ.get("AUDIT_MIN_CELL", "11")),
        # A host whose declines before the reveal plus withdrawal requests after it reach this
        # number is flagged to the steering group on its page.
        "HOST_REFUSAL_ALERT": int(os.environ.get("HOST_REFUSAL_ALERT", "3")),
        # Published tables: a reader's interval for any hidden count is at least this wide.
        "PROTECTION_WIDTH": int(os.environ.get("PROTECTION_WIDTH", "11")),
        # Observatory: no release of a campaign with fewer answers than this (docs/privacy.md).
        "RELEASE_MIN_RESPONDENTS": int(os.environ.get("RELEASE_MIN_RESPONDENTS", "30")),
        # Signed-in sessions end after this long without a request, and this long after
        # sign-in whatever happens (shared school computers; docs/privacy.md).
        "SESSION_IDLE_MINUTES": int(os.environ.get("SESSION_IDLE_MINUTES", "120")),
        "SESSION_LIFETIME_HOURS": int(os.environ.get("SESSION_LIFETIME_HOURS", "12")),
        # Reverse proxies in front of the app that append to X-Forwarded-For (0: none, the
        # client talks to the app directly). Throttling keys on the address they report.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        # Guessing (passwords, pupil codes, signing codes, API tokens): the first `free`
        # failures from one address (or one address on one account) cost nothing, then after
        # n failures it waits base * 2**(n-free-1) seconds, at most the cap; failures older
        # than the memory are forgotten (services/throttle.py).
        "THROTTLE_FREE_FAILURES": int(os.environ.get("THROTTLE_FREE_FAILURES", "2")),
        "THROTTLE_BASE_SECONDS": int(os.environ.get("THROTTLE_BASE_SECONDS", "8")),
        "THROTTLE_MAX_SECONDS": int(os.environ.get("THROTTLE_MAX_SECONDS", "900")),
        "THROTTLE_MEMORY_SECONDS": int(os.environ.get("THROTTLE_MEMORY_SECONDS", "3600")),
        # Mail an anonymous visitor can trigger, per day.
        "RESET_MAILS_PER_ACCOUNT_PER_DAY": int(
            os.environ.get("RESET_MAILS_PER_ACCOUNT_PER_DAY", "3")),
        "RESET_REQUESTS_PER_ADDRESS_PER_DAY": int(
            os.environ.get("RESET_REQUESTS_PER_ADDRESS_PER_DAY", "20")),
        "JOIN_REQUESTS_PER_ADDRESS_PER_DAY": int(
            os.environ.get("JOIN_REQUESTS_PER_ADDRESS_PER_DAY", "3")),
        "JOIN_REQUESTS_PER_COMPANY_PER_DAY": int(
            os.environ.get("JOIN_REQUESTS_PER_COMPANY_PER_DAY", "5")),
        # Partner API: requests allowed per token in each fixed window (kept in the database).
        "API_RATE_LIMIT": int(os.environ.get("API_RATE_LIMIT", "120")),
        "API_RATE_WINDOW_SECONDS": int(os.environ.get("API_RATE_WINDOW_SECONDS", "60")),
        # A structure's offers reach pupils only once the steering group verified its
        # Diversity Charter signature (the plan starts from the Charter's signatories).
        "CHARTER_GATE": _bool("CHARTER_GATE", True),
        # Help for victims: where « Être rappelé·e » requests go, how long they are kept, and
        # how many one client address may send per window.
        "HELP_REFERENT_EMAIL": os.environ.get("HELP_REFERENT_EMAIL") or None,
        "CALLBACK_RETENTION_DAYS": int(os.environ.get("CALLBACK_RETENTION_DAYS", "30")),
        "CALLBACK_RATE_LIMIT": int(os.environ.get("CALLBACK_RATE_LIMIT", "3")),
        "CALLBACK_RATE_WINDOW_SECONDS": int(os.environ.get("CALLBACK_RATE_WINDOW_SECONDS",
                                                           "3600")),
        # The help directory (who to turn to, by need): a CSV kept in the repository.
        "HELP_CONTACTS_FILE": os.environ.get("HELP_CONTACTS_FILE") or None,
        # Uploaded files never served publicly (Charter evidence, CSV awaiting confirmation).
        "PRIVATE_FILES_DIR": os.environ.get("PRIVATE_FILES_DIR") or None,
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "LANGUAGES": ["fr", "en"],
        "WTF_CSRF_TIME_LIMIT": 4 * 3600,
        "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
        # Imports (offers, class rosters, Charter signatories): the largest file read, and
        # the most rows of a file sent by a structure or a school (each import may have a
        # lower limit of its own). Both are checked while reading, before anything is parsed.
        "IMPORT_MAX_BYTES": int(os.environ.get("IMPORT_MAX_BYTES", str(2 * 1024 * 1024))),
        "IMPORT_MAX_ROWS": int(os.environ.get("IMPORT_MAX_ROWS", "1000")),
        # Files kept between an import's preview and its confirmation: dropped after this
        # many seconds (the worker and `stagebourse purge` clean them), and at most this
        # many bytes per structure (its oldest previews are dropped first).
        "IMPORT_STAGED_MAX_AGE_SECONDS": int(
            os.environ.get("IMPORT_STAGED_MAX_AGE_SECONDS", "3600")),
        "IMPORT_STAGED_QUOTA_BYTES": int(
            os.environ.get("IMPORT_STAGED_QUOTA_BYTES", str(4 * 1024 * 1024))),
    }


def demo_data_allowed(config: dict[str, object] | object) -> bool:
    """Demo accounts (known passwords) must never exist in production."""
    env = config.get("STAGEBOURSE_ENV") if isinstance(config, dict) else None
    return env != "production"
