"""Page timings: the heaviest pages of a request campaign, one at a time, in one process.

A benchmark, not a test. Where ``load.py`` measures the whole server under many users, this
says what one request of each page costs, without queueing: it loads a scratch PostgreSQL
database as ``load.py`` does (a département by default: 20,000 pupils, 5,000 offers), signs
in a pupil and a teacher with Flask's test client, and times each page ``--repeat`` times
after a warm-up, with the trivial ``/sante`` endpoint in the same process as the baseline.
It prints the median and the slowest time of each page and its ratio to the baseline, then
drops the database.

    python benchmarks/pages.py                    # a département
    python benchmarks/pages.py --pupils 1000 --offers 250
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.load import SECRET, drop_database, prepare, recreate_database  # noqa: E402

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def timed(client, url: str, repeat: int) -> list[float]:  # noqa: ANN001 - Flask test client
    client.get(url)  # warm-up: template compilation, first queries
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="stagebourse_pages")
    parser.add_argument("--pupils", type=int, default=20_000)
    parser.add_argument("--offers", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    url = recreate_database(args.server, args.database)
    try:
        with tempfile.TemporaryDirectory() as work:
            accounts_path = Path(work) / "accounts.json"
            prepare(url.replace("postgresql://", "postgresql+psycopg://"), args.pupils,
                    args.offers, accounts_path)
            accounts = json.loads(accounts_path.read_text(encoding="utf-8"))
        os.environ.update(SECRET_KEY=SECRET, STAGEBOURSE_ENV="development",
                          SESSION_COOKIE_SECURE="0")
        from stagebourse.web import create_app

        app = create_app()
        pupil, teacher = app.test_client(), app.test_client()
        page = pupil.get("/connexion/eleve").text
        pupil.post("/connexion/eleve", data={"code": accounts["pupil_codes"][0],
                                             "csrf_token": CSRF.search(page).group(1)})
        page = teacher.get("/connexion").text
        account = accounts["teachers"][0]
        teacher.post("/connexion", data={"email": account["email"],
                                         "password": accounts["password"],
                                         "csrf_token": CSRF.search(page).group(1)})
        sector = accounts["sectors"][0]
        pages = [
            ("/sante (baseline)", pupil, "/sante"),
            ("/eleve/demande (wishes)", pupil, "/eleve/demande"),
            ("/eleve/offres (sectors)", pupil, "/eleve/offres"),
            ("/eleve/offres?secteur=…", pupil, f"/eleve/offres?secteur={sector}"),
            ("/offres/ (search, all)", pupil, "/offres/"),
            ("/offres/?sector=…", pupil, f"/offres/?sector={sector}"),
            ("/offres/<id>", pupil, f"/offres/{accounts['offer_ids'][0]}"),
            ("/professeur/classes/<classe>", teacher,
             f"/professeur/classes/{account['classes'][0]}"),
        ]
        print(f"data: {args.pupils:,} pupils, {args.offers:,} offers; "
              f"{args.repeat} requests per page, in process (Flask test client)")
        print(f"  {'page':32} {'median ms':>9} {'max ms':>7} {'× /sante':>9}")
        baseline = None
        for name, client, path in pages:
            times = timed(client, path, args.repeat)
            median = statistics.median(times)
            baseline = baseline or median
            print(f"  {name:32} {median * 1000:9.1f} {max(times) * 1000:7.1f} "
                  f"{median / baseline:9.1f}")
    finally:
        drop_database(args.server, args.database)


if __name__ == "__main__":
    main()
