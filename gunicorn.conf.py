"""gunicorn settings for production (``gunicorn 'stagebourse:create_app()'`` reads this file
from the working directory). Chosen from measurements on the project's 2-core machine
(benchmarks/README.md, "Load"): sync workers, three of them. Pages spend most of their time
in Python, not waiting, so threads or gevent would add little; with PostgreSQL and locust on
the same two cores, 3 workers served the mix best, more only queued on the CPU."""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "sync"
workers = 3
# Access lines never hold the token of a reset, signing, tutor or invitation link
# (stagebourse/access_log.py, docs/privacy.md).
logger_class = "stagebourse.access_log.RedactingGunicornLogger"
