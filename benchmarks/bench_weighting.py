"""Weighting benchmark: raking a million rows on three margins against ipfn and weightipy.

Ratios against the other implementations timed in the same run, on the same input (issue 14,
"Figures"):
* ``analysis.weighting.rake`` on 1,000,000 respondents, margins dealer (10 levels), visit type
  (3) and age band (5), which are associated in the sample so that IPF needs many sweeps;
* ``ipfn`` 1.4.4 (pandas mode, the documented way to rake microdata) and ``weightipy`` 0.4.2
  (``scheme_from_dict`` + ``weight``), when installed; neither is a dependency of surveykit
  (``pip install ipfn weightipy`` into the venv to include them);
* every pair must give the same weights within 1e-8 (largest absolute difference, weights
  scaled to mean 1 as weightipy scales them), each run to its own convergence rule at its
  tightest useful setting: surveykit and ipfn largest relative cell error < 1e-12, weightipy
  until its sweeps stop improving (convcrit 1e-9);
* a weighted mean with its calibration-aware SE against an unweighted mean and SE, which is
  the price of honest standard errors per estimate.

Ours and weightipy are timed warm and interleaved, best of ``--repeat`` runs; ipfn once (about
four minutes for a million rows). Run: ``python benchmarks/bench_weighting.py [--rows N]
[--repeat R]``.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import weighting as wt  # noqa: E402

DEALERS = [f"D{i:02d}" for i in range(10)]
VISITS = ["repair", "sales", "service"]
AGES = ["18-24", "25-34", "35-49", "50-64", "65+"]
# Population shares: dealers equal, visits and ages as a customer base might be.
POPULATION = {
    "dealer": dict.fromkeys(DEALERS, 0.1),
    "visit_type": {"repair": 0.3, "sales": 0.2, "service": 0.5},
    "age_band": {"18-24": 0.15, "25-34": 0.2, "35-49": 0.25, "50-64": 0.25, "65+": 0.15},
}


def sample(n: int, seed: int = 14) -> pd.DataFrame:
    """Dealers sampled 1:10, visit type and age band depending on the dealer (and age on the visit)."""
    rng = np.random.default_rng(seed)
    code = rng.choice(10, n, p=np.arange(1, 11) / 55)
    k, u = code / 9, rng.random(n)
    visit = np.where(u < 0.15 + 0.3 * k, 1, np.where(u < 0.45 + 0.2 * k, 0, 2))
    age = np.clip(np.round(rng.normal(2 - 1.2 * k + (visit == 1), 1.1)), 0, 4).astype(int)
    return pd.DataFrame(
        {
            "dealer": np.asarray(DEALERS, dtype=object)[code],
            "visit_type": np.asarray(VISITS, dtype=object)[visit],
            "age_band": np.asarray(AGES, dtype=object)[age],
            "sat": np.where(rng.random(n) < 0.03, np.nan, np.clip(np.round(3 + k + rng.normal(size=n)), 1, 5)),
        }
    )


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def ours(df: pd.DataFrame) -> np.ndarray:
    n = len(df)
    margins = [wt.margin(col, {lv: s * n for lv, s in shares.items()}) for col, shares in POPULATION.items()]
    return wt.rake(df, margins).weights.to_numpy()


def with_ipfn(df: pd.DataFrame) -> np.ndarray:
    from ipfn.ipfn import ipfn

    n = len(df)
    frame = df[list(POPULATION)].assign(total=1.0, row=np.arange(n))
    aggregates = [
        pd.Series({lv: s * n for lv, s in shares.items()}).rename_axis(col) for col, shares in POPULATION.items()
    ]
    out = ipfn(
        frame,
        aggregates,
        [[col] for col in POPULATION],
        weight_col="total",
        convergence_rate=1e-12,
        max_iteration=1000,
        rate_tolerance=0,
    ).iteration()
    return out.sort_values("row")["total"].to_numpy()


def with_weightipy(df: pd.DataFrame) -> np.ndarray:
    import weightipy

    scheme = weightipy.scheme_from_dict(
        {col: {lv: 100 * s for lv, s in shares.items()} for col, shares in POPULATION.items()},
        rim_params={"convcrit": 1e-9, "max_iterations": 1000},
    )
    return weightipy.weight(df[list(POPULATION)], scheme).to_numpy()


def version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--analyze-rows", type=int, default=100_000, help="responses for weighted vs plain analyze()")
    args = parser.parse_args()
    df = sample(args.rows)
    print(f"raking {len(df):,} rows on 3 margins ({', '.join(f'{c} {len(v)}' for c, v in POPULATION.items())})")
    ours(df.head(1000))  # warm imports and caches
    installed = {name: version(name) for name in ("weightipy", "ipfn")}
    peers = {name: fn for name, fn in (("weightipy", with_weightipy), ("ipfn", with_ipfn)) if installed[name]}
    times: dict[str, list[float]] = {"surveykit": [], **{name: [] for name in peers}}
    weights: dict[str, np.ndarray] = {}
    # Interleaved, so that load from other work on the machine hits every implementation alike;
    # ipfn (minutes for a million rows) runs once, in the middle.
    for run in range(args.repeat):
        for name, fn in (("surveykit", ours), *peers.items()):
            if name == "ipfn" and run != args.repeat // 2:
                continue
            t, out = timed(functools.partial(fn, df))
            times[name].append(t)
            weights[name] = np.asarray(out)
    t_ours = min(times["surveykit"])
    print(f"  {'surveykit':<16} {t_ours:8.3f} s   (best of {len(times['surveykit'])})")
    for name in ("weightipy", "ipfn"):
        if name not in peers:
            print(f"  {name:<16} not installed (pip install {name} into the venv to compare)")
            continue
        t = min(times[name])
        diff = float(np.max(np.abs(weights[name] - weights["surveykit"])))
        verdict = "same weights" if diff <= 1e-8 else "DIFFERENT WEIGHTS"
        print(
            f"  {f'{name} {installed[name]}':<16} {t:8.3f} s   {t / t_ours:7.1f}x slower than surveykit "
            f"(best of {len(times[name])}); max |w - w_surveykit| = {diff:.1e} ({verdict} at 1e-8)"
        )

    r = wt.rake(df, [wt.margin(c, {lv: s * len(df) for lv, s in sh.items()}) for c, sh in POPULATION.items()])

    def unweighted() -> tuple[float, float]:
        y = df["sat"].dropna().to_numpy()
        return float(y.mean()), float(y.std(ddof=1) / np.sqrt(len(y)))

    m = wt.weighted_mean(df, "sat", r)
    t_w = min(timed(lambda: wt.weighted_mean(df, "sat", r))[0] for _ in range(args.repeat))
    t_u = min(timed(unweighted)[0] for _ in range(args.repeat))
    print(
        f"weighted mean with calibration-aware SE: {t_w:.3f} s; unweighted mean and SE {t_u:.3f} s "
        f"({t_w / t_u:.1f}x); {r.iterations} raking sweeps, Kish deff {r.kish.deff:.3f}, "
        f"mean {m.estimate:.4f} (SE {m.se:.5f})"
    )
    weighted_analyze(args.analyze_rows, args.repeat)


def weighted_analyze(rows: int, repeat: int) -> None:
    """analyze() of the shipped SERVQUAL instrument with a declared raking on dealer, against plain analyze()."""
    from analysis import analyze
    from surveykit import load_questionnaire
    from surveykit.simulate import simulate

    path = Path(__file__).resolve().parents[1] / "questionnaires" / "servqual.yaml"
    plain = load_questionnaire(path)
    dealers = [f"d{i}" for i in range(1, 6)]
    shares = ", ".join(f"{d}: {s}" for d, s in zip(dealers, (0.3, 0.25, 0.2, 0.15, 0.1), strict=True))
    text = (
        path.read_text(encoding="utf-8")
        + f"weighting:\n  margins:\n    - fields: [dealer]\n      shares: {{{shares}}}\n"
    )
    weighted_q = load_questionnaire(text)
    df = simulate(plain, rows, seed=5, fields={"dealer": dealers}, waves=["2026Q1", "2026Q2"])
    t_plain = min(timed(functools.partial(analyze, plain, df))[0] for _ in range(repeat))
    t_weighted = min(timed(functools.partial(analyze, weighted_q, df))[0] for _ in range(repeat))
    print(
        f"analyze() on {rows:,} SERVQUAL responses: weighted (raking on dealer) {t_weighted:.2f} s, "
        f"unweighted {t_plain:.2f} s ({t_weighted / t_plain:.2f}x)"
    )


if __name__ == "__main__":
    main()
