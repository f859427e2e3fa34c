"""Every page a person reads speaks words, not codes.

For every persona and every GET page of the app, in French and in English, the visible text
(not attributes, URLs, hidden inputs, scripts) must carry no raw enum value of the domain
(« proposed », « to_sign », « batiment »…), no ISO week code (« 2027-W05 ») and no ISO date
(« 2027-02-01 »). The enum values are collected from the models, so a new state cannot slip
through; the sector codes come from the seeded reference table.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import pkgutil
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask_babel import refresh

import stagebourse.models as models
from stagebourse.extensions import db
from tests.web.route_map import build_url, rules, sign_in

PERSONAS = ["anonymous", "pupil", "tutor", "company", "teacher", "steering", "observer"]
ISO_WEEK = re.compile(r"\b\d{4}-W\d{2}\b")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")

# Values that are also the genuine French word or label shown for them.
ALLOWED_IN_FRENCH = {
    "REP": "the priority-education network's own name, « REP », is the label",
    "REP+": "likewise « REP+ »",
    "3e": "the level's label is « 3e »",
    "F": "a one-letter gender mark, identical in French",
    "M": "likewise",
    "X": "likewise",
    "2de": "the usual French abbreviation of « seconde », as written on every timetable",
    "association": "« association » is the French word (CompanyKind label « Association »)",
    "observer": "the French verb (« observer un métier »), the heart of an observation stage",
    "sent": "the French verb (« un élève qui sent… ») in the tutors' guide",
}
# Pages that teach how to type an ISO week into a week field: the format is the lesson.
ISO_WEEK_TAUGHT = {
    "steering.campaign_weeks": "explains the AAAA-Wss input of <input type=week>",
    "steering.matching_assignments": "the move form's week field gives its format, 2027-W05",
}
ALLOWED_IN_ENGLISH = {"education": "the English word (« priority education »)"}
# In English most values are the very English words their labels translate to (« open »,
# « pupil », « email »): only identifier-shaped values (snake_case, sector codes) are checked.


def enum_values() -> set[str]:
    values: set[str] = set()
    for info in pkgutil.iter_modules(models.__path__):
        module = importlib.import_module(f"{models.__name__}.{info.name}")
        for item in vars(module).values():
            if inspect.isclass(item) and issubclass(item, enum.Enum) and item is not enum.Enum \
                    and item.__module__.startswith(models.__name__):
                values.update(str(member.value) for member in item)
    return values


def sector_codes() -> set[str]:
    rows = db.session.execute(db.text("SELECT code, label FROM sectors")).all()
    # A code that is a word of its own label (« droit » in « Droit et justice ») is a genuine
    # French word; the others (« batiment », « hotellerie-restauration ») are codes.
    return {code for code, label in rows
            if code.lower() not in re.findall(r"[\w-]+", str(label).lower())}


class VisibleText(HTMLParser):
    """The text a person sees: no <script>/<style>/<template>, nothing in attributes; <pre>
    and <code> show machine text on purpose (a field's name), and a <textarea> holds a form's
    value (a questionnaire's JSON document), as an input's value attribute does."""

    SKIPPED = {"script", "style", "template", "noscript", "pre", "code", "textarea"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def word_pattern(values: set[str]) -> re.Pattern[str]:
    # Whole words only, and never a piece of an address or a file name (« college-test.fr »).
    alternatives = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
    return re.compile(rf"(?<![\w@./+-])(?:{alternatives})(?![\w@/+-]|\.\w)")


def findings(text: str, words: re.Pattern[str]) -> list[str]:
    found = [f"value {m.group(0)!r} in …{text[max(0, m.start() - 40):m.end() + 40]!r}…"
             for m in words.finditer(text)]
    found += [f"ISO week {m.group(0)!r}" for m in ISO_WEEK.finditer(text)]
    found += [f"ISO date {m.group(0)!r}" for m in ISO_DATE.finditer(text)]
    return found


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_shows_a_code_where_words_belong(app: Flask, world: dict[str, Any],
                                                 persona: str, lang: str) -> None:
    values = enum_values() | sector_codes()
    if lang == "fr":
        checked = values - set(ALLOWED_IN_FRENCH)
    else:
        checked = ({v for v in values if "_" in v} | sector_codes()) - set(ALLOWED_IN_ENGLISH)
    words = word_pattern(checked)
    client = app.test_client()
    # Chosen before signing in, as a visitor does: the choice must survive the sign-in. (The
    # test's application context outlives the requests, and Babel keeps the first locale it
    # computes in it: the choice has to come first.)
    client.get(f"/langue/{lang}")
    user = world["users"].get(persona)
    if user is not None:
        sign_in(client, user)
    refresh()
    names = {u.display_name for u in world["users"].values()}
    problems = []
    for rule, method in rules(app):
        if method != "GET" or rule.endpoint in ("auth.sign_out", "static", "public.set_language"):
            continue
        url = build_url(rule, world["values"])
        response = client.get(url)
        if response.status_code == 200 and response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            if f'<html lang="{lang}"' not in html:
                problems.append(f"{persona}/{lang} {url}: not in the chosen language")
            text = visible_text(html)
            for name in names:  # test data (« Test teacher »), not wording
                text = text.replace(name, " ")
            problems += [f"{persona}/{lang} {url}: {f}" for f in findings(text, words)
                         if not (f.startswith("ISO week") and rule.endpoint in ISO_WEEK_TAUGHT)]
        response.close()
    assert not problems, "\n".join(problems)


def test_the_scanner_sees_visible_text_only() -> None:
    html = ('<p title="to_sign">Semaine du <a href="/x/2027-W05">lundi</a></p>'
            '<input type="hidden" value="2027-02-01"><script>var s="proposed"</script>'
            '<td>proposed</td><p>mail prof@college-test.fr</p>')
    text = visible_text(html)
    words = word_pattern({"to_sign", "proposed", "college"})
    assert findings(text, words) == [
        "value 'proposed' in …'Semaine du  lundi proposed mail prof@college-test.fr'…"]


def test_weeks_read_as_dates_in_french_and_in_english(app: Flask, world: dict[str, Any]) -> None:
    client = app.test_client()
    sign_in(client, world["users"]["teacher"])
    page = visible_text(client.get("/professeur/affectations").get_data(as_text=True))
    assert "semaine du lundi 1er février 2027" in page  # 2027-W05
    client.get("/langue/en")
    refresh()  # forget the locale Babel kept in the test's long-lived application context
    page = visible_text(client.get("/professeur/affectations").get_data(as_text=True))
    assert "Monday, February 1, 2027" in page  # localised by Babel, not « 02/01 »


def test_the_language_chosen_before_signing_in_stays_after(app: Flask,
                                                           world: dict[str, Any]) -> None:
    client = app.test_client()
    client.get("/langue/en")
    sign_in(client, world["users"]["teacher"])
    refresh()  # the page must find the choice again, not reuse the locale Babel kept
    assert '<html lang="en">' in client.get("/professeur/affectations").get_data(as_text=True)


def test_week_spans_spell_the_month_in_english(app: Flask, world: dict[str, Any]) -> None:
    # « 01/02 – 05/02/2027 » is read as January 2 by an English reader.
    client = app.test_client()
    client.get("/langue/en")
    sign_in(client, world["users"]["teacher"])
    refresh()
    page = visible_text(client.get(f"/offres/{world['values']['offer_id']}").get_data(
        as_text=True)).replace("\u2009", " ").replace("\u202f", " ")  # Babel's thin spaces
    assert "Feb 1 – 5, 2027" in page
    assert "01/02 – 05/02/2027" not in page
