"""The steering group's view of agreements: the share signed N days before the first day."""

from __future__ import annotations

from flask import render_template, request
from werkzeug.wrappers import Response

from stagebourse.services import agreements
from stagebourse.web.exports import csv_response
from stagebourse.web.steering import bp

DEFAULT_DAYS = 7


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


@bp.route("/conventions")
def agreement_share() -> str | Response:
    days = request.args.get("jours", type=int)
    days = days if days is not None and 0 <= days <= 120 else DEFAULT_DAYS
    shares = agreements.signed_share(days)
    if request.args.get("format") == "csv":
        return csv_response(f"conventions-signees-J-{days}.csv", [
            "campagne", "premier jour", "affectations confirmées", "date repère",
            f"signées à J-{days}", f"part signée à J-{days} (%)", "signées aujourd'hui",
            "part signée aujourd'hui (%)"], [
            (s.campaign.name, s.first_day.isoformat() if s.first_day else "", s.confirmed,
             s.deadline.isoformat() if s.deadline else "", s.signed_by_deadline,
             _percent(s.signed_by_deadline, s.confirmed), s.signed_now,
             _percent(s.signed_now, s.confirmed)) for s in shares])
    return render_template("steering/agreements.html", shares=shares, days=days,
                           percent=_percent)
