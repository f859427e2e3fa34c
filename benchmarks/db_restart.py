"""Fault test: the PostgreSQL server restarts while pupils are saving wishes.

A script, not a pytest test: it starts processes, restarts a database server and prints
figures. It starts a private PostgreSQL cluster (initdb in a temporary directory, its own
loopback port and socket directory: the machine's server is never touched), migrates and seeds
a small campaign into it (``load.prepare``), starts gunicorn against it (``load.start_gunicorn``),
then runs pupils as plain threads: each signs in with its access code and loops over reading
its wish page and adding or removing a sector wish. Each write is one transaction that rewrites
the request's wish rows and records a journal entry (``services.requests``).

After a warm-up the server is restarted (``pg_ctl restart -m fast``: clients disconnected, a
clean shutdown; then ``-m immediate``: the server processes killed, crash recovery at start)
while the pupils keep going; last, once more while the pupils pause, so that every gunicorn
worker holds pooled connections to the old server when they resume. gunicorn is never
restarted. The script prints requests and errors before, while the server is down and after;
how long after the restart began the first write committed and every pupil had written again;
then checks, in the database, that no write was partial:

* in every request the wish ranks are exactly 1..n;
* the journal, replayed from a snapshot taken before the load, gives exactly the wish rows
  (each add and remove recorded with its row changes, none without the other);
* every write a pupil was told had succeeded is in the journal, in order; the journal has no
  write the pupils did not send.

It exits non-zero if an invariant fails, if a request sent after the server was back failed,
if a pupil never wrote again, or if a gunicorn worker was replaced. The cluster and its
directory are removed at the end, also on failure or Ctrl-C. Loopback only, bounded in time.

    python benchmarks/db_restart.py                    # 5,000 pupils, 12 writing: about 2 min
    python benchmarks/db_restart.py --short            # CI: 1,000 pupils, 8 writing, < 1 min
    python benchmarks/db_restart.py --mode immediate
"""

from __future__ import annotations

import argparse
import glob
import io
import json
import os
import pwd
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import requests  # noqa: E402
from flask import Flask  # noqa: E402
from flask.sessions import SecureCookieSessionInterface  # noqa: E402
from itsdangerous import BadSignature  # noqa: E402

from benchmarks.load import (  # noqa: E402
    SECRET,
    free_port,
    prepare,
    recreate_database,
    start_gunicorn,
)
from stagebourse.models import MAX_WISHES  # noqa: E402

MODES = {"fast": ["fast"], "immediate": ["immediate"], "both": ["fast", "immediate"]}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REMOVE_FORM = re.compile(r'action="/eleve/demande/voeux/(\d+)/remove"')
TIMEOUT = (5, 30)  # requests' (connect, read) timeouts in seconds: every call is bounded

# The outcome of a write is the message it flashed, read from the signed session cookie of
# the redirect itself: no second request, which could fail for its own reasons.
_cookie_app = Flask("db_restart")
_cookie_app.secret_key = SECRET
_serializer = SecureCookieSessionInterface().get_signing_serializer(_cookie_app)
assert _serializer is not None  # it is, with a secret key
SESSION_COOKIE = _serializer


# The private PostgreSQL server ----------------------------------------------------------------

def postgresql_bindir() -> Path:
    """The directory holding initdb and pg_ctl: pg_config's, else the newest installed."""
    candidates = []
    try:
        candidates.append(subprocess.run(["pg_config", "--bindir"], capture_output=True,
                                         text=True, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        pass
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True,
                         key=lambda p: [int(n) for n in re.findall(r"\d+", p)])
    candidates += [str(Path(p).parent) for p in filter(None, [shutil.which("initdb")])]
    for candidate in candidates:
        if all((Path(candidate) / tool).exists() for tool in ("initdb", "pg_ctl")):
            return Path(candidate)
    raise SystemExit("PostgreSQL server binaries (initdb, pg_ctl) not found")


class PrivateCluster:
    """A throwaway PostgreSQL server: its own data directory, loopback port and socket
    directory, all inside one temporary directory. Trust authentication: loopback only."""

    def __init__(self) -> None:
        self.bindir = postgresql_bindir()
        self.as_server_user: list[str] = []
        if os.geteuid() == 0:
            # initdb refuses to run as root: the server runs as postgres, which owns the
            # directory (root can still read and delete it).
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise SystemExit("running as root: a postgres user is needed to run the "
                                 "server") from None
            self.as_server_user = ["runuser", "-u", "postgres", "--"]
        self.root = Path(tempfile.mkdtemp(prefix="stagebourse-pg-"))
        if self.as_server_user:
            shutil.chown(self.root, "postgres")
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()

    @property
    def server(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([*self.as_server_user, str(self.bindir / tool), *args],
                              cwd=self.root, capture_output=True, text=True, check=False)
        if check and done.returncode:
            log = self.log.read_text() if self.log.exists() else ""
            raise SystemExit(f"{tool} {' '.join(args)} failed:\n{done.stdout}{done.stderr}{log}")
        return done

    def start(self) -> None:
        # --no-sync: initdb need not flush a scratch cluster; the server itself keeps fsync on.
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-locale", "--no-sync")
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
                   "-c max_connections=200")
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w",
                  "-t", "60", "-o", options)

    def version(self) -> str:
        found = re.search(r"\(PostgreSQL\) (\S+)", self._run("pg_ctl", "--version").stdout)
        return found.group(1) if found else "?"

    def restart(self, mode: str) -> None:
        """Stop (``fast``: disconnect clients, checkpoint; ``immediate``: kill, no checkpoint,
        crash recovery at start) and start again; return once it accepts connections.
        pg_ctl restart reuses the options of the previous start (postmaster.opts)."""
        self._run("pg_ctl", "restart", "-D", str(self.data), "-l", str(self.log), "-m", mode,
                  "-w", "-t", "60")

    def remove(self) -> None:
        """Stop the server if it runs, and delete the directory. Never raises."""
        if (self.data / "postmaster.pid").exists():
            stopped = self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w",
                                "-t", "30", check=False)
            if stopped.returncode:
                self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w",
                          check=False)
        shutil.rmtree(self.root, ignore_errors=True)


# Pupils writing -------------------------------------------------------------------------------

@dataclass
class Call:
    kind: str  # "read" (the wish page), "add" or "remove"
    started: float  # time.monotonic()
    ended: float
    # "ok" (a read), "committed" (the write's success message), "refused" (the service said
    # no: duplicate wish, five wishes already), or "error" (5xx, connection error, anything
    # else: the client cannot know whether the write committed).
    outcome: str
    what: str = ""  # sector code added, rank removed
    error: str = ""


@dataclass
class PupilClient:
    base: str
    code: str
    sectors: list[str]
    rng: random.Random
    think: float  # mean seconds between a pupil's writes (uniform, ± half)
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.http = requests.Session()
        self.paused = threading.Event()

    @property
    def user_id(self) -> int:
        # load.prepare gives each pupil account the code CHARGE-<user id>.
        return int(self.code.removeprefix("CHARGE-"))

    def sign_in(self) -> None:
        page = self.http.get(f"{self.base}/connexion/eleve", timeout=TIMEOUT)
        reply = self.http.post(f"{self.base}/connexion/eleve", timeout=TIMEOUT,
                               allow_redirects=False,
                               data={"code": self.code, "csrf_token": csrf_token(page.text)})
        if reply.status_code != 302 or "/eleve" not in reply.headers.get("Location", ""):
            raise SystemExit(f"pupil {self.code} could not sign in ({reply.status_code})")

    def run(self, running: threading.Event, stop: threading.Event) -> None:
        while not stop.is_set():
            if not running.is_set():  # told to pause: say so, and wait
                self.paused.set()
                running.wait()
                self.paused.clear()
                continue
            page = self._call("read", "", "/eleve/demande")
            if page is None or page.status_code != 200:
                stop.wait(0.2)  # the server is in trouble: retry soon, without hammering it
                continue
            token = csrf_token(page.text)
            ranks = [int(rank) for rank in REMOVE_FORM.findall(page.text)]
            if not ranks or (len(ranks) < MAX_WISHES and self.rng.random() < 0.55):
                sector = self.rng.choice(self.sectors)
                self._call("add", sector, "/eleve/demande/add-sector",
                           {"sector_code": sector, "csrf_token": token})
            else:
                rank = self.rng.choice(ranks)
                self._call("remove", str(rank), f"/eleve/demande/voeux/{rank}/remove",
                           {"csrf_token": token})
            stop.wait(self.rng.uniform(self.think / 2, self.think * 1.5))

    def _call(self, kind: str, what: str, path: str,
              form: dict[str, str] | None = None) -> requests.Response | None:
        """GET ``path``, or POST ``form`` to it; record the outcome as a Call."""
        started = time.monotonic()
        try:
            reply = self.http.request("GET" if form is None else "POST", self.base + path,
                                      data=form, timeout=TIMEOUT, allow_redirects=False)
        except requests.RequestException as error:
            self.calls.append(Call(kind, started, time.monotonic(), "error", what,
                                   f"connection: {type(error).__name__}"))
            return None
        ended = time.monotonic()
        if kind == "read":
            outcome = "ok" if reply.status_code == 200 else "error"
        else:
            outcome = write_outcome(reply)
        self.calls.append(Call(kind, started, ended, outcome, what,
                               "" if outcome != "error" else http_error(reply)))
        return reply


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    return match.group(1) if match else ""


def http_error(reply: requests.Response) -> str:
    """The status, and for a 500 whether the app's error page was served, or gunicorn's bare
    one (the app itself failed while handling the error)."""
    if reply.status_code != 500:
        return f"HTTP {reply.status_code}"
    return "HTTP 500, " + ("app's page" if "Erreur du service" in reply.text else "bare")


def write_outcome(reply: requests.Response) -> str:
    """What the pupil was told: the last message flashed by the redirect after the write."""
    cookie = reply.cookies.get("session")
    if reply.status_code != 302 or cookie is None:
        return "error"
    try:
        flashes = SESSION_COOKIE.loads(cookie).get("_flashes") or []
    except BadSignature:
        return "error"
    if not flashes:
        return "error"
    category = flashes[-1][0]
    # "warning": the wish was added, with advice (it cannot be met as it stands).
    return "committed" if category in ("success", "warning") else "refused"


# The timeline ---------------------------------------------------------------------------------

@dataclass
class Restart:
    name: str  # the pg_ctl mode, and "idle" if the pupils were paused
    began: float
    ready: float  # pg_ctl returned: the server accepts connections again


def phase_of(call: Call, restarts: list[Restart]) -> str:
    """A call in flight at any moment of an outage belongs to that outage; otherwise to the
    period it started in."""
    for restart in restarts:
        if call.started < restart.ready and call.ended >= restart.began:
            return f"{restart.name}: down"
    after = [r for r in restarts if call.started >= r.ready]
    return f"{after[-1].name}: after" if after else "before"


@dataclass
class Recovery:
    restart: Restart
    first_write: float | None  # seconds from the restart's beginning
    every_pupil: float | None  # None: some pupil never committed a write again
    last_error: float | None


def recovery(restart: Restart, restarts: list[Restart], clients: list[PupilClient]) -> Recovery:
    """Measured on the calls of this restart's outage and of the period after it."""
    phases = (f"{restart.name}: down", f"{restart.name}: after")
    firsts: list[float | None] = []
    errors = []
    for client in clients:
        window = [c for c in client.calls if phase_of(c, restarts) in phases]
        committed = [c.ended for c in window
                     if c.outcome == "committed" and c.started >= restart.began]
        firsts.append(min(committed) - restart.began if committed else None)
        errors += [c.ended - restart.began for c in window if c.outcome == "error"]
    done = [f for f in firsts if f is not None]
    return Recovery(restart, min(done) if done else None,
                    max(done) if len(done) == len(firsts) else None,
                    max(errors) if errors else None)


# Invariants, read from the database -----------------------------------------------------------

Item = tuple[str | None, int | None]  # (sector_code, offer_id), as a wish row


@dataclass
class Snapshot:
    last_journal_id: int
    wishes: dict[int, list[Item]]  # by request id, in rank order


def snapshot(url: str) -> Snapshot:
    with psycopg.connect(url) as connection:
        last = connection.execute("SELECT coalesce(max(id), 0) FROM journal_entries").fetchone()
        assert last is not None
        wishes: dict[int, list[Item]] = {}
        for request_id, sector, offer in connection.execute(
                "SELECT request_id, sector_code, offer_id FROM wishes ORDER BY request_id, rank"):
            wishes.setdefault(request_id, []).append((sector, offer))
    return Snapshot(last[0], wishes)


@dataclass
class Verdict:
    failures: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def check(self, ok: bool, good: str, bad: str) -> None:
        self.lines.append(f"  {'ok  ' if ok else 'FAIL'} {good if ok else bad}")
        if not ok:
            self.failures.append(bad)


def check_invariants(url: str, before: Snapshot, clients: list[PupilClient]) -> Verdict:
    verdict = Verdict()
    with psycopg.connect(url) as connection:
        ranks: dict[int, list[int]] = {r: [] for (r,) in connection.execute(
            "SELECT id FROM requests")}
        after: dict[int, list[Item]] = {}
        for request_id, rank, sector, offer in connection.execute(
                "SELECT request_id, rank, sector_code, offer_id FROM wishes "
                "ORDER BY request_id, rank, id"):
            ranks[request_id].append(rank)
            after.setdefault(request_id, []).append((sector, offer))
        entries = connection.execute(
            "SELECT subject_id, actor_id, action, details FROM journal_entries "
            "WHERE id > %s AND action LIKE 'request.%%' ORDER BY id",
            [before.last_journal_id]).fetchall()

    gaps = [r for r, found in ranks.items() if found != list(range(1, len(found) + 1))]
    verdict.check(not gaps, f"ranks are 1..n in every request ({len(ranks):,} requests)",
                  f"ranks not 1..n in {len(gaps)} requests, e.g. {gaps[:5]}")

    # The journal replayed over the snapshot must give the rows: a write that changed rows
    # without its entry, or the reverse, shows here. Counts first (the simplest statement),
    # then the exact lists (which sector, at which rank).
    unknown = sorted({action for _, _, action, _ in entries
                      if action not in ("request.wish_added", "request.wish_removed")})
    verdict.check(not unknown, "only wish additions and removals were journaled during the run",
                  f"unexpected journal actions during the run: {unknown}")
    replayed = {r: list(items) for r, items in before.wishes.items()}
    net: Counter[int] = Counter()
    mismatched = set()
    for subject, _, action, details in entries:
        request_id = int(subject)
        items = replayed.setdefault(request_id, [])
        item = (details.get("sector"), details.get("offer"))
        if action == "request.wish_added":
            net[request_id] += 1
            if details.get("rank") != len(items) + 1:
                mismatched.add(request_id)
            items.append(item)
        elif action == "request.wish_removed":
            net[request_id] -= 1
            rank = details.get("rank", 0)
            if not 1 <= rank <= len(items) or items.pop(rank - 1) != item:
                mismatched.add(request_id)
    written = {int(subject) for subject, *_ in entries}
    counts_off = [r for r in ranks if len(after.get(r, [])) - len(before.wishes.get(r, []))
                  != net[r]]
    verdict.check(not counts_off,
                  f"wishes now − wishes before = added − removed in the journal, for every "
                  f"request ({len(written):,} written, {len(entries):,} journal entries)",
                  f"wish count and journal disagree for {len(counts_off)} requests, "
                  f"e.g. {counts_off[:5]}")
    different = sorted(mismatched | {r for r in ranks if replayed.get(r, []) != after.get(r, [])})
    verdict.check(not different, "the journal replayed over the snapshot gives exactly the rows",
                  f"journal replay and rows differ for {len(different)} requests, "
                  f"e.g. {different[:5]}")

    # The pupils' own view: their writes told "committed" are in the journal, in order; the
    # journal holds nothing they did not send (a write that failed for them may have
    # committed: the reply, not the transaction, was lost).
    by_actor: dict[int, list[tuple[str, str]]] = {}
    for _, actor, action, details in entries:
        key = (("add", str(details.get("sector"))) if action == "request.wish_added"
               else ("remove", str(details.get("rank"))))
        by_actor.setdefault(actor, []).append(key)
    confirmed = lost_replies = 0
    unexplained = []
    for client in clients:
        writes = [c for c in client.calls if c.kind != "read"]
        journal = by_actor.pop(client.user_id, [])
        confirmed += sum(c.outcome == "committed" for c in writes)
        if explains(writes, journal):
            lost_replies += len(journal) - sum(c.outcome == "committed" for c in writes)
        else:
            unexplained.append(client.code)
    unexplained += [f"user {actor}" for actor in by_actor]
    verdict.check(not unexplained,
                  f"all {confirmed:,} writes the pupils saw committed are in the journal, in "
                  f"order; the journal has nothing else but {lost_replies} of the writes whose "
                  "reply was an error (committed, reply lost)",
                  f"journal and pupils' view disagree for {unexplained[:5]}")
    return verdict


def explains(writes: list[Call], journal: list[tuple[str, str]]) -> bool:
    """Whether the journal is the committed writes plus some of the failed ones, in order.

    The set of journal positions reachable after each write: a committed write must be the
    next entry, a refused one adds none, a failed one may or may not have committed."""
    reachable = {0}
    for write in writes:
        key = (write.kind, write.what)
        matched = {j + 1 for j in reachable if j < len(journal) and journal[j] == key}
        if write.outcome == "committed":
            reachable = matched
        elif write.outcome == "error":
            reachable |= matched
        if not reachable:
            return False
    return len(journal) in reachable


# Reporting ------------------------------------------------------------------------------------

def worker_pids(master: subprocess.Popen[bytes]) -> set[int]:
    """gunicorn's workers, from /proc: a worker replaced (crashed, timed out) changes the set."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    return set(map(int, children.read_text().split())) if children.exists() else set()


def logged_exceptions(log: Path) -> Counter[str]:
    """The exceptions the app logged, each by the last line of its traceback (the chained
    causes before it are left out), without the server's address."""
    found: Counter[str] = Counter()
    last = None
    for line in [*log.read_text(errors="replace").splitlines(), "ERROR: end"]:
        if re.match(r"ERROR:|\[\d{4}-", line):  # a new log record
            if last:
                found[last] += 1
            last = None
        elif re.match(r"[\w.]+(Error|Exception): ", line):
            last = re.sub(r'connection to server at "[^"]+", port \d+ failed: ', "", line)[:130]
    return found


def seconds(value: float | None, missing: str = "never") -> str:
    return missing if value is None else f"+{value:.2f} s"


def report(clients: list[PupilClient], restarts: list[Restart], started: float,
           ended: float) -> tuple[int, list[Recovery]]:
    """Print the figures; return the number of errors after recovery, and each recovery."""
    calls = [c for client in clients for c in client.calls]
    phases: dict[str, list[Call]] = {"before": []}
    for restart in restarts:
        phases[f"{restart.name}: down"] = []
        phases[f"{restart.name}: after"] = []
    for call in calls:
        phases[phase_of(call, restarts)].append(call)
    bounds = [started, *[t for r in restarts for t in (r.began, r.ready)], ended]
    print(f"\n  {'phase':18} {'seconds':>7} {'requests':>8} {'errors':>6} {'reads':>6} "
          f"{'committed':>9} {'refused':>7} {'failed writes':>13} {'p50 ms':>6} {'p95 ms':>6}")
    for index, (name, group) in enumerate(phases.items()):
        count = Counter((c.kind == "read", c.outcome) for c in group)
        answered = sorted(1000 * (c.ended - c.started) for c in group if c.outcome != "error")
        p50, p95 = ((f"{answered[len(answered) // 2]:.0f}",
                     f"{answered[min(len(answered) - 1, len(answered) * 95 // 100)]:.0f}")
                    if answered else ("-", "-"))
        print(f"  {name:18} {bounds[index + 1] - bounds[index]:7.2f} {len(group):8,} "
              f"{sum(c.outcome == 'error' for c in group):6,} {count[True, 'ok']:6,} "
              f"{count[False, 'committed']:9,} {count[False, 'refused']:7,} "
              f"{count[False, 'error']:13,} {p50:>6} {p95:>6}")
    print("  (latency of the requests answered without error)")

    recoveries = [recovery(r, restarts, clients) for r in restarts]
    print(f"\n  {'restart':18} {'server down':>11} {'first write committed':>21} "
          f"{'every pupil wrote again':>23} {'last error':>10}")
    for rec in recoveries:
        r = rec.restart
        print(f"  {'-m ' + r.name:18} {r.ready - r.began:9.2f} s {seconds(rec.first_write):>21} "
              f"{seconds(rec.every_pupil):>23} {seconds(rec.last_error, 'none'):>10}")
    print("  (times from the moment pg_ctl restart began)")
    kinds = Counter(c.error for c in calls if c.outcome == "error")
    if kinds:
        print("  errors: " + ", ".join(f"{kind} ×{n}" for kind, n in kinds.most_common()))
    late = sum(c.outcome == "error" for name, group in phases.items() if name.endswith("after")
               for c in group)
    return late, recoveries


# Main -----------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=sorted(MODES), default="both",
                        help="pg_ctl restart mode; both: fast, then immediate")
    parser.add_argument("--pupils", type=int, default=5_000)
    # 500 offers: the wish page's cost grows with the offers (benchmarks/README.md, "Load");
    # more would saturate a small machine, and the figures would measure queueing.
    parser.add_argument("--offers", type=int, default=500)
    parser.add_argument("--clients", type=int, default=12, help="pupils writing at once")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean seconds between a pupil's writes: paced, not saturating")
    parser.add_argument("--before", type=float, default=10, help="seconds before a restart")
    parser.add_argument("--after", type=float, default=20, help="seconds after each restart")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--short", action="store_true", help="small and quick (CI)")
    args = parser.parse_args()
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # in order with the children's output
    if args.short:
        args.pupils, args.offers, args.clients, args.think = 1_000, 250, 8, 0.25
        args.before, args.after = 3, 8
    # CI stops a job with SIGTERM: turn it into an exception so that the cleanup runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    cluster = gunicorn = gunicorn_log = None
    running, stop = threading.Event(), threading.Event()  # running cleared: pupils pause
    threads: list[threading.Thread] = []
    try:
        cluster = PrivateCluster()
        cluster.start()
        version = cluster.version()
        url = recreate_database(cluster.server, "stagebourse")
        accounts_path = cluster.root / "accounts.json"
        timings = prepare(url.replace("postgresql://", "postgresql+psycopg://"),
                          args.pupils, args.offers, accounts_path)
        accounts = json.loads(accounts_path.read_text(encoding="utf-8"))
        print(f"data: {args.pupils:,} pupils, {args.offers:,} offers (seeded in "
              f"{timings['seed_seconds']:.0f} s); private PostgreSQL {version} on "
              f"127.0.0.1:{cluster.port}; gunicorn {args.workers} workers; {args.clients} "
              f"pupils writing; restarts: {', '.join(MODES[args.mode])} under load, then "
              "fast with the pupils idle")
        port = free_port()
        gunicorn_log = (cluster.root / "gunicorn.log").open("wb")
        gunicorn = start_gunicorn(url, port, args.workers, log=gunicorn_log)

        base = f"http://127.0.0.1:{port}"
        clients = [PupilClient(base, code, accounts["sectors"], random.Random(index),
                               args.think)
                   for index, code in enumerate(accounts["pupil_codes"][:args.clients])]
        for client in clients:
            client.sign_in()
        before = snapshot(url)
        workers = worker_pids(gunicorn)
        running.set()
        threads = [threading.Thread(target=c.run, args=(running, stop), daemon=True)
                   for c in clients]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(args.before)
        restarts = []
        for mode in MODES[args.mode]:
            began = time.monotonic()
            cluster.restart(mode)
            restarts.append(Restart(mode, began, time.monotonic()))
            time.sleep(args.after)
        # Last, a restart while nobody uses the app (a night-time upgrade): every worker then
        # holds pooled connections to the old server, and the first requests after it must
        # not fail on them (the engine pings a connection before handing it out).
        running.clear()
        for client in clients:
            client.paused.wait(timeout=TIMEOUT[0] + TIMEOUT[1])
        began = time.monotonic()
        cluster.restart("fast")
        restarts.append(Restart("fast, idle", began, time.monotonic()))
        running.set()
        time.sleep(args.after)
        stop.set()
        for thread in threads:
            thread.join(timeout=TIMEOUT[0] + TIMEOUT[1])
        ended = time.monotonic()

        late, recoveries = report(clients, restarts, started, ended)
        replaced = len(workers - worker_pids(gunicorn)) if workers else 0
        gunicorn_log.flush()
        logged = logged_exceptions(cluster.root / "gunicorn.log")
        if logged:
            print("  the app logged (gunicorn's log):")
        for line, count in logged.most_common():
            print(f"    ×{count} {line}")
        recovered = Verdict()
        recovered.check(late == 0, "0 errors in requests sent once the server was back",
                        f"{late} errors in requests sent once the server was back")
        recovered.check(all(r.every_pupil is not None for r in recoveries),
                        "every pupil committed a write again after each restart",
                        "some pupil never committed a write again after a restart")
        recovered.check(gunicorn.poll() is None and replaced == 0,
                        "gunicorn not restarted: same master, same workers",
                        f"gunicorn restarted ({replaced} workers replaced, master "
                        f"{'alive' if gunicorn.poll() is None else 'dead'})")
        print("\nrecovery:")
        print("\n".join(recovered.lines))
        consistent = check_invariants(url, before, clients)
        print("no partial write (read from the database at the end):")
        print("\n".join(consistent.lines))
        failures = recovered.failures + consistent.failures
        if failures:
            gunicorn_log.flush()
            tail = (cluster.root / "gunicorn.log").read_text(errors="replace")[-3000:]
            print(f"\ngunicorn log (end):\n{tail}")
            raise SystemExit("FAILED: " + "; ".join(failures))
        print("\nthe app recovered without a restart, and no write was partial")
    finally:
        stop.set()
        running.set()
        for thread in threads:
            thread.join(timeout=TIMEOUT[0] + TIMEOUT[1])
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        if gunicorn_log is not None:
            gunicorn_log.close()
        if cluster is not None:
            cluster.remove()


if __name__ == "__main__":
    main()
