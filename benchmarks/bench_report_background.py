"""The full report as the dashboard's background job makes it, at 1,000,000 responses: wall time and peak memory.

The store of ``bench_dashboard`` (1,000 dealers, a 12-question survey; ``--rows``, 100,000 with
``--quick``) on SQLite, or an existing one (``--db URL --survey S``).  The job runs
``analysis.report.report_from_store`` in a thread of the web process
(:mod:`webform.dashboard.jobs`); here it runs in this process, and the peak is the process's
maximum resident set (``ru_maxrss``) against the resident set before it.

Run: ``python benchmarks/bench_report_background.py [--quick] [--rows N] [--db URL --survey S]``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from bench_dashboard import SURVEY, build  # noqa: E402

from surveykit import load_questionnaire, storage  # noqa: E402


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--db", default=None, help="an existing store (with --survey) instead of building one")
    parser.add_argument("--survey", default="network")
    args = parser.parse_args()
    from analysis.report import report_from_store

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "network.yaml"
        path.write_text(SURVEY, encoding="utf-8")
        q = load_questionnaire(path)
        url = args.db or f"sqlite:///{tmp}/report.sqlite3"
        engine = storage.make_engine(url)
        try:
            if args.db is None:
                build(engine, q, SURVEY, args.rows or (100_000 if args.quick else 1_000_000))
            before = _rss_mib()
            began = time.perf_counter()
            report = report_from_store(engine, q, lang="zh")
            wall = time.perf_counter() - began
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        finally:
            engine.dispose()
    t = report.timings
    print(f"report of {report.responses:,} responses ({len(report.html) / 2**20:.1f} MiB of HTML)")
    print(f"  wall {wall:.1f} s (statistics {t.statistics_s:.1f} s, charts {t.charts_s:.1f} s)")
    print(f"  peak resident {peak:.0f} MiB, {peak - before:.0f} MiB above the process before the report")
    return 0


if __name__ == "__main__":
    sys.exit(main())
