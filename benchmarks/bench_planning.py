"""Study-planning benchmark: ``plan power`` at 500 replicates, vectorised against per-replicate loops.

Issue 14 asks that 500 replicates of 5 dealers x 60 responses take well under a minute, and for
the seconds and replicates per second. On the shipped SERVQUAL instrument (22 paired items, five
dimensions, overall satisfaction, a dealer field) with the issue's scenario (a dealer 5 index
points below the rest, +3 points between two waves, a gap of -0.3 on responsiveness), and on the
Kano instrument with a planted category mix, three ways are timed in the same run:

* ``vectorised``: :func:`analysis.planning.power` as ``surveykit plan power`` runs it, one
  simulation call for all replicates and every rule applied to all of them at once;
* ``loop, same data``: the same simulated data, the report's functions (``funnel_limits``,
  ``over_waves``, ``servqual.gaps``, ``kano.evaluate``) called on each replicate in turn; it must
  give the same table, detections and false alarms counted alike (checked here, and in
  tests/analysis/test_planning.py);
* ``plain loop``: what one would write first, each replicate simulated on its own and analysed
  with the report's functions (``power(..., reps=1, method="loop")`` per replicate); its power
  estimates differ by Monte Carlo error only.

Best of ``--repeat`` runs for the vectorised path, one run of each loop (about three minutes in
all, almost all of it in the loops). Run:
``python benchmarks/bench_planning.py [--reps 500] [--n-per-dealer 60] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import planning  # noqa: E402
from surveykit import load_questionnaire  # noqa: E402
from surveykit.scenario import load_scenario  # noqa: E402

CASES = {
    "servqual.yaml": """\
level: 72
dealers: [D1, D2, D3, D4, D5]
waves: [2025H2, 2026H1]
effects:
  dealer: {dealer: D3, index: -5}
  change: {index: 3}
  servqual_gap: {dimension: responsiveness, gap: -0.3}
""",
    "kano_dealer.yaml": """\
dealers: [D1, D2, D3, D4, D5]
effects:
  kano_mix: {attribute: courtesy_car, mix: {M: 0.35, O: 0.25, A: 0.15, I: 0.2, R: 0.025, Q: 0.025}}
""",
}


def _plain_loop(q, scenario, n_per_dealer: int, reps: int, seed: int) -> pd.DataFrame:
    rows = [
        planning.power(q, scenario, n_per_dealer=n_per_dealer, reps=1, seed=seed + r, method="loop").table
        for r in range(reps)
    ]
    stacked = pd.concat(rows)
    return stacked.groupby("effect", sort=False)["detected"].sum().div(reps).rename("power").to_frame()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--n-per-dealer", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    print(f"plan power: {args.reps} replicates of 5 dealers x {args.n_per_dealer} responses")
    print(f"{'instrument':<18} {'method':<16} {'seconds':>8} {'reps/s':>9} {'ratio':>7}  power by effect")
    for name, text in CASES.items():
        q = load_questionnaire(ROOT / "questionnaires" / name)
        scenario = load_scenario(text, q)
        planning.power(q, scenario, n_per_dealer=args.n_per_dealer, reps=5, seed=0)  # warm: imports, caches
        best, fast = np.inf, None
        for _ in range(args.repeat):
            started = time.perf_counter()
            fast = planning.power(q, scenario, n_per_dealer=args.n_per_dealer, reps=args.reps, seed=args.seed)
            best = min(best, time.perf_counter() - started)
        started = time.perf_counter()
        same = planning.power(
            q, scenario, n_per_dealer=args.n_per_dealer, reps=args.reps, seed=args.seed, method="loop"
        )
        loop_s = time.perf_counter() - started
        started = time.perf_counter()
        plain = _plain_loop(q, scenario, args.n_per_dealer, args.reps, args.seed)
        plain_s = time.perf_counter() - started
        assert fast is not None
        if not fast.table.equals(same.table):
            raise SystemExit(
                f"{name}: the vectorised rules and the report's functions disagree:\n{fast.table}\n{same.table}"
            )

        def powers(values: pd.Series) -> str:
            return "  ".join(f"{effect} {100 * p:.1f} %" for effect, p in values.items())

        fast_power = fast.table.set_index("effect")["power"]
        for method, seconds, shown in [
            ("vectorised", best, fast_power),
            ("loop, same data", loop_s, same.table.set_index("effect")["power"]),
            ("plain loop", plain_s, plain["power"]),
        ]:
            print(
                f"{name:<18} {method:<16} {seconds:8.2f} {args.reps / seconds:9.1f} {seconds / best:6.1f}x  "
                f"{powers(shown)}"
            )
    print("vectorised rules and the report's functions on the same data: same detections and false alarms")


if __name__ == "__main__":
    main()
