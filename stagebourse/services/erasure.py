"""Erasing one pupil from every copy the service holds (MISSION.md, rule 6).

A pupil's name and birth date are copied far from the ``pupils`` row: into the agreement's
content and each of its versions, the signatures (the guardian writes a name), the one-time
codes (an address), the scans on disk, the e-mails and, now and then, the journal. Listing those
places by hand would miss the next table someone adds, so the erasure finds them by the schema:

1. **Owned rows**: every row that hangs off the pupil by a foreign key declared
   ``ON DELETE CASCADE`` (requests, wishes, assignments, agreements, their versions, signatures
   and codes, withdrawal requests, questionnaire invitees…), followed from table to table.
   Every text and JSON column of those rows is rewritten without the pupil's traces; on the
   rows of the pupil's or guardian's party (a ``party`` column), every name and address column
   is blanked.
2. **Everything else**: every text and JSON column of every other table is searched for the
   strong traces (full name, birth date as written in French, addresses) and those rows are
   rewritten too; mail addressed to the family or naming the pupil is deleted instead.
3. **Files**: the private files of the pupil's agreements (scans, generated documents).
4. **Pseudonym maps**: the rounds' ``pseudonym -> pupil`` entries of the pupil are dropped, so
   that the stored instance (kept whole: its hash, reproducibility and the audit figures stay
   true) no longer leads back to the pupil's home commune.

What stays is anonymous: the pupil row keeps level, school, class and year of birth; requests,
wishes and assignments keep feeding the statistics.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import delete, select

from stagebourse.extensions import db
from stagebourse.models import (
    Agreement,
    AgreementSignature,
    Base,
    MatchingRun,
    OutboxMessage,
    Party,
    Pupil,
    Tutor,
)
from stagebourse.services.agreements.content import content_hash
from stagebourse.services.files import private_files_dir

ERASED = "—"
# Rows of these parties carry the family's own names and addresses (the guardian is not in
# the pupil row: they write their name when signing).
FAMILY_PARTIES = frozenset({Party.PUPIL.value, Party.GUARDIAN.value})
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")


def _word(text: str) -> re.Pattern[str]:
    """``text`` as a whole word, any case (« Lina » is not erased from « Linaigrette »)."""
    return re.compile(r"(?<!\w)" + re.escape(text) + r"(?!\w)", re.IGNORECASE)


def date_spellings(day: dt.date) -> list[str]:
    """How a date is written in the service's text: ISO, 03/02/2011, 3 février 2011…"""
    month = MONTHS[day.month - 1]
    first = "1er" if day.day == 1 else str(day.day)
    return [day.isoformat(), day.strftime("%d/%m/%Y"), f"{day.day}/{day.month}/{day.year}",
            day.strftime("%d-%m-%Y"), f"{day.day} {month} {day.year}",
            f"{day.day:02d} {month} {day.year}", f"{first} {month} {day.year}"]


@dataclass
class Traces:
    """What identifies one person in free text, and what each trace is replaced with."""

    names: set[str] = field(default_factory=set)  # first name, last name, guardian's name
    full_names: set[str] = field(default_factory=set)
    addresses: set[str] = field(default_factory=set)
    dates: dict[str, str] = field(default_factory=dict)  # spelling -> anonymous spelling

    @classmethod
    def of(cls, pupil: Pupil) -> Traces:
        traces = cls()
        first, last = pupil.first_name.strip(), pupil.last_name.strip()
        traces.names |= {n for n in (first, last) if n and n != ERASED}
        if first and last and ERASED not in (first, last):
            traces.full_names |= {f"{first} {last}", f"{last} {first}"}
        traces.addresses |= {a for a in (pupil.guardian_email,
                                         pupil.user.email if pupil.user else None) if a}
        born = pupil.birth_date
        year_only = dt.date(born.year, 1, 1)
        for spelling, anonymous in zip(date_spellings(born), date_spellings(year_only),
                                       strict=True):
            traces.dates[spelling] = anonymous if "/" in spelling or "-" in spelling \
                else str(born.year)
        return traces

    def add_name(self, name: str | None) -> None:
        name = (name or "").strip()
        if name and name != ERASED:
            self.full_names.add(name)
            self.names.add(name)

    def strong(self) -> list[str]:
        """Traces that single out the person on their own (a first name alone does not)."""
        return sorted(self.full_names | self.addresses | set(self.dates), key=len, reverse=True)

    def every(self) -> list[str]:
        return sorted(self.names | self.full_names | self.addresses | set(self.dates),
                      key=len, reverse=True)

    def replacements(self) -> list[tuple[re.Pattern[str], str]]:
        # Longest first: « Lina Essai » goes as a whole before « Lina » alone.
        return [(_word(trace), self.dates.get(trace, ERASED)) for trace in self.every()]

    def search_tokens(self, traces: Iterable[str]) -> set[str]:
        """What a SQL ``LIKE`` looks for: the trace as written, in capitals, escaped as HTML
        and as JSON text stores it (non-ASCII letters as ``\\u00e9``)."""
        tokens = set()
        for trace in traces:
            for form in (trace, trace.upper()):
                tokens |= {form, html.escape(form), json.dumps(form)[1:-1]}
        return tokens


# Columns -----------------------------------------------------------------------------------

def _text_columns(table: sa.Table) -> list[sa.Column[Any]]:
    """Every column that can hold free text: strings, texts and JSON, but not enums (a fixed
    vocabulary) nor keys (ids, never a name)."""
    columns = []
    for column in table.columns:
        if isinstance(column.type, sa.Enum) or column.primary_key or column.foreign_keys:
            continue
        if isinstance(column.type, sa.String | sa.JSON):
            columns.append(column)
    return columns


def _scrub(value: Any, replacements: list[tuple[re.Pattern[str], str]]) -> Any:
    if isinstance(value, str):
        for pattern, replacement in replacements:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, dict):
        return {key: _scrub(item, replacements) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, replacements) for item in value]
    return value


def _mentions(value: Any, patterns: list[re.Pattern[str]]) -> bool:
    if isinstance(value, str):
        return any(p.search(value) for p in patterns)
    if isinstance(value, dict):
        return any(_mentions(item, patterns) for item in value.values())
    if isinstance(value, list):
        return any(_mentions(item, patterns) for item in value)
    return False


def _pk_clause(table: sa.Table, row: Any) -> Any:
    return sa.and_(*(column == row._mapping[column.name] for column in table.primary_key))


# Owned rows --------------------------------------------------------------------------------

def owned_rows(pupil_ids: Iterable[int]) -> dict[sa.Table, list[tuple[Any, ...]]]:
    """Primary keys of every row that hangs off these pupils by ``ON DELETE CASCADE`` foreign
    keys (the rows a deletion of the pupil would take away), table by table."""
    pupils = Pupil.__table__
    assert isinstance(pupils, sa.Table)
    found: dict[sa.Table, list[tuple[Any, ...]]] = {pupils: [(i,) for i in pupil_ids]}
    frontier = [pupils]
    while frontier:
        parent = frontier.pop()
        parent_pk = list(parent.primary_key)
        if len(parent_pk) != 1 or not found[parent]:
            continue
        parent_ids = [key[0] for key in found[parent]]
        for child in Base.metadata.sorted_tables:
            for fk in child.foreign_keys:
                if fk.column is not parent_pk[0] or (fk.ondelete or "").upper() != "CASCADE":
                    continue
                keys = [tuple(row) for row in db.session.execute(
                    select(*child.primary_key).where(fk.parent.in_(parent_ids)))]
                new = [k for k in keys if k not in set(found.get(child, []))]
                if new:
                    found.setdefault(child, []).extend(new)
                    frontier.append(child)
    return found


def _rows(table: sa.Table, keys: list[tuple[Any, ...]]) -> Iterator[Any]:
    pk = list(table.primary_key)
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        where: Any
        if len(pk) == 1:
            where = pk[0].in_([k[0] for k in chunk])
        else:
            where = sa.or_(*(sa.and_(*(c == v for c, v in zip(pk, k, strict=True)))
                             for k in chunk))
        yield from db.session.execute(select(table).where(where))


def _family_row(table: sa.Table, row: Any) -> bool:
    return "party" in table.columns and row._mapping["party"] in FAMILY_PARTIES


def _personal(column: sa.Column[Any], value: Any) -> bool:
    """A party row's name or address, whatever its column is called by then."""
    return isinstance(value, str) and (
        "@" in value or any(word in column.name for word in ("name", "email", "address",
                                                              "phone", "sent_to")))


def _collect_family_names(owned: dict[sa.Table, list[tuple[Any, ...]]],
                          traces: Traces) -> None:
    for table, keys in owned.items():
        if "party" not in table.columns:
            continue
        for row in _rows(table, keys):
            if _family_row(table, row):
                for column in _text_columns(table):
                    value = row._mapping[column.name]
                    if not _personal(column, value):
                        continue
                    if "@" in value:
                        traces.addresses.add(value.strip())
                    elif "name" in column.name:
                        traces.add_name(value)


def _scrub_owned(owned: dict[sa.Table, list[tuple[Any, ...]]], traces: Traces) -> None:
    replacements = traces.replacements()
    skip = {Pupil.__tablename__, "users"}  # the pupil row and its account: done by the caller
    for table, keys in owned.items():
        if table.name in skip:
            continue
        columns = _text_columns(table)
        for row in _rows(table, keys):
            family = _family_row(table, row)
            values: dict[str, Any] = {}
            for column in columns:
                old = row._mapping[column.name]
                if family and _personal(column, old):
                    new: Any = None if column.nullable else ERASED
                else:
                    new = _scrub(old, replacements)
                if new != old:
                    values[column.name] = new
            if values:
                _rewrite(table, row, values)


# Agreements: hashes and files --------------------------------------------------------------

def _rehash_agreements(agreement_ids: list[int]) -> None:
    """Content hashes were computed on the content with the names: a hash of personal data
    confirms a guess of it, so they are recomputed on what is kept. A signature then points at
    the hash of its version as kept."""
    db.session.flush()
    if not agreement_ids:
        return
    # The rows were rewritten underneath the session: read them again.
    db.session.expire_all()
    for agreement in db.session.scalars(select(Agreement).where(Agreement.id.in_(agreement_ids))):
        agreement.content_sha256 = content_hash(agreement.content)
        by_number = {}
        for version in agreement.versions:
            version.content_sha256 = content_hash(version.content)
            by_number[version.number] = version.content_sha256
        for signature in agreement.signatures:
            signature.document_sha256 = by_number.get(signature.version,
                                                      agreement.content_sha256)
            signature.scan_sha256 = None
    db.session.flush()


def agreement_files(agreement_ids: Iterable[int],
                    scan_files: Iterable[str] = ()) -> list[Any]:
    """The private files of these agreements: named after their id (scans, documents)."""
    folder = private_files_dir("agreements")
    if not folder.is_dir():
        return []
    ids = {str(i) for i in agreement_ids}
    names = set(scan_files)
    return [path for path in folder.iterdir() if path.is_file() and (
        path.name in names or re.split(r"[-.]", path.name, maxsplit=1)[0] in ids)]


def _delete_agreement_files(agreement_ids: list[int]) -> int:
    scans = [name for name in db.session.scalars(
        select(AgreementSignature.scan_file).where(
            AgreementSignature.agreement_id.in_(agreement_ids))) if name] if agreement_ids else []
    removed = 0
    for path in agreement_files(agreement_ids, scans):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


# Pseudonym maps ----------------------------------------------------------------------------

def drop_pseudonyms(pupil_ids: Iterable[int]) -> None:
    """Drop the pupils from the rounds' ``pseudonym -> pupil`` maps. The instance and the audit
    stay as computed; the pseudonym no longer names anybody."""
    gone = set(pupil_ids)
    for run in db.session.scalars(select(MatchingRun)):
        mapping = run.pseudonyms or {}
        kept = {pseudo: pid for pseudo, pid in mapping.items() if pid not in gone}
        if len(kept) != len(mapping):
            run.pseudonyms = kept


# Elsewhere ---------------------------------------------------------------------------------

def _candidates(table: sa.Table, columns: list[sa.Column[Any]], tokens: set[str]) -> list[Any]:
    if not columns or not tokens:
        return []
    conditions = [sa.cast(c, sa.Text).contains(token, autoescape=True)
                  for c in columns for token in sorted(tokens)]
    return list(db.session.execute(select(table).where(sa.or_(*conditions))))


def _mail_ids(traces: Traces) -> list[int]:
    """Mail to the family, or naming the pupil (to the host, the school), in any state."""
    table = OutboxMessage.__table__
    assert isinstance(table, sa.Table)
    columns = _text_columns(table)
    tokens = traces.search_tokens(traces.every())
    strong = [_word(t) for t in traces.strong()]
    names = [_word(n) for n in traces.names]
    addresses = {a.lower() for a in traces.addresses}
    found = []
    for row in _candidates(table, columns, tokens):
        values = [row._mapping[c.name] for c in columns]
        addressed = (row._mapping["recipient"] or "").strip().lower() in addresses
        named = _mentions(values, strong) or (
            len(names) > 1 and all(_mentions(values, [n]) for n in names))
        if addressed or named:
            found.append(row._mapping["id"])
    return sorted(found)


def mail_about(pupil: Pupil) -> list[OutboxMessage]:
    """The e-mail held that was sent to the pupil's family or names the pupil."""
    db.session.flush()
    traces = Traces.of(pupil)
    _collect_family_names(owned_rows([pupil.id]), traces)
    ids = _mail_ids(traces)
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))
                                   .order_by(OutboxMessage.id))) if ids else []


def _delete_mail(traces: Traces) -> int:
    doomed = _mail_ids(traces)
    if doomed:
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(doomed)))
    return len(doomed)


def _scrub_elsewhere(owned: dict[sa.Table, list[tuple[Any, ...]]], traces: Traces,
                     skip: frozenset[str] = frozenset()) -> None:
    """Rows of any table that name the pupil without hanging off them: a journal entry about
    their agreement, a job's message… Those naming them strongly are rewritten; a first name
    alone is too common to count (the journal entries about the pupil's own rows are rewritten
    whatever they hold)."""
    replacements = traces.replacements()
    strong = [_word(t) for t in traces.strong()]
    tokens = traces.search_tokens(traces.strong())
    subjects = journal_subjects(owned)
    owned_keys = {table.name: set(keys) for table, keys in owned.items()}
    for table in Base.metadata.sorted_tables:
        if table.name in skip | {"outbox_messages", Pupil.__tablename__}:
            continue
        columns = _text_columns(table)
        rows = _candidates(table, columns, tokens)
        if table.name == "journal_entries" and subjects:
            rows += list(db.session.execute(select(table).where(sa.or_(*(
                (table.c.subject_type == kind) & table.c.subject_id.in_(ids)
                for kind, ids in subjects.items())))))
        seen = set()
        for row in rows:
            key = tuple(row._mapping[c.name] for c in table.primary_key)
            if key in seen or key in owned_keys.get(table.name, set()):
                continue
            seen.add(key)
            about = table.name == "journal_entries" and (
                row._mapping["subject_id"] in subjects.get(row._mapping["subject_type"], []))
            values = {}
            for column in columns:
                old = row._mapping[column.name]
                if about or _mentions(old, strong):
                    new = _scrub(old, replacements)
                    if new != old:
                        values[column.name] = new
            if values:
                _rewrite(table, row, values)


def _rewrite(table: sa.Table, row: Any, values: dict[str, Any]) -> None:
    # A hash of a content holding a name would confirm a guess of it: it follows the content.
    if "content" in values and "content_sha256" in table.columns:
        values["content_sha256"] = content_hash(values["content"])
    db.session.execute(table.update().where(_pk_clause(table, row)).values(values))


def journal_subjects(owned: dict[sa.Table, list[tuple[Any, ...]]]) -> dict[str, list[str]]:
    """Owned rows as the journal names its subjects: class name and id."""
    classes = {mapper.local_table.name: mapper.class_.__name__
               for mapper in Base.registry.mappers if isinstance(mapper.local_table, sa.Table)}
    return {classes[table.name]: [str(k[0]) for k in keys]
            for table, keys in owned.items()
            if table.name in classes and keys and len(keys[0]) == 1}


# The whole erasure -------------------------------------------------------------------------

@dataclass
class Erased:
    rows: int = 0
    mails: int = 0
    files: int = 0


def erase_traces(pupil: Pupil) -> Erased:
    """Remove the pupil's name, birth date and the family's addresses from every copy but the
    pupil row itself (the caller anonymises it next). Call before changing the pupil row."""
    db.session.flush()
    traces = Traces.of(pupil)
    owned = owned_rows([pupil.id])
    _collect_family_names(owned, traces)
    result = Erased(rows=sum(len(keys) for keys in owned.values()))
    _scrub_owned(owned, traces)
    agreement_ids = [k[0] for table, keys in owned.items()
                     if table.name == Agreement.__tablename__ for k in keys]
    result.files = _delete_agreement_files(agreement_ids)
    result.mails = _delete_mail(traces)
    _scrub_elsewhere(owned, traces)
    drop_pseudonyms([pupil.id])
    _rehash_agreements(agreement_ids)
    current_app.logger.info("erased the traces of pupil %s", pupil.id)
    return result


def erase_tutor(tutor: Tutor) -> Erased:
    """Remove a tutor's name and address from the copies (agreements' contents, mail to them);
    the caller strips the tutor row."""
    db.session.flush()
    traces = Traces()
    traces.add_name(tutor.full_name)
    traces.names.clear()  # a tutor is found by the whole name, never by one word of it
    traces.addresses.add(tutor.email)
    result = Erased(mails=_delete_mail(traces))
    # The structure's own records (its contact, its members' accounts) follow its own rules.
    _scrub_elsewhere({}, traces, skip=frozenset({"tutors", "users", "companies"}))
    db.session.expire_all()
    return result
