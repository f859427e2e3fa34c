"""The request campaign's peak, as locust users (driven by benchmarks/load.py).

Pupils sign in with their access code, search offers, explore a sector, open an offer, look
at their wishes and save one (a sector wish); teachers open their class boards. A third user
class hits the trivial ``/sante`` endpoint: run alone (load.py names the classes to run), it
gives the ceiling.
Accounts come from the JSON file named by STAGEBOURSE_LOAD_ACCOUNTS (written by load.py).
"""

from __future__ import annotations

import json
import os
import random
import re

from locust import HttpUser, between, constant, task

ACCOUNTS = json.loads(open(os.environ["STAGEBOURSE_LOAD_ACCOUNTS"], encoding="utf-8").read())
# Users pace themselves like people (0.5-2 s between pages) unless STAGEBOURSE_LOAD_SATURATE=1:
# then each sends its next request as soon as the last one is answered, and requests per
# second measure the server's capacity, comparable with the ceiling.
THINK = os.environ.get("STAGEBOURSE_LOAD_SATURATE") != "1"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    return match.group(1) if match else ""


class Pupil(HttpUser):
    weight = 9
    wait_time = between(0.5, 2.0) if THINK else constant(0)

    def on_start(self) -> None:
        code = random.choice(ACCOUNTS["pupil_codes"])
        page = self.client.get("/connexion/eleve", name="sign-in page").text
        self.client.post("/connexion/eleve", data={"code": code, "csrf_token": csrf_token(page)},
                         name="sign in (code)")

    @task(3)
    def search_offers(self) -> None:
        sector = random.choice(ACCOUNTS["sectors"])
        self.client.get(f"/offres/?sector={sector}", name="/offres/?sector=… (search)")

    @task(2)
    def explore_a_sector(self) -> None:
        sector = random.choice(ACCOUNTS["sectors"])
        self.client.get(f"/eleve/offres?secteur={sector}", name="/eleve/offres?secteur=…")

    @task(3)
    def open_offer(self) -> None:
        self.client.get(f"/offres/{random.choice(ACCOUNTS['offer_ids'])}", name="/offres/<id>")

    @task(2)
    def my_wishes(self) -> None:
        self.client.get("/eleve/demande", name="/eleve/demande")

    @task(1)
    def save_a_wish(self) -> None:
        page = self.client.get("/eleve/demande", name="/eleve/demande").text
        token = csrf_token(page)
        sector = random.choice(ACCOUNTS["sectors"])
        self.client.post("/eleve/demande/add-sector", name="save wish",
                         data={"sector_code": sector, "csrf_token": token})


class Teacher(HttpUser):
    weight = 1
    wait_time = between(1.0, 3.0) if THINK else constant(0)

    def on_start(self) -> None:
        account = random.choice(ACCOUNTS["teachers"])
        self.classes = account["classes"]
        page = self.client.get("/connexion", name="sign-in page").text
        self.client.post("/connexion", name="sign in (password)", data={
            "email": account["email"], "password": ACCOUNTS["password"],
            "csrf_token": csrf_token(page)})

    @task(1)
    def home(self) -> None:
        self.client.get("/professeur/", name="/professeur/")

    @task(3)
    def class_board(self) -> None:
        self.client.get(f"/professeur/classes/{random.choice(self.classes)}",
                        name="/professeur/classes/<classe>")


class Ceiling(HttpUser):
    weight = 1
    wait_time = constant(0)

    @task
    def health(self) -> None:
        self.client.get("/sante", name="/sante (trivial)")
