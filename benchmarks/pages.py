"""Page timings: the heaviest pages of a request campaign, one at a time, in one process.

A benchmark, not a test. Where ``load.py`` measures the whole server under many users, this
says what one request of each page costs, without queueing: it loads a scratch PostgreSQL
database as ``load.py`` does (a département by default: 20,000 pupils, 5,000 offers), signs
in a pupil, a teacher and the steering group with Flask's test client, and times each page
``--repeat`` times after a warm-up, and the trivial ``/sante`` endpoint as many times, in
alternating blocks of five: the baseline, measured beside each page in the same process, so
that the machine speeding up or slowing down during the run moves both. It does so at the
size asked and at 4 × the data (``--scales``), each on a fresh database dropped afterwards,
and prints the median of each page and its ratio to the baseline beside it, the sizes side
by side: a page whose cost grows with the number of offers or pupils shows at once. Last,
it closes the first campaign's wishes, computes its first round as the worker does, and
times the round's audit page, then the class board again (with the round's placements to
look through).
Seeding, computing the round and measuring each size run in processes of their own: the
measuring process holds what a server process would, not the leftovers of a seeding.

    python benchmarks/pages.py                    # a département, then 4 × (80,000 pupils)
    python benchmarks/pages.py --pupils 1000 --offers 250 --scales 1
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from benchmarks.load import SECRET, drop_database, prepare, recreate_database  # noqa: E402
from stagebourse.models import Campaign, Role  # noqa: E402

T = TypeVar("T")
BASELINE = "/sante"
AUDIT_PAGE = "/pilotage/tours/<id> (a round's audit)"
BOARD_AFTER_ROUND = "/professeur/classes/<classe> after the round"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def timed(client, url: str, repeat: int, block: int = 5  # noqa: ANN001 - test client
          ) -> tuple[float, float]:
    """Median seconds of ``url`` over ``repeat`` requests and of ``/sante`` over as many,
    in alternating blocks of ``block`` requests: the baseline is measured beside the page,
    so that the machine speeding up or slowing down during the run (for seconds at a time
    here) moves both; in blocks, so that the page's after-effects, such as garbage
    collection, fall on one baseline request of a block at most."""
    client.get(url)  # warm-up: template compilation, first queries
    times: dict[str, list[float]] = {url: [], BASELINE: []}
    for _ in range(max(1, repeat // block)):
        for path in (url, BASELINE):
            for _ in range(block):
                started = time.perf_counter()
                response = client.get(path)
                times[path].append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise SystemExit(f"{path}: HTTP {response.status_code}")
    return statistics.median(times[url]), statistics.median(times[BASELINE])


def in_fresh_process(function: Callable[..., T], *args: object) -> T:
    """``function(*args)`` in a new interpreter. Seeding a département and computing its round
    leave hundreds of megabytes of objects behind, which every later garbage collection of
    the measuring process would walk: a server process holds none of them."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as executor:
        return executor.submit(function, *args).result()


def solve_round_apart(campaign_id: int) -> tuple[int, int]:
    """:func:`solve_round` with an application of its own (for :func:`in_fresh_process`)."""
    from stagebourse.web import create_app

    with create_app().app_context():
        return solve_round(campaign_id)


def solve_round(campaign_id: int) -> tuple[int, int]:
    """Close the campaign's wishes and compute its first round as the steering page and the
    worker do; the round's id and its number of pupils. Done after the wish pages are timed,
    since a closed campaign no longer shows them."""
    from stagebourse.cli.worker import run_next_job
    from stagebourse.extensions import db
    from stagebourse.models import MatchingRun, User
    from stagebourse.services import campaigns, matching, matching_jobs
    from stagebourse.services.demo import DEMO_ACCOUNTS
    from stagebourse.transactions import unit_of_work

    with unit_of_work():
        actor = db.session.scalars(
            select(User).where(User.email == DEMO_ACCOUNTS[Role.STEERING])).one()
        campaign = db.session.get(Campaign, campaign_id)
        campaigns.transition(actor, campaign, "close")
        run = matching_jobs.start_run(actor, campaign, matching.RunOptions(round_number=1))
        run_id = run.id
    report = run_next_job("pages-benchmark")
    if report is None or report.outcome != "done":
        raise SystemExit(f"the round was not computed: {report}")
    run = db.session.get(MatchingRun, run_id)
    return run_id, run.pupil_count or 0


def measure(args: argparse.Namespace, pupils: int, offers: int
            ) -> tuple[dict[str, tuple[float, float]], int]:
    """On a fresh database of ``pupils`` and ``offers``: each page's median seconds and the
    baseline's beside it; and the number of pupils in the audited round."""
    url = recreate_database(args.server, args.database)
    try:
        database_url = url.replace("postgresql://", "postgresql+psycopg://")
        os.environ.update(DATABASE_URL=database_url, SECRET_KEY=SECRET,
                          STAGEBOURSE_ENV="development", SESSION_COOKIE_SECURE="0")
        with tempfile.TemporaryDirectory() as work:
            accounts_path = Path(work) / "accounts.json"
            in_fresh_process(prepare, database_url, pupils, offers, accounts_path)
            accounts = json.loads(accounts_path.read_text(encoding="utf-8"))
        from stagebourse.extensions import db
        from stagebourse.services.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
        from stagebourse.web import create_app

        app = create_app()
        pupil, teacher, steering = app.test_client(), app.test_client(), app.test_client()
        page = pupil.get("/connexion/eleve").text
        pupil.post("/connexion/eleve", data={"code": accounts["pupil_codes"][0],
                                             "csrf_token": CSRF.search(page).group(1)})
        account = accounts["teachers"][0]
        for client, email, password in (
                (teacher, account["email"], accounts["password"]),
                (steering, DEMO_ACCOUNTS[Role.STEERING], DEMO_PASSWORD)):
            page = client.get("/connexion").text
            client.post("/connexion", data={"email": email, "password": password,
                                            "csrf_token": CSRF.search(page).group(1)})
        with app.app_context():
            campaign_id = db.session.scalar(select(Campaign.id).order_by(Campaign.id))
        sector = accounts["sectors"][0]
        pages = [
            ("/eleve/demande (wishes)", pupil, "/eleve/demande"),
            ("/eleve/offres (sectors)", pupil, "/eleve/offres"),
            ("/eleve/offres?secteur=…", pupil, f"/eleve/offres?secteur={sector}"),
            ("/offres/ (search, all)", pupil, "/offres/"),
            ("/offres/?sector=…", pupil, f"/offres/?sector={sector}"),
            ("/offres/?sector=…&accessible=1", pupil,
             f"/offres/?sector={sector}&accessible=1&radius=10"),
            ("/offres/<id>", pupil, f"/offres/{accounts['offer_ids'][0]}"),
            ("/professeur/classes/<classe>", teacher,
             f"/professeur/classes/{account['classes'][0]}"),
            ("/pilotage/campagnes/<id>", steering, f"/pilotage/campagnes/{campaign_id}"),
        ]
        medians = {name: timed(client, path, args.repeat) for name, client, path in pages}
        run_id, round_pupils = in_fresh_process(solve_round_apart, campaign_id)
        medians[AUDIT_PAGE] = timed(steering, f"/pilotage/tours/{run_id}", args.repeat)
        # The board again, with the round's placements among which it finds its pupils'.
        medians[BOARD_AFTER_ROUND] = timed(
            teacher, f"/professeur/classes/{account['classes'][0]}", args.repeat)
        return medians, round_pupils
    finally:
        drop_database(args.server, args.database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="stagebourse_pages")
    parser.add_argument("--pupils", type=int, default=20_000)
    parser.add_argument("--offers", type=int, default=5_000)
    parser.add_argument("--scales", default="1,4",
                        help="multiples of the data to measure, each on a fresh database")
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()

    scales = [int(s) for s in args.scales.split(",")]
    # Each size measured in a process of its own: nothing of the other size in its heap.
    results = {scale: in_fresh_process(measure, args, args.pupils * scale,
                                       args.offers * scale)
               for scale in scales}
    print(f"{args.repeat} requests per page and as many of /sante, in alternating blocks of 5, "
          f"in process (Flask test client); median ms of the page and × the median /sante "
          f"beside it")
    header = "".join(f" {f'{args.pupils * s:,} pupils':>16} {'× /sante':>9}" for s in scales)
    print(f"  {'page':44}{header}")
    baselines = "".join(
        f" {statistics.median(b for _, b in results[s][0].values()) * 1000:16.1f} {1:9.1f}"
        for s in scales)
    print(f"  {'/sante (median of all its requests)':44}{baselines}")
    for name in results[scales[0]][0]:
        cells = ""
        for scale in scales:
            median, baseline = results[scale][0][name]
            cells += f" {median * 1000:16.1f} {median / baseline:9.1f}"
        print(f"  {name:44}{cells}")
    print("  pupils in the audited round: "
          + ", ".join(f"{results[scale][1]:,}" for scale in scales))

if __name__ == "__main__":
    main()
