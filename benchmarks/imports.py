"""Benchmark (not a test): what one import request costs the server, before and after the
import bounds (IMPORT_MAX_BYTES, IMPORT_MAX_ROWS).

    python benchmarks/imports.py                   # a 10 MB offers file, the default limits
    python benchmarks/imports.py --megabytes 10 --repeat 3 --json

Cases, each in a fresh child process (so that its peak resident memory is its own), each
measured in that process with the standard library only: ``time.process_time`` (CPU, median
of ``--repeat`` runs), ``tracemalloc`` (peak of Python allocations, in a separate run, since
tracing slows the work down) and ``resource.getrusage`` (``ru_maxrss``, the process's peak):

* ``old``: the reading the offer import did before the bounds, reproduced here step by step:
  the whole body read at once, decoded, split into lines, every record parsed and kept, then
  the row limit (500) checked, so the file is refused only after all of it was parsed;
* ``old-small-cells``: the same with a 10 MB file of one-letter cells (the most Python
  objects per megabyte: the worst case for memory);
* ``new-oversized`` (and ``new-oversized-small-cells``): the same 10 MB bodies read by
  ``csv_input.read_upload`` as the import views do: reading stops one byte past
  IMPORT_MAX_BYTES and the file is refused unparsed;
* ``new-too-many-rows``: a file just under IMPORT_MAX_BYTES with more rows than allowed,
  through ``csv_input.read_csv``: parsing stops at the row limit;
* ``new-accepted``: the largest file accepted (the offer import's 500 rows) through
  ``read_csv``: the bounded cost of a legitimate import's reading.

The web layer also refuses a body whose declared Content-Length is above the limit before
anything reads it (stagebourse/web/uploads.py): that costs nothing measurable and is not timed.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CASES = ("old", "old-small-cells", "new-oversized", "new-oversized-small-cells",
         "new-too-many-rows", "new-accepted")
COLUMNS = ["reference", "titre", "secteur", "description", "adresse", "commune", "niveaux",
           "age_min", "accessible", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi",
           "attestation_securite", "tuteur_nom", "tuteur_fonction", "tuteur_email", "semaines",
           "latitude", "longitude"]


def offer_line(n: int) -> str:
    values = {c: "" for c in COLUMNS}
    values.update({
        "reference": f"SITE-{n:06d}", "titre": f"Découverte du site {n}", "secteur": "industrie",
        "description": "L'élève suit un technicien, découvre les outils de diagnostic et "
                       "participe à la préparation des interventions de l'équipe.",
        "adresse": f"{n} rue de Famars", "commune": "59606", "niveaux": "3e", "age_min": "14",
        "accessible": "non", "lundi": "09:00-12:00 13:00-16:00",
        "mardi": "09:00-12:00 13:00-16:00", "mercredi": "09:00-12:00",
        "jeudi": "09:00-12:00 13:00-16:00", "vendredi": "09:00-12:00 13:00-15:00",
        "attestation_securite": "oui", "tuteur_nom": "Camille Martin",
        "tuteur_fonction": "Responsable qualité", "tuteur_email": "camille@atelier.test",
        "semaines": "2027-W05:2 2027-W06:1",
    })
    return ";".join(values[c] for c in COLUMNS)


def small_cells_file(size: int) -> bytes:
    """The offers header, then rows of one-letter cells: the most records and cells (Python
    objects) per megabyte, the worst case for memory."""
    header = (";".join(COLUMNS) + "\r\n").encode()
    line = (";".join("x" * len(COLUMNS)) + "\r\n").encode()
    return header + line * ((size - len(header)) // len(line))


def offers_file(size: int | None = None, rows: int | None = None) -> bytes:
    """``rows`` offer lines, or as many as fit in ``size`` bytes."""
    lines = [";".join(COLUMNS)]
    total = len(lines[0]) + 2
    n = 0
    while (rows is not None and n < rows) or (size is not None and total < size):
        n += 1
        line = offer_line(n)
        if size is not None and total + len(line.encode()) + 2 > size:
            break
        lines.append(line)
        total += len(line.encode()) + 2
    return ("\r\n".join(lines) + "\r\n").encode()


# The reading before the bounds (the offer import's read_csv as it was) ---------------------

def old_reading(body: io.BytesIO) -> str:
    from stagebourse.services.csv_input import decode, normalise_header, sniff_delimiter

    data = body.read()  # the whole upload in memory, whatever its size
    text = decode(data).text
    first_line = text.splitlines()[0]
    delimiter = sniff_delimiter(first_line) or ";"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = [(reader.line_num, cells) for cells in reader]
    rows = [(number, line, cells) for number, (line, cells) in enumerate(records[1:], start=2)
            if any(cell.strip() for cell in cells)]
    header = [normalise_header(name) for name in records[0][1]]
    assert "reference" in header
    if len(rows) > 500:  # the row limit, checked once everything was parsed
        return f"refused after parsing {len(rows)} rows"
    return "accepted"


# The reading now -----------------------------------------------------------------------------

def new_reading(body: io.BytesIO) -> str:
    from stagebourse.services import ServiceError
    from stagebourse.services.csv_input import read_csv, read_upload
    from stagebourse.services.offer_import import OPTIONAL, REQUIRED, max_rows

    try:
        data = read_upload(body)
        table = read_csv(data, required=REQUIRED, optional=OPTIONAL, max_rows=max_rows())
    except ServiceError as error:
        return f"refused: {str(error)[:60]}…"
    return f"accepted ({len(table.rows)} rows)"


def measure(work: Callable[[io.BytesIO], str], data: bytes, repeat: int) -> dict[str, object]:
    cpu = []
    outcome = ""
    for _ in range(repeat):
        start = time.process_time()
        outcome = work(io.BytesIO(data))
        cpu.append(time.process_time() - start)
    tracemalloc.start()
    work(io.BytesIO(data))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"outcome": outcome, "bytes": len(data), "cpu_seconds": statistics.median(cpu),
            "python_peak_mib": peak / 2**20, "maxrss_mib": maxrss_kib / 1024}


def run_case(case: str, megabytes: float, repeat: int) -> dict[str, object]:
    from stagebourse.web import create_app

    instance = tempfile.mkdtemp(prefix="bench-imports-")
    app = create_app({"TESTING": True, "SECRET_KEY": "benchmark-" + "x" * 40,
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=instance)
    limit = int(app.config["IMPORT_MAX_BYTES"])
    with app.test_request_context():
        if case in ("old", "new-oversized"):
            data = offers_file(size=int(megabytes * 2**20))
        elif case.endswith("small-cells"):
            data = small_cells_file(int(megabytes * 2**20))
        elif case == "new-too-many-rows":
            data = offers_file(size=limit - 1024)
        else:
            data = offers_file(rows=500)
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result = measure(old_reading if case.startswith("old") else new_reading, data, repeat)
    return {"case": case, "limit_bytes": limit, "maxrss_before_mib": baseline, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=10.0,
                        help="size of the oversized file (default 10, the request limit)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.megabytes, args.repeat)))
        return
    results = []
    for case in CASES:
        out = subprocess.run([sys.executable, __file__, "--case", case, "--megabytes",
                              str(args.megabytes), "--repeat", str(args.repeat)],
                             check=True, capture_output=True, text=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    # RSS growth: the process's peak during the measure, less its size once the app was
    # loaded and the file built (both are there before any request in a real worker).
    print(f"{'case':<26} {'file':>9} {'CPU s':>7} {'Python peak':>12} {'RSS growth':>11}  "
          "outcome")
    for r in results:
        growth = float(r["maxrss_mib"]) - float(r["maxrss_before_mib"])
        print(f"{r['case']:<26} {r['bytes'] / 2**20:>7.2f}MB {r['cpu_seconds']:>7.3f} "
              f"{r['python_peak_mib']:>9.1f}MiB {growth:>8.0f}MiB  {r['outcome']}")


if __name__ == "__main__":
    main()
