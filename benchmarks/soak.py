"""Kill -9 soak and steady load against the real web form, with the RELIABILITY.md §6 targets (T8, T9, T11).

The load generator, the server and the checks on the store are :mod:`tests.support.soak`
(the quick correctness runs of tests/security/test_soak.py use the same code).  This
script runs them at full length and also judges the figures that depend on the machine:
the soak's p95 from first POST to acknowledgement (retries included) and its number of
acknowledgements, the steady run's p95, p99 and submissions per second.  The figures are
printed; the exit status says whether the targets were met.  Every loop is bounded by time
and count, the server binds 127.0.0.1 only and is stopped at the end.  Run::

    python benchmarks/soak.py                         # T8 + T9: both backends, 16 clients x 60 s, a kill every 3 s
    python benchmarks/soak.py --restart-at 30         # the variant: master + workers killed at t = 30 s
    python benchmarks/soak.py --steady --backend sqlite   # T11
    python benchmarks/soak.py --seconds 5 --clients 8     # a short run
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.pgschema import PG_URL, PostgresSchema  # noqa: E402
from tests.support.soak import run  # noqa: E402

TARGETS = {  # RELIABILITY.md §6
    "soak": {"acks": 1500, "p95_ms": 1500.0},
    "steady": {"per_s": 50.0, "p95_ms": 500.0, "p99_ms": 1000.0},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--kill-every", type=float, default=3.0)
    parser.add_argument("--restart-at", type=float, default=None, help="kill -9 master + workers at this second")
    parser.add_argument("--steady", action="store_true", help="T11: no kills")
    parser.add_argument("--pg", default=PG_URL)
    args = parser.parse_args()
    if not 1 <= args.clients <= 64 or not 0 < args.seconds <= 600:
        parser.error("1..64 clients, at most 600 s")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    failed = False
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="sk-soak-") as tmp:
            schema = PostgresSchema(args.pg) if backend == "postgresql" else None
            url = schema.url if schema else f"sqlite:///{tmp}/soak.sqlite3"
            try:
                result, _ = run(
                    url,
                    Path(tmp),
                    seconds=args.seconds,
                    clients=args.clients,
                    workers=args.workers,
                    kill_every=None if args.steady else args.kill_every,
                    restart_at=None if args.steady else args.restart_at,
                )
            finally:
                if schema:
                    schema.drop()
        print(result.line(), flush=True)
        scale = args.seconds / 60
        if result.mode == "steady":
            t = TARGETS["steady"]
            bad = result.failures(p95_ms=t["p95_ms"], p99_ms=t["p99_ms"], per_s=t["per_s"], no_errors=True)
        else:
            t = TARGETS["soak"]
            bad = result.failures(
                min_acks=int(t["acks"] * scale),
                p95_ms=t["p95_ms"],
                min_kills=int(args.seconds / args.kill_every * 0.75) if args.kill_every else 0,
            )
        print("  targets met" if not bad else "  NOT MET: " + "; ".join(bad), flush=True)
        if result.samples:
            print("  e.g. " + "; ".join(result.samples), flush=True)
        failed |= bool(bad)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
