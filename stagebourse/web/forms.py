"""Form helpers shared by every blueprint."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from stagebourse.models import Level
from stagebourse.services.accounts import MIN_PASSWORD_LENGTH


def safe_next(target: str | None) -> str | None:
    """Only follow ``next`` to a path of this site (no open redirect)."""
    if not target:
        return None
    # Control characters (CR/LF would split the Location header) and backslashes (which
    # browsers read as "/") never belong to a path of ours.
    if any(ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


# The two levels, worded the same on every form that asks for one.
LEVEL_CHOICES = [SelectChoice(Level.TROISIEME.value, _l("3e (collège)")),
                 SelectChoice(Level.SECONDE.value, _l("Seconde (lycée)"))]


def select_choices(pairs: Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    """``[(value, label), ...]`` → SelectChoice objects (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


def new_password_fields(label: Any = None) -> tuple[PasswordField, PasswordField]:
    """A new password and its confirmation (assign them to ``password`` and ``confirm``)."""
    return (
        PasswordField(label or _l("Mot de passe"), validators=[
            DataRequired(_l("Choisissez un mot de passe.")),
            Length(min=MIN_PASSWORD_LENGTH, max=200,
                   message=_l("Entre %(min)d et %(max)d caractères."))]),
        PasswordField(_l("Confirmez le mot de passe"), validators=[
            DataRequired(_l("Recopiez le mot de passe.")),
            EqualTo("password", _l("Les deux mots de passe sont différents."))]),
    )


class ActionForm(FlaskForm):
    """Only the CSRF token, for a one-button action (approve, publish, withdraw, send…): the
    button's own label says what it does."""
