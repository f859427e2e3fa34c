"""The audit of a run as tables people read: French labels, small groups hidden, CSV/XLSX.

The figures come from the engine's audit stored on the run (``MatchingRun.audit_json``); this
module formats them, and hides groups the way the observatory hides cells (MISSION.md, rule 5):
the sizes of each label's groups, and the gender × sector counts, go through the interval audit
of :mod:`stagebourse.observatory.suppression` (threshold ``AUDIT_MIN_CELL``, width
``PROTECTION_WIDTH``), with what the other tables show. A hidden group is shown "secret" with no
figure at all (a rate, a gap or a bar computed from its size would give it back); a shown
group's gap with the rest is given only when the rest is at least the threshold; a share is
shown only when both of its counts are.
"""

from __future__ import annotations

import io
import json
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from flask import current_app
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import lazy_gettext as _l

from stagebourse.models import MatchingRun, User
from stagebourse.observatory.suppression import (
    PROTECTION_WIDTH,
    PublishedTable,
    Unprotectable,
    suppress,
)
from stagebourse.observatory.suppression import Table as CountTable
from stagebourse.services import offer_cards
from stagebourse.services.cells import neutralise
from stagebourse.services.matching import min_cell
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


LEFT_OUT_LABELS = {
    "no_consent": _l("sans consentement du responsable légal (moins de 15 ans le premier jour)"),
    "no_wish": _l("sans vœu"),
    "no_age": _l("sans âge connu au premier jour (pas de semaine de stage pour l'établissement)"),
    "other_level": _l("d'un autre niveau que la campagne"),
}


@dataclass
class Table:
    id: str
    title: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)  # the chart drawn from this table
    chart_title: str = ""


def secret() -> str:
    return str(_l("secret"))


def _width() -> int:
    return int(current_app.config.get("PROTECTION_WIDTH", PROTECTION_WIDTH))


def _one_column(name: str, rows: list[str], counts: list[int], row_keys: list[Hashable],
                total_key: Hashable) -> CountTable:
    return CountTable(name, tuple(rows), ("n",), tuple((c,) for c in counts),
                      row_keys=tuple(row_keys), col_keys=(total_key,), total_key=total_key)


def _published(table: CountTable) -> PublishedTable:
    """A table shown in full (the overall figures): a reader knows all of it."""
    return PublishedTable(table, [list(row) for row in table.grid])


def _group_sizes(audit: dict[str, Any], threshold: int, width: int
                 ) -> dict[tuple[str, str], int | None]:
    """Each group's size, or None where the interval audit hides it. The sizes of a label's
    groups add up to the number of pupils, which the overall table shows: a group under the
    threshold hides with it enough others that no subtraction, bound or complement narrows it
    below the protection width."""
    first = audit["mechanisms"][0]
    overall = _published(_one_column("overall", ["all"], [audit["overall"][first]["size"]],
                                     [("size",)], ("size",)))
    tables = []
    for label_name, by_value in audit.get("labels", {}).items():
        values = list(by_value)
        tables.append(_one_column(f"label-{label_name}", values,
                                  [by_value[v][first]["size"] for v in values],
                                  [("size", label_name, v) for v in values], ("size",)))
    shown: dict[tuple[str, str], int | None] = {}
    # Each label apart: they share only the number of pupils, which is published anyway.
    for table in tables:
        label_name = table.name.removeprefix("label-")
        try:
            (published,) = suppress([table], threshold, earlier=[overall], width=width)
        except Unprotectable:
            # Fewer pupils than the protection width: the total alone bounds every group, so
            # no size of this label is shown.
            shown.update({(label_name, value): None for value in table.rows})
            continue
        for value, row in zip(published.rows, published.cells, strict=False):
            shown[(label_name, value)] = row[0]
    return shown


def _gender_sector_counts(audit: dict[str, Any], sizes: dict[tuple[str, str], int | None],
                          threshold: int, width: int
                          ) -> dict[str, tuple[PublishedTable, PublishedTable] | None]:
    """Per mechanism, the sector × gender counts of pupils who wished a sector and of pupils
    placed in it, through the interval audit together with what the other tables show (the
    number placed, each shown gender group's placed count). None where it cannot be done."""
    result: dict[str, tuple[PublishedTable, PublishedTable] | None] = {}
    by_gender_label = audit.get("labels", {}).get("gender", {})
    for m, rows in audit.get("gender_sector", {}).items():
        if not rows:
            continue
        genders = sorted({g for row in rows for g in row["by"]})
        sectors = [row["sector"] for row in rows]
        wished = CountTable(f"wished-{m}", tuple(sectors), tuple(genders),
                            tuple(tuple(_sector_count(r, g, "wished", "wish_share")
                                        for g in genders) for r in rows),
                            row_keys=tuple(("wished", s) for s in sectors))
        placed = CountTable(f"placed-{m}", tuple(sectors), tuple(genders),
                            tuple(tuple(_sector_count(r, g, "placed", "placed_share")
                                        for g in genders) for r in rows),
                            row_keys=tuple(("placed in", m, s) for s in sectors),
                            col_keys=tuple(("placed", m, g) for g in genders),
                            total_key=("placed", m))
        # What the overall and gender tables already show of the placed pupils.
        by_gender = _one_column(f"placed-by-gender-{m}", genders,
                                [by_gender_label.get(g, {}).get(m, {}).get("placed", 0)
                                 for g in genders],
                                [("placed", m, g) for g in genders], ("placed", m))
        grid = by_gender.grid
        if grid[-1][0] != placed.grid[-1][-1] or grid[-1][0] != audit["overall"][m]["placed"]:
            result[m] = None  # an audit whose tables disagree: show none of it
            continue
        shown = PublishedTable(by_gender, [
            [None if sizes.get(("gender", g)) is None else value for value in row]
            for g, row in zip(genders, grid, strict=False)] + [list(grid[-1])])
        try:
            published = suppress([wished, placed], threshold, earlier=[shown], width=width)
        except Unprotectable:
            result[m] = None  # the other tables already bound a count: show none of it
        else:
            result[m] = (published[0], published[1])
    return result


# The interval audit's outcome, apart from the formatting: the same in every language.
@lru_cache(maxsize=16)
def _hidden_groups(audit_json: str, threshold: int, width: int
                   ) -> dict[tuple[str, str], int | None]:
    return _group_sizes(json.loads(audit_json), threshold, width)


@lru_cache(maxsize=16)
def _gender_sector_pairs(audit_json: str, threshold: int, width: int
                         ) -> dict[str, tuple[PublishedTable, PublishedTable] | None]:
    return _gender_sector_counts(json.loads(audit_json),
                                 _hidden_groups(audit_json, threshold, width), threshold, width)


def _sector_count(row: dict[str, Any], gender: str, what: str, share: str) -> int:
    """A gender's count in a sector row; from its share for audits stored before the counts."""
    by = row["by"].get(gender, {})
    if what in by:
        return int(by[what])
    return int(round((by.get(share) or 0) * row[what]))


def audit_tables(actor: User, run: MatchingRun) -> list[Table]:
    require(actor, Action.STEER_MATCHING, run)
    return published_tables(run)


def published_tables(run: MatchingRun) -> list[Table]:
    """The audit's tables, small groups already shown as secret: counts and shares only,
    never a pupil. The caller checks who asks (the steering group, or an observer for a
    published round). The tables are shared between requests: read them, don't change them."""
    if not run.audit_json:
        return []
    left_out = run.stats.get("left_out") if run.stats else None
    sector_names = tuple((s.code, s.label) for s in offer_cards.sector_labels())
    return _tables(run.audit_json, json.dumps(left_out, sort_keys=True), str(get_locale()),
                   min_cell(), _width(), sector_names)


# A run's audit never changes once computed, and the tables are a function of its text, of
# what the round left out, of the reader's language, of the two settings of the interval audit
# and of the sectors' names: each process keeps the last few, since the interval audit solves
# linear programs (over a second for a round of 10,000 pupils) and the formatting takes tens
# of milliseconds.
@lru_cache(maxsize=16)
def _tables(audit_json: str, left_out_json: str, locale: str, threshold: int, width: int,
            sector_names: tuple[tuple[str, str], ...]) -> list[Table]:
    audit = json.loads(audit_json)
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
    left = json.loads(left_out_json)
    if left:
        # Pupils whose confirmed request the round could not consider: the audit says how
        # many and why, so that a missing consent is fixed before the next round.
        left_out = Table("left-out", str(_l("Demandes confirmées laissées hors du tour")),
                         [str(_l("Raison")), str(_l("Élèves"))])
        for key, text in LEFT_OUT_LABELS.items():
            left_out.rows.append([str(text), str(left.get(key, 0))])
        tables.append(left_out)

    sizes = _hidden_groups(audit_json, threshold, width)
    first = mechanisms[0]
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
        everyone = audit["overall"][first]["size"]
        for value, by_mech in by_value.items():
            shown = value_label(label_name, value)
            size = sizes.get((label_name, value))
            for m in mechanisms:
                e = by_mech[m]
                if size is None:
                    # Nothing of a hidden group: every figure would be computed from its size.
                    table.rows.append([shown, mechanism_label(m), secret(), "—", "—", "—",
                                       "—", "—", "—", "—"])
                    continue
                # The rest's size is the number of pupils minus this group's: the audit keeps
                # it at least the threshold; checked here all the same.
                rest_shown = everyone - size >= threshold
                table.rows.append([
                    shown, mechanism_label(m), str(e["size"]), str(e["placed"]),
                    _pct(e["placement_rate"]), _pct(e["wish1_share"]), _num(e["mean_rank"]),
                    _num(e["mean_km"], "#,##0.0"), _num(e["p90_km"], "#,##0.0"),
                    _gap(e.get("gap_vs_rest", {}).get("placement_rate")) if rest_shown
                    else "—"])
                table.bars.append(Bar(shown, mechanism_label(m), e["placement_rate"] or 0.0,
                                      _pct(e["placement_rate"])))
        tables.append(table)

    # The engine knows sectors by their code (« batiment »); a reader wants the label.
    names = dict(sector_names)
    for m, counts in _gender_sector_pairs(audit_json, threshold, width).items():
        rows = audit["gender_sector"][m]
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
        for i, row in enumerate(rows):
            if counts is None:
                table.rows.append([names.get(row["sector"], row["sector"]), secret(),
                                   secret()]
                                  + ["—"] * (3 * len(genders)))
                continue
            wished, placed = counts[0].cells[i], counts[1].cells[i]
            cells = [names.get(row["sector"], row["sector"]), _count(wished[-1]),
                     _count(placed[-1])]
            for j in range(len(genders)):
                # Shares only from published counts, never from a secret one.
                wish_share = _share(wished[j], wished[-1])
                placed_share = _share(placed[j], placed[-1])
                index = (placed_share / wish_share if wish_share and placed_share is not None
                         else None)
                cells += [_pct(wish_share), _pct(placed_share), _num(index)]
            table.rows.append(cells)
        tables.append(table)
    return tables


def _count(value: int | None) -> str:
    return secret() if value is None else str(value)


def _share(part: int | None, whole: int | None) -> float | None:
    return None if part is None or not whole else part / whole


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
        # Every text cell goes through the CSV exports' neutraliser: openpyxl stores a text
        # starting with "=" as a formula (services/cells.py).
        sheet.append([neutralise(table.title)])
        sheet["A1"].font = Font(bold=True)
        sheet.append([neutralise(value) for value in table.header])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([neutralise(value) for value in row])
    if not tables:
        # A run without audit (failed, or still running) still exports a readable file.
        book.create_sheet("audit").append([neutralise(title),
                                           "Aucun tableau d'audit pour ce tour."])
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
