"""Core benchmark: loading a 5,000-question file, and simulated rows per second.

Ratios against a baseline run in the same process:
* load: ``load_questionnaire`` (compose, validate, build the model) over a bare
  ``yaml.load(..., Loader=CSafeLoader)`` of the same text (aim: within 5x);
* simulate: rows per second on the shipped SERVQUAL instrument (or a generated
  one), and the ratio to ``numpy`` drawing the same number of normal deviates.

Run: ``python benchmarks/bench_core.py [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from surveykit import load_questionnaire  # noqa: E402
from surveykit.simulate import simulate  # noqa: E402


def generated_questionnaire(pages: int = 100, per_page: int = 50) -> str:
    lines = [
        "survey: big",
        "version: 1",
        "title: {zh: 大问卷, en: Big}",
        "languages: [zh, en]",
        "scales:",
        "  a5:",
        "    points: 5",
        "    labels:",
        "      1: {zh: 很差, en: Poor}",
        "      5: {zh: 很好, en: Excellent}",
        "pages:",
    ]
    for p in range(pages):
        lines += [f"  - id: p{p}", f"    title: {{zh: 第{p}页, en: Page {p}}}", "    questions:"]
        for i in range(per_page):
            cond = f"\n        visible_if: q{p}_{i - 1} >= 2" if i % 10 == 9 else ""
            lines += [
                f"      - id: q{p}_{i}",
                "        type: likert",
                "        scale: a5",
                f'        text: {{zh: 第{p}页第{i}题，您满意吗？, en: "Page {p} item {i}: are you satisfied?"}}{cond}',
            ]
    return "\n".join(lines) + "\n"


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeat = 2 if args.quick else 5
    text = generated_questionnaire()
    questions = text.count("type: likert")
    base = best_of(lambda: yaml.load(text, Loader=yaml.CSafeLoader), repeat)
    ours = best_of(lambda: load_questionnaire(text, max_bytes=len(text.encode()) + 1), repeat)
    print(f"load {questions:,}-question file ({len(text.encode()) / 1024:.0f} KiB)")
    print(f"  yaml.load CSafeLoader   {base * 1000:8.1f} ms")
    print(f"  load_questionnaire      {ours * 1000:8.1f} ms   ratio {ours / base:.2f}x (aim <= 5x)")

    shipped = ROOT / "questionnaires" / "servqual.yaml"
    q = load_questionnaire(shipped) if shipped.exists() else load_questionnaire(generated_questionnaire(1, 44))
    n = 100_000 if args.quick else 1_000_000
    runs = []
    for seed in range(2 if args.quick else 3):
        began = time.perf_counter()
        simulate(q, n, seed=seed, missing=0.02, careless=0.02)
        runs.append(time.perf_counter() - began)
    sim = statistics.median(runs)
    columns = len(q.answer_variables())
    normals = best_of(lambda: np.random.default_rng(0).standard_normal((n, columns)), repeat)
    print(f"simulate {q.survey}: {n:,} rows x {columns} answer columns")
    print(f"  simulate                {sim:8.2f} s   {n / sim:,.0f} rows/s")
    print(f"  numpy normals (n x k)   {normals:8.2f} s   ratio {sim / normals:.1f}x")


if __name__ == "__main__":
    main()
