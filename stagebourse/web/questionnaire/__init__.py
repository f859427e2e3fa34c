"""The anonymous answer pages: no account, no session, no cookie (docs/privacy.md).

CSRF protection is deliberately off here. Flask-WTF's token lives in the session cookie, which
would be the one thing tying a browser to an answer; and CSRF has nothing to protect on these
pages: it abuses the credentials a browser sends by itself (a session cookie), while here the
only credential is the code typed into the form. A forged cross-site post would need the code,
and whoever has the code can answer directly anyway.
"""

import logging

from flask import Blueprint

bp = Blueprint("questionnaire", __name__, url_prefix="/questionnaire")



class _NoQuestionnaireAccessLog(logging.Filter):
    """Drop the development server's access-log lines for these pages: such a line holds the
    visitor's address and the second of the answer. (In production the reverse proxy is set
    the same way: docs/privacy.md.)"""

    def filter(self, record: logging.LogRecord) -> bool:
        return "/questionnaire" not in record.getMessage()


def install_log_filter() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, _NoQuestionnaireAccessLog) for f in logger.filters):
        logger.addFilter(_NoQuestionnaireAccessLog())


from stagebourse.web.questionnaire import routes  # noqa: E402, F401
