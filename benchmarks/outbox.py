"""Benchmark (not a test): queue N messages, drain them into a loopback SMTP server.

    python -m benchmarks.outbox                       # temporary SQLite file, 10,000 messages
    python -m benchmarks.outbox --database-url postgresql://postgres@127.0.0.1/<database>
    python -m benchmarks.outbox --messages 2000 --workers 1 2 4

Each worker is a separate process running the real ``deliver_due`` loop (claim, SMTP, record),
as ``stagebourse worker`` would. The SMTP server is aiosmtpd in this process. Between runs every
message is put back to "pending", so each run sends the same N messages; after each run the
script checks that the server received every message exactly once.

WARNING: on the given database the schema is created if absent and the OUTBOX TABLE IS EMPTIED.
Point it at a scratch database only.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

MESSAGE_ID = re.compile(rb"^Message-ID: (<[^>]+>)", re.MULTILINE | re.IGNORECASE)
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, select, update  # noqa: E402

from stagebourse.config import normalise_database_url  # noqa: E402
from stagebourse.extensions import db  # noqa: E402
from stagebourse.models import Base, OutboxMessage, OutboxState, utcnow  # noqa: E402


def make_app(url: str, smtp_port: int):  # noqa: ANN201 - a Flask app
    from stagebourse.web import create_app

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
        "SECRET_KEY": "benchmark-secret-key-not-for-production-0123456789",
        "SERVER_NAME": "stagebourse.bench",
        "PUBLIC_URL": "http://stagebourse.bench",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_BATCH_SIZE": 100,
    })
    # One log line per SMTP command would dominate the measure.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    logging.getLogger().setLevel(logging.WARNING)
    return app


def queue_messages(count: int) -> float:
    from stagebourse.services.notifications import queue_email

    started = time.perf_counter()
    user = type("Reader", (), {"display_name": "Camille"})()
    for i in range(count):
        queue_email(f"lecteur{i}@atelier-bench.fr", "password_reset", key=f"bench:{i}",
                    reason="ceci est un banc d'essai.", user=user,
                    reset_url=f"http://stagebourse.bench/r/{i}", minutes=60)
        if i % 1000 == 999:
            db.session.commit()
    db.session.commit()
    return time.perf_counter() - started


def worker_process(url: str, smtp_port: int, name: str) -> None:
    from stagebourse.services.outbox import deliver_due

    app = make_app(url, smtp_port)
    with app.app_context():
        deliver_due(name)


def drain(url: str, smtp_port: int, workers: int) -> float:
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=worker_process, args=(url, smtp_port, f"bench{i}"))
                 for i in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    from tests.smtp_server import LoopbackSmtp

    scratch = tempfile.TemporaryDirectory()
    url = args.database_url or "sqlite:///" + str(Path(scratch.name) / "bench.sqlite3")
    server = LoopbackSmtp()
    server.start()
    app = make_app(url, server.port)
    with app.app_context():
        Base.metadata.create_all(db.engine)
        db.session.execute(delete(OutboxMessage))
        db.session.commit()
        backend = db.engine.dialect.name
        queued_in = queue_messages(args.messages)
        print(f"backend: {backend}; queued {args.messages} messages in {queued_in:.1f} s "
              f"({args.messages / queued_in:.0f}/s, rendering included)")
        for workers in args.workers:
            db.session.execute(update(OutboxMessage).values(
                state=OutboxState.PENDING, attempts=0, sent_at=None, next_attempt_at=utcnow(),
                claimed_by=None, claimed_at=None, last_error=None))
            db.session.commit()
            server.clear()
            seconds = drain(url, server.port, workers)
            db.session.expire_all()
            sent = db.session.scalar(select(func.count()).where(
                OutboxMessage.state == OutboxState.SENT))
            ids = Counter(MESSAGE_ID.search(raw).group(1) for raw in server.raw)  # type: ignore[union-attr]
            duplicates = sum(n - 1 for n in ids.values() if n > 1)
            print(f"{workers} worker(s): {sent} sent in {seconds:.1f} s = "
                  f"{sent / seconds:.0f} messages/s; received {len(server.raw)}, "
                  f"distinct {len(ids)}, duplicates {duplicates}")
        db.session.execute(delete(OutboxMessage))
        db.session.commit()
    server.stop()
    scratch.cleanup()


if __name__ == "__main__":
    main()
