"""gunicorn settings for production (``gunicorn 'stagebourse:create_app()'`` reads this file
from the working directory). Chosen from measurements on the project's 2-core machine
(benchmarks/README.md, "Load"): two threaded workers of four threads each. In runs made
together, two workers did better than three (fewer processes fighting PostgreSQL for the two
cores), and four threads each better than one: a page waits on PostgreSQL for part of its
time, when another thread of the same worker can use the core."""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = 2
threads = 4
# Threaded workers keep connections open between requests. A client that sends on a
# connection the server is closing gets no answer (a browser retries; not every client does):
# keep an idle connection longer than people pause between two pages.
keepalive = 5
# Access lines never hold the token of a reset, signing, tutor or invitation link
# (stagebourse/access_log.py, docs/privacy.md).
logger_class = "stagebourse.access_log.RedactingGunicornLogger"
