"""Export benchmark: each format for a SERVQUAL-like table, as a ratio to ``DataFrame.to_parquet``.

The table: 50 columns (8 metadata, a dealer field, 18 SERVQUAL items as
expectation and perception, overall satisfaction, NPS, booking channel, visit
date and a conditional comment), simulated with :func:`surveykit.simulate.simulate`
(2 % item nonresponse, so that skip and not-answered codes are exercised).
The baseline is ``df.to_parquet(path)`` of the same frame in the same run;
``surveykit.export.export`` adds the dtype checks, the skip logic, the labels
and the format's own writer on top.

Run: ``python benchmarks/bench_export.py [--quick] [--rows N]`` (1,000,000 rows;
``--quick``: 100,000 rows, best of three runs).  Prints one table of seconds, ratios
and file sizes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from surveykit import load_questionnaire  # noqa: E402
from surveykit.export import FORMATS, ExportWarning, export  # noqa: E402
from surveykit.simulate import simulate  # noqa: E402

DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")


def servqual_yaml(items: int = 18) -> str:
    lines = [
        "survey: bench_servqual",
        "version: 1",
        "title: {zh: 服务质量调查, en: Service quality survey}",
        "languages: [zh, en]",
        "fields:",
        "  dealer:",
        "    label: {zh: 经销商, en: Dealer}",
        "    values:",
        *[f"      d{i:02d}: {{zh: 经销商{i}, en: Dealer {i}}}" for i in range(1, 21)],
        "scales:",
        "  agree7:",
        "    points: 7",
        "    labels:",
        "      1: {zh: 非常不同意, en: Strongly disagree}",
        "      7: {zh: 非常同意, en: Strongly agree}",
        "dimensions:",
        *[f"  {d}: {{zh: 维度{i}, en: {d.title()}}}" for i, d in enumerate(DIMENSIONS)],
        "pages:",
        "  - id: visit",
        "    title: {zh: 来店经历, en: Your visit}",
        "    questions:",
        "      - {id: sat_overall, type: likert, scale: agree7, text: {zh: 总体而言，我对这次服务感到满意。, en: Overall satisfied}}",
        "      - {id: recommend, type: nps, text: {zh: 您有多大可能向亲友推荐我们？, en: Would you recommend us?}}",
        "      - id: channel",
        "        type: choice",
        "        text: {zh: 您是怎样预约的？, en: How did you book?}",
        "        options: {phone: {zh: 电话, en: Phone}, app: {zh: 手机应用, en: App}, walk_in: {zh: 直接到店, en: Walk-in}}",
        "      - {id: visit_date, type: date, required: false, text: {zh: 来店日期, en: Date of visit}}",
        "      - id: comment",
        "        type: text",
        "        required: false",
        "        visible_if: sat_overall <= 3",
        "        text: {zh: 请告诉我们哪里做得不好。, en: What went wrong?}",
        "  - type: servqual",
        "    id: sq",
        "    scale: agree7",
        "    items:",
    ]
    for i in range(items):
        lines.append(
            f"      - {{id: sq{i + 1:02d}, dimension: {DIMENSIONS[i % len(DIMENSIONS)]}, "
            f"expectation: {{zh: 优秀的企业应当做到第{i + 1}项。, en: Excellent firms do item {i + 1}.}}, "
            f"perception: {{zh: 这家企业做到了第{i + 1}项。, en: This firm does item {i + 1}.}}}}"
        )
    return "\n".join(lines) + "\n"


def timed(fn) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 rows")
    parser.add_argument("--rows", type=int, default=None, help="number of rows (default 1,000,000)")
    args = parser.parse_args()
    rows = args.rows or (100_000 if args.quick else 1_000_000)
    q = load_questionnaire(servqual_yaml())
    began = time.perf_counter()
    df = simulate(q, rows, seed=0, missing=0.02)
    print(
        f"export of {rows:,} simulated SERVQUAL responses x {df.shape[1]} columns "
        f"(simulated in {time.perf_counter() - began:.1f} s)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        base_path = os.path.join(tmp, "baseline.parquet")
        repeat = 3 if args.quick else 1  # the best of `repeat` runs, the same for every row
        baseline = min(timed(lambda: df.to_parquet(base_path, index=False)) for _ in range(repeat))
        results = [("DataFrame.to_parquet", baseline, os.path.getsize(base_path))]
        for fmt in ("parquet", *[f for f in FORMATS if f != "parquet"]):
            path = os.path.join(tmp, f"out.{fmt}")
            with warnings.catch_warnings():
                warnings.simplefilter("error", ExportWarning)  # a clean table needs no changes
                seconds = min(
                    timed(lambda path=path, fmt=fmt: export(df, q, path, format=fmt, lang="zh")) for _ in range(repeat)
                )
            results.append((f"export {fmt}", seconds, os.path.getsize(path)))
            os.remove(path)
    print(f"{'':24} {'seconds':>9} {'x to_parquet':>13} {'rows/s':>12} {'MB':>8}")
    for name, seconds, size in results:
        print(f"{name:24} {seconds:9.2f} {seconds / baseline:13.1f} {rows / seconds:12,.0f} {size / 1e6:8.1f}")


if __name__ == "__main__":
    main()
