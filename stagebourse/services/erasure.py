"""Erasing pupils (and idle tutors) from every copy the service holds (MISSION.md, rule 6).

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
wishes and assignments keep feeding the statistics. One pupil (the steering group's erasure) or
hundreds (the retention purge) go the same way; see docs/privacy.md, "Erasure and purge".
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


def _pk_clause(table: sa.Table, row: Any) -> Any:
    return sa.and_(*(column == row._mapping[column.name] for column in table.primary_key))


# Finding traces in bulk --------------------------------------------------------------------

class Finder:
    """Which people a text names, for many people at once (a purge erases hundreds).

    A regular expression per person and per row would read each table once per person; here
    each text is read once: every word of it is looked up in an index of the words that start
    a trace, and only those positions are compared with the traces."""

    def __init__(self) -> None:
        self._by_first_word: dict[str, list[tuple[str, int]]] = {}
        self.tokens: set[str] = set()

    def add(self, trace: str, owner: int) -> None:
        for form in {trace, html.escape(trace, quote=True)}:
            lowered = form.lower()
            first = _WORD.search(lowered)
            if first is None:
                continue
            self._by_first_word.setdefault(first.group(0), []).append((lowered, owner))
            self.tokens |= {form, form.upper(), json.dumps(form)[1:-1]}

    def owners(self, value: Any) -> set[int]:
        found: set[int] = set()
        for text in _strings(value):
            lowered = text.lower()
            for match in _WORD.finditer(lowered):
                for trace, owner in self._by_first_word.get(match.group(0), ()):
                    end = match.start() + len(trace)
                    if owner not in found and lowered.startswith(trace, match.start()) and (
                            end == len(lowered) or not lowered[end].isalnum()):
                        found.add(owner)
        return found


_WORD = re.compile(r"\w+")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# Owned rows --------------------------------------------------------------------------------

Owned = dict[sa.Table, dict[tuple[Any, ...], int]]  # table -> primary key -> owning pupil


def owned_rows(pupil_ids: Iterable[int]) -> Owned:
    """Every row that hangs off these pupils by ``ON DELETE CASCADE`` foreign keys (the rows a
    deletion of the pupil would take away), table by table, with the pupil each belongs to."""
    pupils = Pupil.__table__
    assert isinstance(pupils, sa.Table)
    found: Owned = {pupils: {(i,): i for i in pupil_ids}}
    frontier = [pupils]
    while frontier:
        parent = frontier.pop()
        parent_pk = list(parent.primary_key)
        if len(parent_pk) != 1 or not found[parent]:
            continue
        owner_of = {key[0]: owner for key, owner in found[parent].items()}
        for child in Base.metadata.sorted_tables:
            for fk in child.foreign_keys:
                if fk.column is not parent_pk[0] or (fk.ondelete or "").upper() != "CASCADE":
                    continue
                rows: list[Any] = []
                ids = list(owner_of)
                for start in range(0, len(ids), 500):
                    rows += db.session.execute(select(fk.parent, *child.primary_key).where(
                        fk.parent.in_(ids[start:start + 500]))).all()
                known = found.setdefault(child, {})
                added = False
                for parent_id, *key in rows:
                    if tuple(key) not in known:
                        known[tuple(key)] = owner_of[parent_id]
                        added = True
                if added:
                    frontier.append(child)
    return {table: keys for table, keys in found.items() if keys}


def _rows(table: sa.Table, keys: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
    pk = list(table.primary_key)
    keys = list(keys)
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        where: Any
        if len(pk) == 1:
            where = pk[0].in_([k[0] for k in chunk])
        else:
            where = sa.or_(*(sa.and_(*(c == v for c, v in zip(pk, k, strict=True)))
                             for k in chunk))
        yield from db.session.execute(select(table).where(where))


def _key(table: sa.Table, row: Any) -> tuple[Any, ...]:
    return tuple(row._mapping[c.name] for c in table.primary_key)


def _family_row(table: sa.Table, row: Any) -> bool:
    return "party" in table.columns and row._mapping["party"] in FAMILY_PARTIES


def _personal(column: sa.Column[Any], value: Any) -> bool:
    """A party row's name or address, whatever its column is called by then."""
    return isinstance(value, str) and (
        "@" in value or any(word in column.name for word in ("name", "email", "address",
                                                              "phone", "sent_to")))


def _collect_family_names(owned: Owned, traces: dict[int, Traces]) -> None:
    for table, keys in owned.items():
        if "party" not in table.columns:
            continue
        for row in _rows(table, keys):
            if not _family_row(table, row):
                continue
            person = traces[keys[_key(table, row)]]
            for column in _text_columns(table):
                value = row._mapping[column.name]
                if not _personal(column, value):
                    continue
                if "@" in value:
                    person.addresses.add(value.strip())
                elif "name" in column.name:
                    person.add_name(value)


def _scrub_owned(owned: Owned, traces: dict[int, Traces]) -> None:
    replacements = {owner: t.replacements() for owner, t in traces.items()}
    skip = {Pupil.__tablename__, "users"}  # the pupil row and its account: done by the caller
    for table, keys in owned.items():
        if table.name in skip:
            continue
        columns = _text_columns(table)
        for row in _rows(table, keys):
            family = _family_row(table, row)
            owner = keys[_key(table, row)]
            values: dict[str, Any] = {}
            for column in columns:
                old = row._mapping[column.name]
                if family and _personal(column, old):
                    new: Any = None if column.nullable else ERASED
                else:
                    new = _scrub(old, replacements[owner])
                if new != old:
                    values[column.name] = new
            if values:
                _rewrite(table, row, values)


def _rewrite(table: sa.Table, row: Any, values: dict[str, Any]) -> None:
    # A hash of a content holding a name would confirm a guess of it: it follows the content.
    if "content" in values and "content_sha256" in table.columns:
        values["content_sha256"] = content_hash(values["content"])
    db.session.execute(table.update().where(_pk_clause(table, row)).values(values))


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
    for start in range(0, len(agreement_ids), 500):
        for agreement in db.session.scalars(select(Agreement).where(
                Agreement.id.in_(agreement_ids[start:start + 500]))):
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
    scans: list[str] = []
    for start in range(0, len(agreement_ids), 500):
        scans += [name for name in db.session.scalars(
            select(AgreementSignature.scan_file).where(
                AgreementSignature.agreement_id.in_(agreement_ids[start:start + 500]))) if name]
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

# Up to this many (column, search string) pairs, the database picks the candidate rows (LIKE,
# a few hundred per query: SQLite limits the depth of an expression); beyond, every row is read
# once and searched here (a purge of hundreds of pupils).
LIKE_LIMIT = 2000
LIKE_PER_QUERY = 300


def _candidates(table: sa.Table, columns: list[sa.Column[Any]], tokens: set[str]) -> list[Any]:
    if not columns or not tokens:
        return []
    if len(tokens) * len(columns) > LIKE_LIMIT:
        return list(db.session.execute(select(table)))
    conditions = [sa.cast(c, sa.Text).contains(token, autoescape=True)
                  for c in columns for token in sorted(tokens)]
    rows: dict[tuple[Any, ...], Any] = {}
    for start in range(0, len(conditions), LIKE_PER_QUERY):
        for row in db.session.execute(select(table).where(
                sa.or_(*conditions[start:start + LIKE_PER_QUERY]))):
            rows[_key(table, row)] = row
    return list(rows.values())


def _finders(traces: dict[int, Traces]) -> tuple[Finder, Finder]:
    """Strong traces, and everything (to choose candidate rows)."""
    strong, every = Finder(), Finder()
    for owner, person in traces.items():
        for trace in person.strong():
            strong.add(trace, owner)
            every.add(trace, owner)
        for name in person.names:
            every.add(name, owner)
    return strong, every


def _mail_ids(traces: dict[int, Traces]) -> dict[int, set[int]]:
    """Mail to the family, or naming the pupil (to the host, the school), in any state:
    message id -> the pupils it is about."""
    table = OutboxMessage.__table__
    assert isinstance(table, sa.Table)
    columns = _text_columns(table)
    strong, every = _finders(traces)
    name_finders: dict[int, list[Finder]] = {}
    for owner, person in traces.items():
        if len(person.names) > 1:
            name_finders[owner] = []
            for name in person.names:
                finder = Finder()
                finder.add(name, owner)
                name_finders[owner].append(finder)
    addresses: dict[str, set[int]] = {}
    for owner, person in traces.items():
        for address in person.addresses:
            addresses.setdefault(address.strip().lower(), set()).add(owner)
    found: dict[int, set[int]] = {}
    for row in _candidates(table, columns, every.tokens):
        values = [row._mapping[c.name] for c in columns]
        about = set(addresses.get((row._mapping["recipient"] or "").strip().lower(), set()))
        about |= strong.owners(values)
        for owner in every.owners(values) - about:
            # A first name and a last name, both in the message, name the pupil too.
            if owner in name_finders and all(f.owners(values) for f in name_finders[owner]):
                about.add(owner)
        if about:
            found[row._mapping["id"]] = about
    return found


def mail_about(pupil: Pupil) -> list[OutboxMessage]:
    """The e-mail held that was sent to the pupil's family or names the pupil."""
    db.session.flush()
    traces = {pupil.id: Traces.of(pupil)}
    _collect_family_names(owned_rows([pupil.id]), traces)
    ids = sorted(_mail_ids(traces))
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))
                                   .order_by(OutboxMessage.id))) if ids else []


def _delete_mail(traces: dict[int, Traces]) -> int:
    doomed = sorted(_mail_ids(traces))
    for start in range(0, len(doomed), 500):
        db.session.execute(delete(OutboxMessage).where(
            OutboxMessage.id.in_(doomed[start:start + 500])))
    return len(doomed)


def _scrub_elsewhere(owned: Owned, traces: dict[int, Traces],
                     skip: frozenset[str] = frozenset()) -> None:
    """Rows of any table that name the person without hanging off them: a journal entry about
    their agreement, a job's message… Those naming them strongly are rewritten; a first name
    alone is too common to count (the journal entries about the pupil's own rows are rewritten
    whatever they hold)."""
    replacements = {owner: t.replacements() for owner, t in traces.items()}
    strong, _every = _finders(traces)
    subjects = journal_subjects(owned)
    for table in Base.metadata.sorted_tables:
        if table.name in skip | {"outbox_messages", Pupil.__tablename__}:
            continue
        columns = _text_columns(table)
        rows = _candidates(table, columns, strong.tokens)
        if table.name == "journal_entries" and subjects:
            rows += _journal_about(table, subjects)
        mine = owned.get(table, {})
        seen = set()
        for row in rows:
            key = _key(table, row)
            if key in seen or key in mine:
                continue
            seen.add(key)
            about: set[int] = set()
            if table.name == "journal_entries":
                owner = subjects.get((row._mapping["subject_type"], row._mapping["subject_id"]))
                if owner is not None:
                    about.add(owner)
            values = {}
            for column in columns:
                old = row._mapping[column.name]
                owners = about | strong.owners(old)
                new = old
                for owner in owners:
                    new = _scrub(new, replacements[owner])
                if new != old:
                    values[column.name] = new
            if values:
                _rewrite(table, row, values)


def _journal_about(table: sa.Table, subjects: dict[tuple[str, str], int]) -> list[Any]:
    by_kind: dict[str, list[str]] = {}
    for kind, subject_id in subjects:
        by_kind.setdefault(kind, []).append(subject_id)
    rows: list[Any] = []
    for kind, ids in by_kind.items():
        for start in range(0, len(ids), 500):
            rows += db.session.execute(select(table).where(
                table.c.subject_type == kind,
                table.c.subject_id.in_(ids[start:start + 500]))).all()
    return rows


def journal_subjects(owned: Owned) -> dict[tuple[str, str], int]:
    """Owned rows as the journal names its subjects (class name, id), with their pupil."""
    classes = {mapper.local_table.name: mapper.class_.__name__
               for mapper in Base.registry.mappers if isinstance(mapper.local_table, sa.Table)}
    return {(classes[table.name], str(key[0])): owner
            for table, keys in owned.items() if table.name in classes
            for key, owner in keys.items() if len(key) == 1}


# The whole erasure -------------------------------------------------------------------------

@dataclass
class Erased:
    rows: int = 0
    mails: int = 0
    files: int = 0


def erase_traces(pupils: Iterable[Pupil]) -> Erased:
    """Remove the pupils' names, birth dates and the families' addresses from every copy but
    the pupil rows themselves (the caller anonymises them next, from what it still holds)."""
    db.session.flush()
    traces = {pupil.id: Traces.of(pupil) for pupil in pupils}
    if not traces:
        return Erased()
    owned = owned_rows(traces)
    _collect_family_names(owned, traces)
    result = Erased(rows=sum(len(keys) for keys in owned.values()))
    _scrub_owned(owned, traces)
    agreement_ids = sorted(k[0] for table, keys in owned.items()
                           if table.name == Agreement.__tablename__ for k in keys)
    result.files = _delete_agreement_files(agreement_ids)
    result.mails = _delete_mail(traces)
    _scrub_elsewhere(owned, traces)
    drop_pseudonyms(traces)
    _rehash_agreements(agreement_ids)
    return result


def redact(text: str, pupil: Pupil) -> str:
    """``text`` without the pupil's name, birth date or family addresses."""
    return str(_scrub(text, Traces.of(pupil).replacements()))


def erase_tutors(tutors: Iterable[Tutor]) -> Erased:
    """Remove tutors' names and addresses from the copies (agreements' contents, mail to
    them); the caller strips the tutor rows."""
    db.session.flush()
    traces: dict[int, Traces] = {}
    for tutor in tutors:
        person = Traces()
        person.add_name(tutor.full_name)
        person.names.clear()  # a tutor is found by the whole name, never by one word of it
        person.addresses.add(tutor.email)
        traces[tutor.id] = person
    if not traces:
        return Erased()
    result = Erased(mails=_delete_mail(traces))
    # The structure's own records (its contact, its members' accounts) follow its own rules.
    _scrub_elsewhere({}, traces, skip=frozenset({"tutors", "users", "companies"}))
    db.session.expire_all()
    return result
