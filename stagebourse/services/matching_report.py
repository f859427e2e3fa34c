"""The audit of a run as tables people read: French labels, small cells hidden, CSV/XLSX.

The figures come from the engine's audit stored on the run (``MatchingRun.audit_json``); this
module only formats them. Groups smaller than ``AUDIT_MIN_CELL`` (default 11) are shown as
"< 11" and none of their figures is given (MISSION.md, rule 5).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_decimal, format_percent
from flask_babel import lazy_gettext as _l

from stagebourse.models import MatchingRun, User
from stagebourse.services.matching import min_cell, run_audit
from stagebourse.services.policy import Action, require

MECHANISM_LABELS = {"optimal": _l("Bourse (optimal)"), "fcfs": _l("Premier arrivé"),
                    "network-first": _l("Réseau d'abord")}
LABEL_TITLES = {"gender": _l("Genre"), "school": _l("Établissement"),
                "qpv": _l("Résidence en QPV"), "disability": _l("Handicap (lieu accessible)"),
                "network": _l("Réseau familial")}
VALUE_LABELS = {("gender", "F"): _l("filles"), ("gender", "M"): _l("garçons"),
                ("gender", "X"): _l("autre"), ("*", "yes"): _l("oui"), ("*", "no"): _l("non"),
                ("*", "(missing)"): _l("non renseigné")}


def mechanism_label(mechanism: str) -> str:
    return str(MECHANISM_LABELS.get(mechanism, mechanism))


def value_label(label_name: str, value: str) -> str:
    found = VALUE_LABELS.get((label_name, value)) or VALUE_LABELS.get(("*", value))
    return str(found) if found is not None else value


def _pct(x: float | None) -> str:
    return "—" if x is None else format_percent(x, "#,##0.0 %")


def _num(x: float | None, pattern: str = "#,##0.00") -> str:
    return "—" if x is None else format_decimal(x, pattern)


def _gap(g: dict[str, Any] | None) -> str:
    if not g or g.get("gap") is None:
        return "—"
    low, high = g.get("low"), g.get("high")
    text: str = format_decimal(100 * g["gap"], "+#,##0.0;-#,##0.0") + " pts"
    if low is not None and high is not None:
        text += f" [{format_decimal(100 * low, '+#,##0.0;-#,##0.0')} ; " \
                f"{format_decimal(100 * high, '+#,##0.0;-#,##0.0')}]"
    return text


@dataclass
class Bar:
    group: str
    series: str
    value: float  # 0..1
    text: str


@dataclass
class Table:
    id: str
    title: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)  # the chart drawn from this table
    chart_title: str = ""


def small(size: int) -> bool:
    return size < min_cell()


def hidden_size() -> str:
    return f"< {min_cell()}"


def audit_tables(actor: User, run: MatchingRun) -> list[Table]:
    require(actor, Action.STEER_MATCHING, run)
    audit = run_audit(run)
    if not audit:
        return []
    mechanisms: list[str] = audit["mechanisms"]
    tables: list[Table] = []

    overall = Table("overall", str(_l("Ensemble des élèves, par mécanisme")),
                    [str(_l("Mécanisme")), str(_l("Élèves")), str(_l("Placés")),
                     str(_l("Taux de placement")), str(_l("Vœu 1 obtenu")),
                     str(_l("Un de ses vœux")), str(_l("Rang moyen")),
                     str(_l("Distance moyenne (km)")), str(_l("Distance, 90e centile (km)"))],
                    chart_title=str(_l("Taux de placement et vœu 1, par mécanisme")))
    for m in mechanisms:
        o = audit["overall"][m]
        overall.rows.append([mechanism_label(m), str(o["size"]), str(o["placed"]),
                             _pct(o["placement_rate"]), _pct(o["wish1_share"]),
                             _pct(o["any_wish_share"]), _num(o["mean_rank"]),
                             _num(o["mean_km"], "#,##0.0"), _num(o["p90_km"], "#,##0.0")])
        overall.bars.append(Bar(mechanism_label(m), str(_l("placés")),
                                o["placement_rate"] or 0.0, _pct(o["placement_rate"])))
        overall.bars.append(Bar(mechanism_label(m), str(_l("vœu 1")),
                                o["wish1_share"] or 0.0, _pct(o["wish1_share"])))
    tables.append(overall)

    for label_name, by_value in audit.get("labels", {}).items():
        title = str(LABEL_TITLES.get(label_name, label_name))
        table = Table(f"label-{label_name}", str(_l("Par %(label)s", label=title.lower())),
                      [str(_l("Groupe")), str(_l("Mécanisme")), str(_l("Effectif")),
                       str(_l("Placés")), str(_l("Taux de placement")), str(_l("Vœu 1")),
                       str(_l("Rang moyen")), str(_l("Distance moyenne (km)")),
                       str(_l("Distance P90 (km)")),
                       str(_l("Écart de placement avec le reste [IC 95 %]"))],
                      chart_title=str(_l("Taux de placement par %(label)s",
                                         label=title.lower())))
        for value, by_mech in by_value.items():
            shown = value_label(label_name, value)
            for m in mechanisms:
                e = by_mech[m]
                if small(e["size"]):
                    table.rows.append([shown, mechanism_label(m), hidden_size(), "—", "—", "—",
                                       "—", "—", "—", "—"])
                    continue
                table.rows.append([
                    shown, mechanism_label(m), str(e["size"]), str(e["placed"]),
                    _pct(e["placement_rate"]), _pct(e["wish1_share"]), _num(e["mean_rank"]),
                    _num(e["mean_km"], "#,##0.0"), _num(e["p90_km"], "#,##0.0"),
                    _gap(e.get("gap_vs_rest", {}).get("placement_rate"))])
                table.bars.append(Bar(shown, mechanism_label(m), e["placement_rate"] or 0.0,
                                      _pct(e["placement_rate"])))
        tables.append(table)

    for m, rows in audit.get("gender_sector", {}).items():
        genders = sorted({g for row in rows for g in row["by"]})
        header = [str(_l("Secteur")), str(_l("Élèves l'ayant demandé")),
                  str(_l("Élèves placés"))]
        for g in genders:
            name = value_label("gender", g)
            header += [str(_l("%(g)s : part des vœux", g=name)),
                       str(_l("%(g)s : part des placés", g=name)),
                       str(_l("%(g)s : indice", g=name))]
        table = Table(f"gender-sector-{m}",
                      str(_l("Genre et secteur (%(m)s) : indice = part des placés / part des "
                             "vœux", m=mechanism_label(m))), header)
        for row in rows:
            if small(row["wished"]):
                table.rows.append([row["sector"], hidden_size()] + ["—"] * (1 + 3 * len(genders)))
                continue
            cells = [row["sector"], str(row["wished"]),
                     hidden_size() if 0 < row["placed"] < min_cell() else str(row["placed"])]
            for g in genders:
                by = row["by"].get(g, {})
                wished_count = round((by.get("wish_share") or 0) * row["wished"])
                if small(wished_count):
                    cells += [hidden_size(), "—", "—"]
                else:
                    cells += [_pct(by.get("wish_share")), _pct(by.get("placed_share")),
                              _num(by.get("index"))]
            table.rows.append(cells)
        tables.append(table)
    return tables


def xlsx_bytes(tables: list[Table], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for table in tables:
        name = table.id[:31]
        while name in used:
            name = name[:28] + str(len(used))
        used.add(name)
        sheet = book.create_sheet(name)
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True)
        sheet.append(table.header)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(row)
    if not tables:
        # A run without audit (failed, or still running) still exports a readable file.
        book.create_sheet("audit").append([title, "Aucun tableau d'audit pour ce tour."])
    book.properties.title = title
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def chart_groups(table: Table) -> list[tuple[str, list[Bar]]]:
    """Bars grouped by their group label, in order: what the SVG macro draws."""
    groups: dict[str, list[Bar]] = {}
    for bar in table.bars:
        groups.setdefault(bar.group, []).append(bar)
    return list(groups.items())
