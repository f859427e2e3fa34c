"""The host's side is blind until both sides confirmed: an adversary's crawl.

Signed in as a member of the host structure (and as its tutor, and with its partner API
token), the test follows every link of the host's rooms, opens every CSV export and every API
endpoint, and reads every e-mail sent to the structure's people. No pupil's name, class,
school, home commune, birth date or family address may appear while their proposal awaits an
answer. Then one pupil and the host both confirm, and the same crawl must show that pupil's
name: the crawl really reaches the pages where names would be.

Written from the outside: what is secret is read from the pupils the scenario made, and what
the host sees is what the responses say, never what the code under test returns.
"""

from __future__ import annotations

import html
import json
import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import HostReason, OutboxMessage, Pupil, Role
from stagebourse.services import companies, matching
from tests.factories import make_user
from tests.scenarios import PublishedRound, published_round
from tests.web.route_map import sign_in

pytestmark = pytest.mark.committing  # the partner API counts its rate limit on its own connection

HOST_ROOMS = ("/structure", "/tuteur")
LINK = re.compile(r"""<a\s[^>]*href="([^"]+)\"""")
# Option lists of forms are reference data (every commune, every sector), not pupils' data.
SELECT = re.compile(r"<select\b.*?</select>", re.S)


def crawl(client: FlaskClient, start: str) -> dict[str, str]:
    """Every page of the host's rooms reachable from ``start`` by links: url → text."""
    seen: dict[str, str] = {}
    queue = deque([start])
    while queue and len(seen) < 300:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        if response.status_code in (301, 302, 303):
            queue.append(urlsplit(response.headers["Location"]).path)
            seen[url] = ""
            continue
        assert response.status_code in (200, 404), f"{url} → {response.status_code}"
        if response.mimetype == "application/pdf":
            seen[url] = ""
            continue
        text = html.unescape(response.get_data(as_text=True))
        seen[url] = SELECT.sub("", text)
        if response.mimetype == "text/html":
            for href in LINK.findall(text):
                href = urldefrag(href)[0]
                if href.startswith(HOST_ROOMS) and href not in seen:
                    queue.append(href)
    return seen


def api_texts(client: FlaskClient, token: str) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    texts = {}
    urls = ["/api/v1/weeks", "/api/v1/offers"]
    offers = client.get("/api/v1/offers", headers=headers).get_json()
    urls += [f"/api/v1/offers/{o['id']}" for o in offers]
    for url in urls:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        texts[url] = json.dumps(response.get_json(), ensure_ascii=False)
    return texts


def host_mails(world: PublishedRound) -> dict[str, str]:
    company = world.member.company
    addresses = {world.member.email, company.contact_email,
                 *(t.email for t in company.tutors)}
    messages = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient.in_(addresses))).all()
    assert messages, "the structure was mailed at publication"
    return {f"mail {m.id} ({m.template})": "\n".join(
        (m.subject, m.body_text, html.unescape(m.body_html or ""))) for m in messages}


def everything_the_host_sees(app: Flask, world: PublishedRound, tutor, token: str
                             ) -> dict[str, str]:
    member, tutor_client = app.test_client(), app.test_client()
    sign_in(member, world.member)
    sign_in(tutor_client, tutor)
    seen = crawl(member, "/structure/")
    assert "/structure/accueils" in seen and "/structure/accueils?format=csv" in seen
    seen |= crawl(tutor_client, "/tuteur/")
    seen |= api_texts(app.test_client(), token)
    db.session.expire_all()
    seen |= host_mails(world)
    return seen


def personal(pupil: Pupil) -> set[str]:
    """What identifies one pupil alone."""
    return {pupil.first_name, pupil.last_name, pupil.guardian_email or ""}


def shared(pupil: Pupil) -> set[str]:
    """What the pupils of the scenario share: their school, class, commune, birth date."""
    born = pupil.birth_date
    return {pupil.school.name, pupil.class_name, pupil.home_commune.name,
            born.isoformat(), born.strftime("%d/%m/%Y")}


def leaks(seen: dict[str, str], secrets: set[str]) -> list[str]:
    return sorted(f"{secret!r} in {where}" for where, text in seen.items()
                  for secret in secrets if secret and secret in text)


def test_a_host_sees_no_pupil_until_both_confirmed_then_only_the_confirmed_one(app: Flask):
    world = published_round()
    company = world.member.company
    tutor = make_user(Role.TUTOR, "tuteur.compte@atelier-test.fr", tutor=company.tutors[0])
    token = companies.create_api_token(world.steering, company, "scan", None)
    db.session.commit()
    first, declined, *_others = sorted(world.run.assignments, key=lambda a: a.id)
    # The host declines one proposal: nothing about that pupil either, ever.
    matching.decline_proposal(world.member, declined, HostReason.ACCESSIBILITY)
    db.session.commit()

    secrets = set().union(*(personal(p) | shared(p) for p in world.pupils))
    seen = everything_the_host_sees(app, world, tutor, token)
    assert leaks(seen, secrets) == []

    # The reveal: the pupil's side and the host confirm the first proposal.
    revealed = first.pupil
    matching.answer_for_pupil(world.teacher, first, True)
    matching.answer_for_company(world.member, first, True)
    db.session.commit()
    seen = everything_the_host_sees(app, world, tutor, token)
    assert leaks(seen, {revealed.last_name}), "the crawl must reach the revealed name"
    hidden = set().union(*(personal(p) for p in world.pupils if p.id != revealed.id))
    assert leaks(seen, hidden) == []
