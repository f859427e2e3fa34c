"""Access logs without the tokens that links carry in their path.

A password-reset link, a signing link, a tutor's sign-in link, a tutor's preparation link and a
structure's invitation each carry their credential in the URL. Whoever reads the access log
(an operator, a log shipper, a backup of it) would otherwise hold working credentials. Both
servers that write access lines go through :func:`redact`:

- gunicorn in production, through :class:`RedactingGunicornLogger` (``gunicorn.conf.py`` sets
  ``logger_class``); every atom of the line is redacted, the request line, the path, the
  Referer (a page opened from such a link sends it) and the response headers alike;
- the development server (werkzeug), through the filter :func:`install_werkzeug_filter`
  puts on its logger.

The reverse proxy in front of gunicorn logs on its own: docs/privacy.md says how to set it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

# Path prefixes followed by a credential, at the start of a path (after a space, a quote or a
# scheme and host, so "/pilotage/preparation/3" keeps its id).
TOKEN_PREFIXES = ("mot-de-passe", "convention", "acces-tuteur", "preparation",
                  "structures/invitation")
REDACTED = "[jeton]"
_TOKEN_PATH = re.compile(
    r"(?P<lead>^|[\s\"'(]|https?://[^/\s\"']+)"
    r"(?P<prefix>/(?:" + "|".join(re.escape(p) for p in TOKEN_PREFIXES) + r")/)"
    r"[^/?#\s\"']+"
)


def redact(text: str) -> str:
    """``text`` with the token of every link path above replaced by ``[jeton]``."""
    return _TOKEN_PATH.sub(lambda m: f"{m.group('lead')}{m.group('prefix')}{REDACTED}", text)


class RedactingGunicornLogger(Logger):  # type: ignore[misc]  # gunicorn ships no type hints
    """gunicorn's logger, whose access lines never hold a link's token."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value
                for key, value in atoms.items()}


class _RedactingFilter(logging.Filter):
    """Rewrite the development server's access lines (werkzeug formats them with %-args)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def install_werkzeug_filter() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, _RedactingFilter) for f in logger.filters):
        logger.addFilter(_RedactingFilter())
