"""Report benchmark: analyze() and the whole report on simulated SERVQUAL responses.

Prints the time of ``analyze`` (and where it goes, section by section) and of
the report, split into statistics, charts and rendering, with a plain numpy
baseline run in the same process: item means and the 44 x 44 covariance
matrix of the same table (the least any analysis of these data must do).

Run: ``python benchmarks/bench_report.py [--quick]`` (100,000 rows; --quick 20,000).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import analyze  # noqa: E402
from analysis.report import write_report  # noqa: E402
from surveykit import load_questionnaire  # noqa: E402
from surveykit.simulate import simulate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 20_000 if args.quick else 100_000
    q = load_questionnaire(ROOT / "questionnaires" / "servqual.yaml")
    df = simulate(
        q,
        n,
        seed=1,
        missing=0.02,
        careless=0.03,
        fields={"dealer": [f"D{i:02d}" for i in range(1, 31)]},
        waves=["2026Q1", "2026Q2", "2026Q3", "2026Q4"],
    )
    items = [v.name for v in q.answer_variables() if v.role in ("expectation", "perception")]
    began = time.perf_counter()
    x = df[items].to_numpy(float)
    np.nanmean(x, axis=0)
    np.cov(np.nan_to_num(x, nan=4.0), rowvar=False)
    base = time.perf_counter() - began

    profile = cProfile.Profile()
    began = time.perf_counter()
    profile.enable()
    analyze(q, df)
    profile.disable()
    stats_s = time.perf_counter() - began
    print(
        f"analyze on {n:,} SERVQUAL responses: {stats_s:.2f} s  ({stats_s / base:.0f}x the numpy baseline of {base * 1000:.0f} ms)"
    )
    print("  where it goes (cumulative, top sections):")
    table = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    sections = {
        name: cum
        for (path, _, name), (_, _, _, cum, _) in table.items()
        if path.endswith("analysis/analyze.py") and name.startswith("_") and name != "_attempt"
    }
    for name, cum in sorted(sections.items(), key=lambda kv: -kv[1])[:8]:
        print(f"    {name:<22} {cum:6.2f} s  {100 * cum / stats_s:5.1f} %")

    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        timings = write_report(q, df, Path(tmp) / "report.html", lang="zh")
        total = time.perf_counter() - began
        size = (Path(tmp) / "report.html").stat().st_size
    print(f"report (zh) on {n:,} responses: {total:.2f} s, {size / 1024:.0f} KB")
    for part, seconds in (
        ("statistics", timings.statistics_s),
        ("charts", timings.charts_s),
        ("render", timings.render_s),
    ):
        print(f"    {part:<12} {seconds:6.2f} s  {100 * seconds / total:5.1f} %")


if __name__ == "__main__":
    main()
