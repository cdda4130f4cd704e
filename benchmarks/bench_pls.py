"""PLS path model benchmark: analysis.pls against the Python ``plspm`` package, in one run.

* ``pls.fit`` on 100,000 respondents x 17 items (5 constructs, 6 paths, centroid scheme);
* ``pls.bootstrap`` with 5,000 resamples of 800 x 17 (BCa on, so a jackknife of 800 more
  fits is included);
* peak memory allocated during each call (tracemalloc), beside the size of the data; for
  the peer's bootstrap, which works in child processes, their largest resident set instead.

The peer is Python plspm 0.5.7 (GoogleCloudPlatform/plspm-python). It needs pandas < 3 and
scikit-learn, which the project does not use, so it runs in its own interpreter
(``--plspm-python`` or ``$PLSPM_PYTHON``; make one with ``python3 -m venv ~/plspm-venv &&
~/plspm-venv/bin/pip install "pandas<3" scikit-learn statsmodels plspm==0.5.7``), on the
same data written to a temporary folder, timed there the same way. It is given per-item
standardized data with ``scaled=False`` (its ``scaled=True`` divides by one pooled SD;
PLS.md of the reference cases) and bootstraps with 2 processes, its default, the two cores
of this machine; analysis.pls uses numpy's BLAS threads. Its bootstrap takes minutes for
5,000 resamples, so it runs ``--plspm-resamples`` (default 250) and its 5,000-resample time
is that time scaled linearly (its resamples are independent fits, so the cost is linear);
the printout says so. Each figure is the best of ``--repeat`` runs. Without the peer
interpreter the script prints analysis.pls alone.

Run: ``PLSPM_PYTHON=~/plspm-venv/bin/python python benchmarks/bench_pls.py [--quick]`` (about
2 minutes with the peer; ``--quick`` uses 20,000 rows, 1,000 resamples, 100 peer resamples).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import pls  # noqa: E402

SIZES = [4, 3, 4, 3, 3]
BLOCKS = {f"L{k}": [f"x{k}{i}" for i in range(size)] for k, size in enumerate(SIZES)}
PATHS = [("L0", "L1"), ("L0", "L2"), ("L1", "L2"), ("L2", "L3"), ("L3", "L4"), ("L1", "L4")]

# Runs in the peer's interpreter: argv = folder, task ("fit" | "boot"), resamples, repeats.
PEER = r"""
import json, resource, sys, time, tracemalloc
from importlib.metadata import version
import pandas as pd
import plspm.config as c
from plspm.mode import Mode
from plspm.plspm import Plspm
from plspm.scheme import Scheme

folder, task, resamples, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
spec = json.load(open(f"{folder}/model.json"))
data = pd.read_csv(f"{folder}/{task}.csv")
data = (data - data.mean()) / data.std()
lvs = list(spec["blocks"])
path = pd.DataFrame(0, index=lvs, columns=lvs)
for f, t in spec["paths"]:
    path.loc[t, f] = 1
config = c.Config(path, scaled=False)
for lv, items in spec["blocks"].items():
    config.add_lv(lv, Mode.A, *[c.MV(i) for i in items])

def run():
    if task == "fit":
        return Plspm(data, config, Scheme.CENTROID)
    return Plspm(data, config, Scheme.CENTROID, bootstrap=True, bootstrap_iterations=resamples, processes=2)

best = float("inf")
for _ in range(repeats):
    start = time.perf_counter()
    model = run()
    best = min(best, time.perf_counter() - start)
if task == "fit":
    tracemalloc.start()
    model = run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
else:  # the work is done in child processes: their largest resident set
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
paths = model.path_coefficients()
out = {"seconds": best, "peak": peak, "versions": {p: version(p) for p in ("plspm", "pandas", "numpy")},
       "paths": {f"{f}->{t}": float(paths.loc[t, f]) for f, t in spec["paths"]}}
print(json.dumps(out))
"""


def simulate(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """The model of BLOCKS and PATHS with loadings 0.8, items rated 0-10."""
    xi1 = rng.normal(size=n)
    xi2 = 0.5 * xi1 + np.sqrt(0.75) * rng.normal(size=n)
    eta1 = 0.4 * xi1 + 0.3 * xi2 + 0.8 * rng.normal(size=n)
    eta2 = 0.6 * eta1 + 0.8 * rng.normal(size=n)
    eta3 = 0.3 * xi2 + 0.5 * eta2 + 0.7 * rng.normal(size=n)
    cols = {}
    for k, lv in enumerate([xi1, xi2, eta1, eta2, eta3]):
        lv = lv / lv.std()
        for i in range(SIZES[k]):
            cols[f"x{k}{i}"] = np.clip(np.round(5 + 1.5 * (0.8 * lv + 0.6 * rng.normal(size=n))), 0, 10)
    return pd.DataFrame(cols)


def measure(call: Callable[[], Any], repeats: int) -> tuple[float, int, Any]:
    """Best wall time of ``repeats`` warm runs, then the peak of one traced run."""
    call()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    result = call()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak, result


def peer(python: str | None, folder: Path, task: str, resamples: int, repeats: int) -> dict[str, Any] | None:
    if not python:
        print("  Python plspm not run (give its interpreter with --plspm-python or PLSPM_PYTHON)")
        return None
    try:
        done = subprocess.run(
            [python, "-c", PEER, str(folder), task, str(resamples), str(repeats)],
            capture_output=True,
            text=True,
            check=True,
            timeout=1800,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"  Python plspm not run ({type(exc).__name__}: {str(exc).strip()[:200]})")
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--plspm-python",
        default=os.environ.get("PLSPM_PYTHON"),
        help="interpreter with plspm 0.5.7 installed (default: $PLSPM_PYTHON)",
    )
    parser.add_argument("--plspm-resamples", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n_fit, n_boot = (20_000, 1_000) if args.quick else (100_000, 5_000)
    peer_boot = args.plspm_resamples or (100 if args.quick else 250)
    rng = np.random.default_rng(2026)
    big, small = simulate(n_fit, rng), simulate(800, rng)
    print(f"analysis.pls (numpy {np.__version__}, pandas {pd.__version__}) against Python plspm, best of {args.repeat}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        big.to_csv(folder / "fit.csv", index=False)
        small.to_csv(folder / "boot.csv", index=False)
        (folder / "model.json").write_text(json.dumps({"blocks": BLOCKS, "paths": PATHS}))

        secs, peak, res = measure(lambda: pls.fit(big, BLOCKS, PATHS), args.repeat)
        print(
            f"\nfit, {n_fit:,} x 17: analysis.pls {secs:.3f} s, peak {peak / 2**20:.1f} MiB "
            f"(data {big.memory_usage(index=False).sum() / 2**20:.1f} MiB)"
        )
        other = peer(args.plspm_python, folder, "fit", 0, args.repeat)
        if other:
            gap = max(abs(other["paths"][f"{f}->{t}"] - res.path_matrix.loc[t, f]) for f, t in PATHS)
            print(
                f"  Python plspm {other['versions']['plspm']} (pandas {other['versions']['pandas']}): "
                f"{other['seconds']:.3f} s, peak {other['peak'] / 2**20:.1f} MiB; "
                f"ratio plspm / analysis.pls = {other['seconds'] / secs:.1f}x; max |path difference| {gap:.1e}"
            )

        fitted = pls.fit(small, BLOCKS, PATHS)
        secs, peak, boot = measure(lambda: pls.bootstrap(fitted, n_boot=n_boot, seed=1), args.repeat)
        print(
            f"\nbootstrap, {n_boot:,} resamples of 800 x 17 (with BCa): analysis.pls {secs:.3f} s "
            f"({n_boot / secs:,.0f} resamples/s), peak {peak / 2**20:.1f} MiB, {boot.n_failed} failed"
        )
        secs_plain, _, _ = measure(lambda: pls.bootstrap(fitted, n_boot=n_boot, seed=1, bca=False), args.repeat)
        print(f"  without BCa: {secs_plain:.3f} s")
        other = peer(args.plspm_python, folder, "boot", peer_boot, 1)
        if other:
            scaled = other["seconds"] * n_boot / peer_boot
            print(
                f"  Python plspm, {peer_boot} resamples on 2 processes: {other['seconds']:.2f} s "
                f"({peer_boot / other['seconds']:,.1f} resamples/s), largest worker resident set "
                f"{other['peak'] / 2**20:.0f} MiB; {n_boot:,} resamples about {scaled:.0f} s; "
                f"ratio plspm / analysis.pls = {scaled / secs:.0f}x"
            )


if __name__ == "__main__":
    main()
