"""Load benchmark: the peak of a request campaign against gunicorn + PostgreSQL.

A benchmark, not a test. It creates a scratch PostgreSQL database, migrates it, loads the
reference data and a synthetic campaign scaled to a département (default 20,000 pupils and
5,000 offers), starts gunicorn on loopback (the workers of gunicorn.conf.py, or each choice
of ``--workers`` in turn), then runs locust headless, bounded in time, against the same
server, after an unmeasured warm-up of the mix (templates compiled, caches filled in every
worker):

1. the ceiling: only the trivial ``/sante`` endpoint (no database);
2. the mix at people's pace: pupils signing in with their code, browsing and opening offers,
   reading and saving wishes; teachers reading their class boards (benchmarks/locustfile.py);
3. the same mix saturated: no think time, to compare its throughput with the ceiling.

It prints requests per second, p50/p95/p99 latency and errors for each, then drops the
database. Loopback only; every request loop is bounded by locust's --run-time.

    python benchmarks/load.py                         # a département: about 6 min in all
    python benchmarks/load.py --workers 2,3,5         # compare worker counts
    python benchmarks/load.py --workers 2x4           # two threaded workers of 4 threads
    python benchmarks/load.py --short                 # CI: small data, 10 s per phase
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import runpy
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import IO

import psycopg

ROOT = Path(__file__).resolve().parents[1]
# This checkout's code, for the seeding here as for gunicorn (which runs in ROOT), whatever
# copy of the package the interpreter has installed.
sys.path.insert(0, str(ROOT))
SECRET = "load-benchmark-secret-key-not-for-production-0123456789"
PASSWORD = "mot de passe du test de charge"
# The production setting, measured against others in benchmarks/README.md: "3" for three
# sync workers, "2x4" for two threaded workers of four threads each.
_CONF = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
PRODUCTION_WORKERS = (f"{_CONF['workers']}x{_CONF['threads']}"
                      if _CONF.get("worker_class") == "gthread" else str(_CONF["workers"]))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def recreate_database(server: str, name: str) -> str:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(url: str, pupils: int, offers: int, accounts_path: Path) -> dict[str, float]:
    """Migrate, seed, and write the accounts the locust users sign in with."""
    os.environ.update(DATABASE_URL=url, SECRET_KEY=SECRET)
    from flask_migrate import upgrade
    from sqlalchemy import select

    from stagebourse.extensions import db
    from stagebourse.models import Offer, Pupil, Role, School, Sector, User
    from stagebourse.services.accounts import hash_password, set_access_code
    from stagebourse.services.demo import DemoSize, seed_demo
    from stagebourse.services.reference import load_reference
    from stagebourse.web import create_app

    app = create_app()
    timings = {}
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        load_reference()
        size = DemoSize(pupils_3e=pupils * 7 // 10, pupils_2de=pupils - pupils * 7 // 10,
                        companies=max(40, offers // 5), offers=offers, class_size=28)
        # This year's campaigns only, as when the published figures were measured.
        seed_demo(today=dt.date.today(), size=size, history=False)
        timings["seed_seconds"] = time.perf_counter() - started
        pupil_users = db.session.scalars(select(User).where(User.role == Role.PUPIL)
                                         .order_by(User.id).limit(2000)).all()
        codes = [f"CHARGE-{user.id:06d}" for user in pupil_users]
        for user, code in zip(pupil_users, codes, strict=True):
            set_access_code(user, code)
        password = hash_password(PASSWORD)
        teachers = []
        for school in db.session.scalars(select(School).order_by(School.uai)):
            classes = sorted(set(db.session.scalars(
                select(Pupil.class_name).where(Pupil.school_id == school.id))))
            if not classes:
                continue
            email = f"prof-{school.uai.lower()}@charge.stagebourse.fr"
            db.session.add(User(role=Role.TEACHER, email=email, school=school,
                                display_name=f"Professeur {school.uai}", password_hash=password,
                                validated_at=dt.datetime.now(dt.UTC)))
            teachers.append({"email": email, "classes": classes})
        db.session.commit()
        # A live database has statistics (autovacuum); a freshly loaded one not yet.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as raw:
            raw.exec_driver_sql("ANALYZE")
        accounts = {
            "pupil_codes": codes, "teachers": teachers, "password": PASSWORD,
            "sectors": list(db.session.scalars(select(Sector.code))),
            "offer_ids": list(db.session.scalars(select(Offer.id))),
        }
    accounts_path.write_text(json.dumps(accounts), encoding="utf-8")
    return timings


def start_gunicorn(url: str, port: int, workers: int,
                   log: IO[bytes] | None = None, threads: int = 1) -> subprocess.Popen[bytes]:
    """gunicorn on loopback, once it answers ``/sante``; its output goes to ``log`` if given.
    With ``threads`` above 1, threaded workers (``gthread``) instead of the sync ones."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET,
           "STAGEBOURSE_ENV": "development", "SESSION_COOKIE_SECURE": "0",
           "PYTHONFAULTHANDLER": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning",
         *(["--worker-class", "gthread", "--threads", str(threads)] if threads > 1
           else ["--worker-class", "sync"]),
         "stagebourse:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=log)
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/sante", timeout=1) as reply:
                if reply.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def run_locust(port: int, users: int, seconds: int, classes: list[str], prefix: Path,
               accounts: Path, saturate: bool = False) -> list[dict[str, str]]:
    env = {**os.environ, "STAGEBOURSE_LOAD_ACCOUNTS": str(accounts),
           "STAGEBOURSE_LOAD_SATURATE": "1" if saturate else "0"}
    log = Path(f"{prefix}.log")
    with log.open("w") as output:
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "locustfile.py"),
             "--headless", "--users", str(users), "--spawn-rate", str(max(1, users // 5)),
             "--run-time", f"{seconds}s", "--host", f"http://127.0.0.1:{port}",
             "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING", *classes],
            env=env, check=False, stdout=output, stderr=output)
    if not Path(f"{prefix}_stats.csv").exists():
        raise SystemExit(f"locust failed:\n{log.read_text()}")
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        for row in csv.DictReader(failures.open(encoding="utf-8")):
            print(f"  failure: {row['Method']} {row['Name']}: {row['Error']} "
                  f"({row['Occurrences']}×)")
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def report(title: str, rows: list[dict[str, str]]) -> None:
    print(f"\n{title}")
    print(f"  {'endpoint':38} {'requests':>8} {'errors':>6} {'req/s':>7} "
          f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    for row in rows:
        print(f"  {row['Name'][:38]:38} {row['Request Count']:>8} {row['Failure Count']:>6} "
              f"{float(row['Requests/s']):7.1f} {row['50%']:>7} {row['95%']:>7} "
              f"{row['99%']:>7}")


def aggregated(rows: list[dict[str, str]]) -> dict[str, str]:
    return next(row for row in reversed(rows) if row["Name"] == "Aggregated")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432",
                        help="PostgreSQL server (a scratch database is created there)")
    parser.add_argument("--database", default="stagebourse_load")
    parser.add_argument("--pupils", type=int, default=20_000)
    parser.add_argument("--offers", type=int, default=5_000)
    parser.add_argument("--users", type=int, default=50, help="users of the paced mix")
    parser.add_argument("--saturate-users", type=int, default=40,
                        help="users of the saturated mix (no think time)")
    parser.add_argument("--seconds", type=int, default=60, help="duration of each mix")
    parser.add_argument("--workers", default=PRODUCTION_WORKERS,
                        help="gunicorn workers; several counts (2,3,5) are measured in turn; "
                             "2x4: two threaded workers of four threads each")
    parser.add_argument("--short", action="store_true", help="small and quick (CI)")
    parser.add_argument("--paced-only", action="store_true",
                        help="skip the saturated mix")
    args = parser.parse_args()
    if args.short:
        args.pupils, args.offers, args.users, args.seconds = 1_000, 250, 10, 10
        args.saturate_users, args.paced_only = 10, True

    url = recreate_database(args.server, args.database)
    errors = 0
    try:
        with tempfile.TemporaryDirectory() as work:
            accounts = Path(work) / "accounts.json"
            timings = prepare(url.replace("postgresql://", "postgresql+psycopg://"),
                              args.pupils, args.offers, accounts)
            print(f"data: {args.pupils:,} pupils, {args.offers:,} offers "
                  f"(seeded in {timings['seed_seconds']:.0f} s); loopback only")
            for choice in args.workers.split(","):
                workers_text, _, threads_text = choice.partition("x")
                workers, threads = int(workers_text), int(threads_text or 1)
                port = free_port()
                server = start_gunicorn(url, port, workers, threads=threads)
                prefix = Path(work) / f"w{choice}"
                try:
                    # Unmeasured: a server that has been up a while has compiled its
                    # templates and filled its caches in every worker; the first requests
                    # of a fresh one would otherwise weigh on the mix's slowest percentiles.
                    run_locust(port, 10, 5 if args.short else 15, ["Pupil", "Teacher"],
                               Path(f"{prefix}-warm-up"), accounts)
                    ceiling = run_locust(port, args.users, max(5, args.seconds // 3),
                                         ["Ceiling"], Path(f"{prefix}-ceiling"), accounts)
                    paced = run_locust(port, args.users, args.seconds, ["Pupil", "Teacher"],
                                       Path(f"{prefix}-paced"), accounts)
                    saturated = [] if args.paced_only else run_locust(
                        port, args.saturate_users, args.seconds, ["Pupil", "Teacher"],
                        Path(f"{prefix}-saturated"), accounts, saturate=True)
                finally:
                    server.terminate()
                    server.wait(timeout=30)
                print(f"\n=== gunicorn {workers} " + (
                    f"threaded workers of {threads} threads" if threads > 1 else "sync workers"))
                report("Ceiling: trivial endpoint alone", ceiling)
                report(f"Request campaign peak, {args.users} users at people's pace", paced)
                best = float(aggregated(ceiling)["Requests/s"])
                errors += int(aggregated(paced)["Failure Count"])
                if saturated:
                    report(f"Saturated: {args.saturate_users} users, no think time", saturated)
                    ratio = float(aggregated(saturated)["Requests/s"]) / max(best, 1e-9)
                    errors += int(aggregated(saturated)["Failure Count"])
                    print(f"\nsaturated mix / ceiling throughput: {ratio:.3f}")
                print(f"paced p99: {aggregated(paced)['99%']} ms; errors so far: {errors}")
        if errors:
            raise SystemExit(1)
    finally:
        drop_database(args.server, args.database)


if __name__ == "__main__":
    main()
