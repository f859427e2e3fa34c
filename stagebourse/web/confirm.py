"""A second step before an action that cannot be undone, that works without JavaScript.

The action's button posts as usual; without ``confirm=1`` the route writes nothing and answers
with a page that sums up what will happen and carries the typed fields in a second form,
whose button posts again with ``confirm=1``. Only then does the route act. A crafted request
without the field cannot act either: the refusal is in the route, not in a script.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import render_template, request

from stagebourse.web.forms import ActionForm

CONFIRM_FIELD = "confirm"


def confirmed() -> bool:
    """Whether this request is the second step (a POST carrying ``confirm=1``)."""
    return request.method == "POST" and request.form.get(CONFIRM_FIELD) == "1"


def confirmation_page(*, title: str, action: str, button: str, back: str,
                      consequence: str = "", facts: Iterable[tuple[str, Any]] = (),
                      carry: Mapping[str, Any] | None = None, advice: str = "",
                      danger: bool = True) -> tuple[str, int]:
    """The page of the first step: ``facts`` as (label, value) rows, what cannot be undone
    (``consequence``), a form posting to ``action`` with ``carry`` as hidden fields, and a way
    back to ``back`` that does nothing."""
    return render_template(
        "_confirm.html", title=title, action=action, button=button, back=back,
        consequence=consequence, facts=list(facts), advice=advice, danger=danger,
        carry={key: "" if value is None else str(value) for key, value in (carry or {}).items()},
        form=ActionForm(), confirm_field=CONFIRM_FIELD), 200
