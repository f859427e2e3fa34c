"""The host never learns how to reach the pupil's family: crawled as an adversary, every page,
CSV and PDF that a member of the structure, its tutor or its signing link can reach holds no
trace of the guardian's e-mail address, even once the family signed with it."""

from __future__ import annotations

import html
import io
import re
from collections import deque

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from stagebourse.extensions import db
from stagebourse.models import Party, Role
from stagebourse.services import agreements
from tests.factories import make_user
from tests.personas import login_as, page_text
from tests.scenarios import GUARDIAN, sent, sign_by_code

pytestmark = pytest.mark.database

HREF = re.compile(r'href="([^"#]+)')
LOCAL_PART = GUARDIAN.split("@")[0]


def readable(response) -> str:
    if response.mimetype == "application/pdf":
        reader = PdfReader(io.BytesIO(response.data))
        return " ".join(page.extract_text() for page in reader.pages)
    return html.unescape(response.get_data(as_text=True))


def crawl(client: FlaskClient, starts: list[str], prefixes: tuple[str, ...]) -> dict[str, str]:
    """Every GET page reachable from ``starts`` by links staying under ``prefixes``."""
    seen: dict[str, str] = {}
    queue = deque(starts)
    while queue and len(seen) < 300:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = readable(response) if response.status_code == 200 else ""
        if response.mimetype == "text/html":
            for href in HREF.findall(response.get_data(as_text=True)):
                href = html.unescape(href).replace("http://stagebourse.test", "")
                if href.startswith(prefixes) and href not in seen:
                    queue.append(href)
        response.close()
    return seen


def test_host_member_tutor_and_signing_link_never_show_the_guardian_address(app: Flask):
    agreement, teacher = sent()
    sign_by_code(agreement, Party.PUPIL)
    sign_by_code(agreement, Party.GUARDIAN, name="Nadia Martin")
    db.session.refresh(agreement)
    assert agreements.active_signatures(agreement)[Party.GUARDIAN].signer_email == GUARDIAN

    # The crawler can see the secret where it is meant to be: on the school's page.
    school = app.test_client()
    login_as(school, teacher)
    assert GUARDIAN in page_text(school.get(f"/professeur/conventions/{agreement.id}"))

    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company_id=agreement.company_id)
    tutor_user = make_user(Role.TUTOR, "tuteur.compte@atelier-test.fr",
                           tutor=agreement.assignment.offer.tutor)
    db.session.commit()
    host = app.test_client()
    login_as(host, member)
    pages = crawl(host, ["/structure/", "/structure/conventions",
                         f"/structure/conventions/{agreement.id}",
                         f"/structure/conventions/{agreement.id}/pdf",
                         "/structure/conventions?format=csv"], ("/structure",))
    tutor = app.test_client()
    login_as(tutor, tutor_user)
    pages |= crawl(tutor, ["/tuteur/"], ("/tuteur",))
    link = f"/convention/{agreements.make_token(agreement, Party.HOST)}"
    pages |= crawl(app.test_client(), [link, f"{link}/pdf"], (link,))

    assert f"/structure/conventions/{agreement.id}/pdf" in pages
    assert f"/tuteur/conventions/{agreement.id}" in pages
    assert "Inès Martin" in pages[f"/structure/conventions/{agreement.id}"]
    assert "Inès Martin" in pages[f"{link}/pdf"]
    leaks = [url for url, text in pages.items()
             if GUARDIAN in text or LOCAL_PART in text]
    assert leaks == []
