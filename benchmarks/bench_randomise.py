"""Benchmark of randomised and piped pages and of the order-effect check, as ratios measured in one run.

1. A 40-question page (7-point scale) rendered by the web form (Flask test client, GET of the first
   page, in process): as written (the cached view, the baseline), with ``randomize: true`` on the
   page (the respondent's order: the view is built per request), and with every question piping an
   earlier field.  Per-request time and its ratio to the baseline.
2. ``analysis.order_effects`` on 10,000 simulated respondents of a randomised 20-item page, against
   recomputing their positions alone and against one Kruskal-Wallis per item on prepared groups.

Run: ``python benchmarks/bench_randomise.py [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _survey(items: int, *, randomize: bool = False, pipe: bool = False) -> str:
    prefix = "{field:dealer}, " if pipe else ""
    head = textwrap.dedent(f"""\
        survey: bench{"r" if randomize else ""}{"p" if pipe else ""}
        version: 1
        title: Bench
        languages: [en]
        fields:
          dealer: {{label: Dealer}}
        scales:
          agree7: {{points: 7, labels: {{1: Disagree, 7: Agree}}}}
        pages:
          - id: p1
            randomize: {"true" if randomize else "false"}
            questions:
        """)
    rows = "".join(
        f'      - {{id: i{n:02d}, type: likert, scale: agree7, text: "{prefix}statement {n}."}}\n'
        for n in range(1, items + 1)
    )
    return head + rows + "  - id: p2\n    questions:\n      - {id: last, type: nps, text: Last}\n"


def _per_request(client, url: str, seconds: float) -> float:
    for _ in range(5):
        client.get(url)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        assert client.get(url).status_code == 200
        count += 1
    return (time.perf_counter() - start) / count


def pages(seconds: float) -> None:
    from webform import create_app

    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, kwargs in (("plain", {}), ("random", {"randomize": True}), ("piped", {"pipe": True})):
            path = Path(folder) / f"{name}.yaml"
            path.write_text(_survey(40, **kwargs), encoding="utf-8")
            paths.append(str(path))
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": f"sqlite:///{folder}/b.sqlite3",
                "QUESTIONNAIRES": paths,
                "SECRET_KEY": "bench-randomise-secret-0123456789",
            }
        )
        client = app.test_client()
        base = _per_request(client, "/s/bench", seconds)
        print(f"40-question page as written (cached view): {base * 1000:.2f} ms a request")
        for survey, what in (
            ("benchr", "randomised page (view per request)"),
            ("benchp", "piped text in every question"),
        ):
            took = _per_request(client, f"/s/{survey}", seconds)
            print(f"{what}: {took * 1000:.2f} ms a request, {took / base:.2f}x the cached page")
        app.extensions["surveykit"].engine.dispose()


def order_effects(n: int) -> None:
    import numpy as np
    from scipy import stats

    from analysis.order_effects import order_effects as check
    from analysis.order_effects import positions_frame
    from surveykit import load_questionnaire
    from surveykit.simulate import simulate

    text = _survey(20, randomize=True).replace("survey: benchr", "survey: order")
    q = load_questionnaire(text)
    df = simulate(q, n=n, seed=1)
    start = time.perf_counter()
    result = check(q, df)
    total = time.perf_counter() - start
    start = time.perf_counter()
    pos = positions_frame(q, df["order_seed"])
    positions = time.perf_counter() - start
    groups = [[df.loc[pos[item] == k, item].dropna().to_numpy() for k in range(1, 21)] for item in pos.columns]
    start = time.perf_counter()
    for g in groups:
        stats.kruskal(*g)
    tests = time.perf_counter() - start
    print(
        f"order effects, {n:,} respondents x 20 items: {total:.2f} s "
        f"(positions from the seeds {positions:.2f} s, {positions / total:.0%}; the 20 Kruskal-Wallis tests "
        f"alone {tests:.3f} s, {total / tests:.0f}x); {len(result.flagged)} item(s) flagged, "
        f"smallest p {np.min(result.items['p']):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    pages(1.0 if args.quick else 4.0)
    order_effects(2_000 if args.quick else 10_000)


if __name__ == "__main__":
    main()
